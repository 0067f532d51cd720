// Tests of lib/lab/lab: the strict lab-file reader, every shipped lab (its sweeps expand and every
// run's config is valid), the measurements on run files with known answers, and the verdict
// (a changed prediction turns it to "disagrees").
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/errors.h"
#include "lab/lab.h"
#include "sweep/sweep.h"
#include "test_util.h"

using namespace nnlab;
namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

const char* kLab = R"({
  "question": "Does the first layer's delta shrink?",
  "chapter": "sigma' <= 0.25",
  "sweep": {"base": {"model": {"depth": 3, "width": 4, "activation": "sigmoid"}, "train": {"epochs": 1}},
            "grid": {"model.init": ["he_normal", "xavier_normal"]}, "seeds": 2},
  "quick": {"seeds": 1},
  "predictions": [
    {"text": "He: flat", "where": {"model.init": "he_normal"},
     "measure": {"kind": "layer_log_slope", "layers": [1, -2]}, "value": 0, "tolerance": 0.1},
    {"text": "Xavier: -ln 2", "where": {"model.init": "xavier_normal"},
     "measure": {"kind": "layer_log_slope", "layers": [1, -2]}, "value": -0.6931, "tolerance": 0.1}
  ],
  "figures": [{"file": "p.png", "caption": "c", "plot": ["profile", "{runs}"]}]
})";

std::vector<std::string> issue_texts(const std::string& text, const std::string& name = "demo.json") {
  try {
    parse_lab(ordered_json::parse(text), fs::path(NNLAB_SOURCE_DIR) / "labs" / name);
  } catch (const ConfigError& e) {
    std::vector<std::string> out;
    for (const auto& i : e.issues()) out.push_back(i.path + ": " + i.message);
    return out;
  }
  return {};
}

// grad_norms.csv with delta rows at step 1 whose ln||delta||^2 changes by `per_layer` per layer
// going toward the input, for hidden layers 1..depth, and an output layer.
std::string profile_csv(int depth, double per_layer) {
  std::string csv = "step,layer,param,grad_norm,value_norm\n";
  for (int l = 1; l <= depth + 1; ++l) {
    const double norm = std::exp(0.5 * per_layer * (depth - std::min(l, depth)));
    csv += "1," + std::to_string(l) + ",delta," + std::to_string(norm) + ",\n";
    csv += "1," + std::to_string(l) + ",W," + std::to_string(2 * norm) + ",1\n";
  }
  return csv;
}

}  // namespace

TEST_CASE("lab files: the reader is strict") {
  CHECK(issue_texts(kLab).empty());
  SUBCASE("unknown keys with the likely intended one") {
    json doc = json::parse(kLab);
    doc["questoin"] = "x";
    doc["predictions"][0]["tolerence"] = 1;
    const auto issues = issue_texts(doc.dump());
    REQUIRE(issues.size() >= 2);
    CHECK(issues[0] == "demo.json: questoin: unknown key (did you mean \"question\"?)");
    CHECK(issues[1] == "demo.json: predictions[0].tolerence: unknown key (did you mean \"tolerance\"?)");
  }
  SUBCASE("a prediction needs exactly one form, a known measure kind") {
    json doc = json::parse(kLab);
    doc["predictions"][0]["at_most"] = 1;
    doc["predictions"][1]["measure"]["kind"] = "layer_log_slop";
    const auto issues = issue_texts(doc.dump());
    CHECK(std::find(issues.begin(), issues.end(),
                    "demo.json: predictions[0]: give at most one of \"value\" (with \"tolerance\"), "
                    "\"at_most\", \"at_least\" (none: a measurement only reported)") != issues.end());
    CHECK(std::find(issues.begin(), issues.end(),
                    "demo.json: predictions[1].measure.kind: unknown kind \"layer_log_slop\" (did you "
                    "mean \"layer_log_slope\"?)") != issues.end());
  }
  SUBCASE("a measurement only reported; quick bounds replace the prediction's in quick_variant") {
    json doc = json::parse(kLab);
    doc["predictions"][0].erase("value");
    doc["predictions"][0].erase("tolerance");
    doc["predictions"][1]["quick"] = {{"at_least", -1}};
    CHECK(issue_texts(doc.dump()).empty());
    const Lab lab = parse_lab(ordered_json::parse(doc.dump()), fs::path(NNLAB_SOURCE_DIR) / "labs" / "demo.json");
    CHECK(lab.predictions[0].reported_only());
    CHECK(lab.predictions[1].value == -0.6931);
    const Lab quick = quick_variant(lab);
    CHECK(quick.predictions[0].reported_only());
    CHECK_FALSE(quick.predictions[1].value.has_value());
    CHECK(quick.predictions[1].at_least == -1.0);
    doc["predictions"][1]["quick"] = {{"value", 1}, {"at_most", 2}};
    const auto issues = issue_texts(doc.dump());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].starts_with("demo.json: predictions[1].quick: give at most one of"));
  }
  SUBCASE("required fields, the name matches the file, figures are PNG names") {
    json doc = json::parse(kLab);
    doc.erase("question");
    doc["name"] = "other";
    doc["figures"][0]["file"] = "../p.svg";
    const auto issues = issue_texts(doc.dump());
    CHECK(issues.size() == 3);
    CHECK(std::find(issues.begin(), issues.end(), "demo.json: question: required: a non-empty string") != issues.end());
  }
  SUBCASE("versus names a group: a non-empty object") {
    json doc = json::parse(kLab);
    doc["predictions"][0]["versus"] = json::array({"xavier_normal"});
    doc["predictions"][1]["versus"] = json::object();
    const auto issues = issue_texts(doc.dump());
    REQUIRE(issues.size() == 2);
    CHECK(issues[0].starts_with("demo.json: predictions[0].versus: expected a non-empty object"));
    CHECK(issues[1].starts_with("demo.json: predictions[1].versus: expected a non-empty object"));
  }
  SUBCASE("the sweep is read by the sweep reader") {
    json doc = json::parse(kLab);
    doc["sweep"]["gird"] = json::object();
    const auto issues = issue_texts(doc.dump());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0] == "demo.json: sweep.gird: unknown key (did you mean \"grid\"?)");
  }
}

TEST_CASE("every shipped lab reads, and every run of its full and quick sweeps is a valid config") {
  std::size_t labs = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(NNLAB_SOURCE_DIR) / "labs")) {
    if (entry.path().extension() != ".json") continue;
    CAPTURE(entry.path());
    const Lab lab = read_lab_file(entry.path());
    ++labs;
    CHECK(!lab.question.empty());
    for (bool quick : {false, true}) {
      const Sweep sweep = expand_sweep(lab_sweep(lab, quick, fs::temp_directory_path() / "nnlab_lab_x"));
      CHECK_NOTHROW(validate_sweep(sweep));
      CHECK(sweep.runs.size() <= 60);
    }
  }
  CHECK(labs >= 3);
}

TEST_CASE("lab measurements from run files") {
  const fs::path dir = test::fresh_dir("lab_measure");
  write(dir / "grad_norms.csv", profile_csv(10, -0.6931));
  LabMeasure m;
  m.kind = LabMeasure::Kind::layer_log_slope;
  m.from = 1;
  m.to = -2;
  CHECK(measure_run(m, dir) == doctest::Approx(-0.6931).epsilon(1e-5));
  m.kind = LabMeasure::Kind::layer_factor;
  CHECK(measure_run(m, dir) == doctest::Approx(std::exp(-0.6931 / 2)).epsilon(1e-5));
  m.kind = LabMeasure::Kind::layer_ratio;
  m.layer = 1;
  m.over = -2;
  CHECK(measure_run(m, dir) == doctest::Approx(std::exp(-0.6931 * 9 / 2)).epsilon(1e-5));
  m.param = "W";
  m.kind = LabMeasure::Kind::layer_norm;
  m.layer = -1;
  CHECK(measure_run(m, dir) == doctest::Approx(2.0));
  m.step = 7;
  CHECK_THROWS_WITH_AS(measure_run(m, dir), doctest::Contains("no \"W\" rows at step 7"), IoError);

  write(dir / "time_grad_norms.csv", "step,layer,t,grad_norm\n1,1,1,0.001\n1,1,2,0.01\n1,1,3,0.5\n");
  LabMeasure t;
  t.kind = LabMeasure::Kind::time_ratio;
  CHECK(measure_run(t, dir) == doctest::Approx(0.002));
  t.kind = LabMeasure::Kind::time_reach;
  CHECK(measure_run(t, dir) == 3.0);
  // Truncated BPTT: only the chunk's steps have rows; a zero or nan norm is not reached.
  write(dir / "time_grad_norms.csv", "step,layer,t,grad_norm\n1,1,8,0\n1,1,9,0.2\n1,1,10,0.5\n"
                                     "2,1,1,nan\n2,1,2,0.1\n");
  CHECK(measure_run(t, dir) == 2.0);
  t.step = 2;
  CHECK(measure_run(t, dir) == 1.0);
  t.step = 3;
  CHECK_THROWS_WITH_AS(measure_run(t, dir), doctest::Contains("no rows of layer 1 at step 3"), IoError);
  write(dir / "metrics.csv", "step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr\n"
                             "1,1,2.5,10,1,1,0.1\n2,1,nan,inf,1,1,0.1\n3,1,1,0.5,0,0.5,0.1\n4,1,1,0.5,0,0.5,0.1\n");
  LabMeasure c;
  c.kind = LabMeasure::Kind::clipped_fraction;
  CHECK(measure_run(c, dir) == doctest::Approx(0.5));
  c.kind = LabMeasure::Kind::metric;
  c.field = "loss";
  CHECK(measure_run(c, dir) == doctest::Approx(2.5));
  c.step = 2;
  CHECK(std::isnan(measure_run(c, dir)));

  write(dir / "summary.json", R"({"status": "diverged", "final": {"test_loss": 0.05},
                                  "baseline": {"name": "mse_predict_1", "value": 0.25}})");
  write(dir / "eval.csv", "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy\n0,0,1,,0.5,\n");
  LabMeasure f;
  f.kind = LabMeasure::Kind::final;
  f.field = "test_loss";
  f.relative_to = "baseline";
  CHECK(measure_run(f, dir) == doctest::Approx(0.2));
  f.relative_to = "initial";
  CHECK(measure_run(f, dir) == doctest::Approx(0.1));
  f.kind = LabMeasure::Kind::diverged;
  CHECK(measure_run(f, dir) == 1.0);
}

TEST_CASE("lab measurement activation_memory: the feasibility estimate grows with the BPTT chunk") {
  const fs::path dir = test::fresh_dir("lab_memory");
  // T = 40, batch 32: the per-step caches of a chunk of k steps, plus a fixed evaluation part.
  json config = {{"data", {{"type", "adding"}, {"length", 40}, {"train_size", 64}, {"test_size", 0}}},
                 {"model", {{"type", "lstm"}, {"width", 8}}},
                 {"train", {{"batch_size", 32}, {"truncation", 0}}}};
  write(dir / "config.json", config.dump());
  LabMeasure m;
  m.kind = LabMeasure::Kind::activation_memory;
  const double full = measure_run(m, dir);
  CHECK(full > 0);
  m.relative_to = "full_bptt";
  CHECK(measure_run(m, dir) == 1.0);
  config["train"]["truncation"] = 10;
  write(dir / "config.json", config.dump());
  const double ratio = measure_run(m, dir);
  m.relative_to.clear();
  CHECK(ratio == doctest::Approx(measure_run(m, dir) / full));
  config["train"]["truncation"] = 20;
  write(dir / "config.json", config.dump());
  CHECK(measure_run(m, dir) / full > ratio);  // a longer chunk keeps more
  CHECK(ratio < 1.0);
  write(dir / "config.json", R"({"model": {"widht": 8}})");
  CHECK_THROWS_AS(measure_run(m, dir), IoError);

  json lab = json::parse(kLab);
  lab["predictions"][0]["measure"] = {{"kind", "activation_memory"}, {"relative_to", "baseline"}};
  lab["predictions"][1]["measure"] = {{"kind", "time_ratio"}, {"relative_to", "full_bptt"}};
  const auto issues = issue_texts(lab.dump());
  CHECK(std::find(issues.begin(), issues.end(),
                  "demo.json: predictions[0].measure.relative_to: expected \"full_bptt\" for kind "
                  "\"activation_memory\", got \"baseline\"") != issues.end());
  CHECK(std::find(issues.begin(), issues.end(),
                  "demo.json: predictions[1].measure.relative_to: applies only to kinds \"final\" and "
                  "\"activation_memory\"") != issues.end());
}

TEST_CASE("lab verdict: computed from the runs; a changed prediction disagrees") {
  const fs::path dir = test::fresh_dir("lab_verdict");
  const fs::path file = dir / "demo.json";
  write(file, kLab);
  Lab lab = read_lab_file(file);
  const Sweep sweep = expand_sweep(lab_sweep(lab, false, dir / "out"));
  REQUIRE(sweep.runs.size() == 4);
  for (const auto& run : sweep.runs) {
    const bool he = run.name.find("he_normal") != std::string::npos;
    json config = {{"model", {{"init", he ? "he_normal" : "xavier_normal"}}}};
    write(run_dir(sweep.spec, run) / "config.json", config.dump());
    // Seeds scatter by +-0.02 around the prediction.
    const double jitter = *run.seed == 0 ? 0.02 : -0.02;
    write(run_dir(sweep.spec, run) / "grad_norms.csv", profile_csv(6, (he ? 0 : -0.6931) + jitter));
  }
  LabVerdict v = compute_verdict(lab, sweep);
  REQUIRE(v.results.size() == 2);
  CHECK(v.agrees);
  CHECK(v.results[1].n == 2);
  CHECK(v.results[1].mean == doctest::Approx(-0.6931).epsilon(1e-4));
  CHECK(v.results[1].std == doctest::Approx(0.02 * std::sqrt(2.0)).epsilon(1e-3));
  CHECK(v.results[1].min == doctest::Approx(-0.7131).epsilon(1e-4));
  const json j = verdict_json(lab, v, false);
  CHECK(j["verdict"] == "agrees");
  CHECK(j["predictions"][1]["runs"].size() == 2);
  const std::string report = report_markdown(lab, v, false, "nnlab lab run demo", {"plot"}, {true});
  CHECK(report.find("**Verdict: agrees**") != std::string::npos);
  CHECK(report.find("![c](p.png)") != std::string::npos);

  lab.predictions[1].value = -0.3;  // a wrong prediction
  v = compute_verdict(lab, sweep);
  CHECK_FALSE(v.agrees);
  CHECK(v.results[0].agrees);
  CHECK_FALSE(v.results[1].agrees);
  CHECK(verdict_json(lab, v, false)["verdict"] == "disagrees");
  lab.predictions[1].value = -0.6931;
  lab.predictions[1].tolerance = 0.0001;  // the mean is exact: the seeds' scatter cancels
  CHECK(compute_verdict(lab, sweep).agrees);
  lab.predictions[0].tolerance = 0.0;
  lab.predictions[0].value = 0.05;
  CHECK_FALSE(compute_verdict(lab, sweep).agrees);

  // A measurement only reported agrees whatever its value, when finite.
  lab.predictions[0].value.reset();
  lab.predictions[0].tolerance.reset();
  v = compute_verdict(lab, sweep);
  CHECK(v.results[0].agrees);
  CHECK(verdict_json(lab, v, false)["predictions"][0]["prediction"]["reported_only"] == true);
  CHECK(report_markdown(lab, v, false, "c", {}, {}).find("| (reported) | reported |") != std::string::npos);
  // A '|' in a prediction's text is escaped: its row keeps the table's five cells.
  lab.predictions[0].text = "|a2 - y| = 0.5";
  const std::string piped = report_markdown(lab, v, false, "c", {}, {});
  const auto row_start = piped.find("| \\|a2 - y\\| = 0.5 |");
  REQUIRE(row_start != std::string::npos);
  const std::string row = piped.substr(row_start, piped.find('\n', row_start) - row_start);
  int separators = 0;
  for (std::size_t i = 0; i < row.size(); ++i) separators += row[i] == '|' && (i == 0 || row[i - 1] != '\\');
  CHECK(separators == 6);

  // A run without a finite value makes its prediction disagree.
  write(run_dir(sweep.spec, sweep.runs[0]) / "grad_norms.csv",
        "step,layer,param,grad_norm,value_norm\n1,1,delta,nan,\n1,2,delta,1,\n1,3,delta,1,\n1,4,delta,1,\n");
  lab = read_lab_file(file);
  v = compute_verdict(lab, sweep);
  CHECK_FALSE(v.results[0].agrees);
  CHECK(v.results[0].nonfinite == 1);

  const std::vector<std::string> args = figure_arguments(lab.figures[0], sweep);
  REQUIRE(args.size() == 1 + 4 + 2);
  CHECK(args[0] == "profile");
  CHECK(args[1] == run_dir(sweep.spec, sweep.runs[0]).string());
  CHECK(args.back() == (sweep.spec.out / "p.png").string());
}

TEST_CASE("lab verdict: versus compares two groups, run by run paired by seed") {
  const fs::path dir = test::fresh_dir("lab_versus");
  const fs::path file = dir / "demo.json";
  json doc = json::parse(kLab);
  // He minus Xavier: ln 2 per layer, in every pair of runs with the same seed.
  doc["predictions"][0] = {{"text", "He minus Xavier"},
                           {"where", {{"model.init", "he_normal"}}},
                           {"versus", {{"model.init", "xavier_normal"}}},
                           {"measure", {{"kind", "layer_log_slope"}}},
                           {"value", 0.6931},
                           {"tolerance", 1e-4}};
  write(file, doc.dump());
  Lab lab = read_lab_file(file);
  REQUIRE(lab.predictions[0].versus.size() == 1);
  const Sweep sweep = expand_sweep(lab_sweep(lab, false, dir / "out"));
  REQUIRE(sweep.runs.size() == 4);
  for (const auto& run : sweep.runs) {
    const bool he = run.name.find("he_normal") != std::string::npos;
    write(run_dir(sweep.spec, run) / "config.json",
          json({{"seed", *run.seed}, {"model", {{"init", he ? "he_normal" : "xavier_normal"}}}}).dump());
    // Seed 0 and seed 1 differ by 0.4, the same in both groups: only a pairing by seed cancels it.
    const double jitter = *run.seed == 0 ? 0.2 : -0.2;
    write(run_dir(sweep.spec, run) / "grad_norms.csv", profile_csv(6, (he ? 0 : -0.6931) + jitter));
  }
  LabVerdict v = compute_verdict(lab, sweep);
  REQUIRE(v.results[0].values.size() == 2);
  CHECK(v.results[0].agrees);
  CHECK(v.results[0].std < 1e-5);  // the CSV rounds to 6 digits
  for (const auto& value : v.results[0].values) {
    CHECK(value.first.find(" − ") != std::string::npos);
    CHECK(value.second == doctest::Approx(0.6931).epsilon(1e-5));
  }
  const json j = verdict_json(lab, v, false);
  CHECK(j["predictions"][0]["versus"]["model.init"] == "xavier_normal");
  const std::string report = report_markdown(lab, v, false, "nnlab lab run demo", {"plot"}, {true});
  CHECK(report.find("model.init = he_normal minus model.init = xavier_normal, paired by seed") != std::string::npos);

  lab.predictions[0].value = 0.0;  // "no difference" disagrees
  CHECK_FALSE(compute_verdict(lab, sweep).agrees);

  // A run of one group matching the other too, or without a partner: an error, not a verdict.
  lab.predictions[0].where.clear();
  CHECK_THROWS_WITH_AS(compute_verdict(lab, sweep), doctest::Contains("matches both"), IoError);
  lab = read_lab_file(file);
  write(run_dir(sweep.spec, sweep.runs[3]) / "config.json",
        json({{"seed", 7}, {"model", {{"init", sweep.runs[3].name.find("he_normal") != std::string::npos
                                                   ? "he_normal" : "xavier_normal"}}}}).dump());
  CHECK_THROWS_WITH_AS(compute_verdict(lab, sweep), doctest::Contains("has the seed of"), IoError);
}
