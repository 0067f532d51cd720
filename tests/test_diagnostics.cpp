// Diagnostics: exact quantiles (numpy's linear definition), the activation statistics taken in
// fewer passes equal to those taken one by one, the update norm ||dW|| against the weights
// before and after a step, and every diagnosis rule on hand-made run directories (each
// condition shown and not shown). Runs against numpy on real gradients: tests/cli/test_diagnostics.sh.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "nn/activation.h"
#include "run/diagnosis.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "base/quantiles.h"
#include "base/rng.h"
#include "test_util.h"

using namespace nnlab;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace nnlab::test;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

// A run directory with the given files; config and summary as JSON.
fs::path run_dir(const std::string& name, const json& config, const json& summary) {
  const fs::path dir = fresh_dir("diag_" + name);
  write(dir / "config.json", config.dump());
  write(dir / "summary.json", summary.dump());
  return dir;
}

json mlp_config(const std::string& activation) {
  return {{"model", {{"type", "mlp"}, {"activation", activation}}},
          {"train", {{"clip_threshold", 0}}}};
}

json completed(double test_accuracy = 0.95, double baseline = 0.5) {
  return {{"status", "completed"},
          {"steps", 100},
          {"final", {{"train_loss", 0.1}, {"test_loss", 0.1}, {"test_accuracy", test_accuracy}}},
          {"baseline", {{"name", "accuracy_most_frequent"}, {"value", baseline}}}};
}

// metrics.csv with the given norms at steps 1..n, clipped where norm > tau (tau 0: never).
std::string metrics(const std::vector<double>& norms, double tau = 0) {
  std::string s = "step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr\n";
  for (std::size_t i = 0; i < norms.size(); ++i) {
    const bool clipped = tau > 0 && norms[i] > tau;
    s += std::to_string(i + 1) + ",1,0.5," + std::to_string(norms[i]) + "," +
         (clipped ? "1," : "0,") + std::to_string(clipped ? tau : norms[i]) + ",0.1\n";
  }
  return s;
}

// grad_norms.csv of a 3-layer MLP over steps 1..n: ||dW_1|| = first, ||dW_3|| = 1, every
// ||W|| = 1 and ||dW_update|| = update.
std::string grad_norms(int n, double first, double update, bool with_update = true) {
  std::string s = "step,layer,param,grad_norm,value_norm";
  s += with_update ? ",update_norm\n" : "\n";
  for (int step = 1; step <= n; ++step)
    for (int layer = 1; layer <= 3; ++layer) {
      const double g = layer == 1 ? first : layer == 2 ? std::sqrt(first) : 1.0;
      const std::string at = std::to_string(step) + ',' + std::to_string(layer);
      s += at + ",W," + std::to_string(g) + ",1";
      if (with_update) s.append(",").append(std::to_string(update));
      s += '\n';
      s += at + ",delta,1,";
      s += with_update ? ",\n" : "\n";
    }
  return s;
}

std::string activations(int n, double saturated) {
  std::string s = "step,layer,mean,std,saturated\n";
  for (int step = 1; step <= n; ++step)
    for (int layer = 1; layer <= 2; ++layer)
      s += std::to_string(step) + "," + std::to_string(layer) + ",0.1,0.5," +
           std::to_string(layer == 2 ? saturated : 0.3) + "\n";
  return s;
}

std::vector<std::string> rules(const Diagnosis& d) {
  std::vector<std::string> out;
  for (const auto& f : d.findings) out.push_back(f.rule);
  return out;
}

}  // namespace

TEST_CASE("quantiles: numpy's linear interpolation, exact") {
  QuantileScratch scratch;
  SUBCASE("known values") {
    // np.quantile([4, 1, 3, 2], q): h = 3q -> 1, 1.03, 1.15, 1.75, 2.5, 3.25, 3.85, 3.97, 4
    const std::vector<double> x{4, 1, 3, 2};
    const Quantiles q = scratch.compute(x.data(), x.size(), false);
    const Quantiles want{1, 1.03, 1.15, 1.75, 2.5, 3.25, 3.85, 3.97, 4};
    for (std::size_t i = 0; i < q.size(); ++i) {
      CAPTURE(i);
      CHECK(q[i] == doctest::Approx(want[i]).epsilon(1e-15));
    }
  }
  SUBCASE("absolute values, one entry, ties") {
    const std::vector<float> x{-3, 1, -1, 2};
    const Quantiles q = scratch.compute(x.data(), x.size(), true);  // |x| = 1 1 2 3
    CHECK(q[0] == 1);
    CHECK(q[4] == 1.5);
    CHECK(q[8] == 3);
    const std::vector<double> one{-7};
    for (double v : scratch.compute(one.data(), 1, false)) CHECK(v == -7);
    const std::vector<double> same(50, 0.25);
    for (double v : scratch.compute(same.data(), same.size(), false)) CHECK(v == 0.25);
  }
  SUBCASE("against a full sort on random data of many sizes") {
    Rng rng(7);
    for (std::size_t n : {2u, 3u, 10u, 101u, 1000u, 4097u}) {
      std::vector<double> x(n);
      for (double& v : x) v = rng.normal();
      std::vector<double> s = x;
      std::sort(s.begin(), s.end());
      const Quantiles q = scratch.compute(x.data(), n, false);
      for (std::size_t i = 0; i < q.size(); ++i) {
        const double h = static_cast<double>(n - 1) * kQuantileLevels[i];
        const auto k = static_cast<std::size_t>(std::floor(h));
        const double want = k + 1 < n ? s[k] + (h - static_cast<double>(k)) * (s[k + 1] - s[k]) : s[k];
        CAPTURE(n);
        CAPTURE(i);
        CHECK(q[i] == doctest::Approx(want).epsilon(1e-14));
      }
    }
  }
  SUBCASE("a NaN entry makes every quantile NaN") {
    const std::vector<double> x{1, std::nan(""), 3};
    for (double v : scratch.compute(x.data(), x.size(), false)) CHECK(std::isnan(v));
  }
}

template <typename T>
void check_output_stats(Activation kind, Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Rng rng(seed);
  Mat<T> z(rows, cols);
  for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = static_cast<T>(rng.normal() * 3.0);
  ActivationFn act;
  act.kind = kind;
  Mat<T> a(rows, cols);
  act.forward(z, a);
  const auto check = [&](const auto& zz, const auto& aa) {
    double mean = 0, std = 0, saturated = -1;
    act.output_stats(zz, aa, mean, std, saturated);
    double mean1 = 0, std1 = 0;
    mean_and_std(aa, mean1, std1);
    CHECK(mean == mean1);  // bit for bit
    CHECK(std == std1);
    CHECK(saturated == act.saturated_fraction(zz, aa));
    return saturated;
  };
  const double saturated = check(z, a);
  if (kind == Activation::tanh || kind == Activation::sigmoid) {  // the inputs saturate some units
    CHECK(saturated > 0.05);
    CHECK(saturated < 0.95);
  }
  // A block that is not one contiguous run (a column at a time).
  if (rows > 2) check(z.topRows(rows - 1), a.topRows(rows - 1));
}

TEST_CASE("output_stats: mean_and_std and saturated_fraction in one pass fewer, the same numbers") {
  for (Activation kind :
       {Activation::tanh, Activation::sigmoid, Activation::relu, Activation::elu}) {
    CAPTURE(static_cast<int>(kind));
    check_output_stats<float>(kind, 64, 32, 1);   // whole 16-lane runs
    check_output_stats<double>(kind, 64, 32, 2);
    check_output_stats<float>(kind, 37, 5, 3);    // a tail after the lanes
    check_output_stats<double>(kind, 7, 3, 4);    // fewer entries than lanes
  }
}

TEST_CASE("update_norm is ||W_after - W_before|| for every optimizer") {
  for (const char* optimizer : {"sgd", "momentum", "nesterov", "adam"}) {
    CAPTURE(optimizer);
    // 4 full-batch steps, one per epoch, so that the run with 3 epochs holds the weights before
    // the 4th update of the run with 4.
    json doc = {{"seed", 3},
                {"dtype", "float64"},
                {"data", {{"type", "moons"}, {"train_size", 64}, {"test_size", 0}}},
                {"model", {{"type", "mlp"}, {"depth", 2}, {"width", 8}}},
                {"train", {{"epochs", 3}, {"batch_size", 0}, {"optimizer", optimizer},
                           {"lr", 0.05}, {"weight_decay", 0.01}, {"clip_threshold", 0.05}}}};
    const fs::path before = fresh_dir(std::string("update_before_") + optimizer);
    Experiment<double> e1 = build_experiment<double>(parse(doc));
    run_experiment<double>(e1, before, {}, {}, json::object());
    doc["train"]["epochs"] = 4;
    const fs::path after = fresh_dir(std::string("update_after_") + optimizer);
    Experiment<double> e2 = build_experiment<double>(parse(doc));
    run_experiment<double>(e2, after, {}, {}, json::object());

    const json w0 = json::parse(slurp(before / "weights.json"))["tensors"];
    const json w1 = json::parse(slurp(after / "weights.json"))["tensors"];
    const auto rows = read_csv(after / "grad_norms.csv");
    REQUIRE(rows[0].back() == "update_norm");
    int checked = 0;
    bool clipped = false;
    for (const auto& m : read_csv(after / "metrics.csv")) clipped |= m[0] == "4" && m[4] == "1";
    CHECK(clipped);  // clipping is part of what the update norm must see
    for (const auto& r : rows) {
      if (r[0] != "4" || r[2] == "delta") continue;
      const std::string name = "layers." + r[1] + "." + r[2];
      double sum = 0;
      const json& a = w0[name];
      const json& b = w1[name];
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].is_array()) {
          for (std::size_t j = 0; j < a[i].size(); ++j)
            sum += std::pow(b[i][j].get<double>() - a[i][j].get<double>(), 2);
        } else {
          sum += std::pow(b[i].get<double>() - a[i].get<double>(), 2);
        }
      }
      CAPTURE(name);
      CHECK(std::stod(r[5]) == doctest::Approx(std::sqrt(sum)).epsilon(1e-9));
      ++checked;
    }
    CHECK(checked == 6);
  }
}

TEST_CASE("diagnosis rules, each shown and not shown") {
  const std::vector<double> steady(100, 1.0);
  SUBCASE("a healthy run: no finding") {
    const fs::path dir = run_dir("healthy", mlp_config("relu"), completed());
    write(dir / "metrics.csv", metrics(steady));
    write(dir / "grad_norms.csv", grad_norms(10, 0.5, 1e-3));
    write(dir / "activations.csv", activations(10, 0.5));
    const Diagnosis d = diagnose_run(dir);
    CHECK(d.findings.empty());
    CHECK(d.skipped.empty());
    CHECK(describe(d).front() == "no problems found");
  }
  SUBCASE("vanishing: layer 1 below 1e-3 of the output layer") {
    const fs::path dir = run_dir("vanishing", mlp_config("sigmoid"), completed());
    write(dir / "grad_norms.csv", grad_norms(10, 5e-4, 1e-3));
    Diagnosis d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"vanishing"});
    CHECK(d.findings[0].layer == 1);
    CHECK(d.findings[0].step == 1);
    CHECK(d.findings[0].value == doctest::Approx(5e-4));
    CHECK(d.findings[0].threshold == 1e-3);
    CHECK(d.findings[0].cure.find("relu") != std::string::npos);
    write(dir / "grad_norms.csv", grad_norms(10, 2e-3, 1e-3));
    CHECK(diagnose_run(dir).findings.empty());
  }
  SUBCASE("exploding: the global norm grows by more than 1e3") {
    const fs::path dir = run_dir("exploding", mlp_config("relu"), completed());
    std::vector<double> norms = steady;
    norms[60] = 2000;
    write(dir / "metrics.csv", metrics(norms));
    Diagnosis d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"exploding"});
    CHECK(d.findings[0].step == 61);
    CHECK(d.findings[0].value == doctest::Approx(2000));
    norms[60] = 900;
    write(dir / "metrics.csv", metrics(norms));
    CHECK(diagnose_run(dir).findings.empty());
  }
  SUBCASE("clipping on most steps") {
    const fs::path dir = run_dir("clipping", mlp_config("relu"), completed());
    std::vector<double> norms = steady;
    for (std::size_t i = 0; i < 60; ++i) norms[i] = 2;
    write(dir / "metrics.csv", metrics(norms, 1.5));
    Diagnosis d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"clipping"});
    CHECK(d.findings[0].value == doctest::Approx(0.6));
    for (std::size_t i = 40; i < 60; ++i) norms[i] = 1;
    write(dir / "metrics.csv", metrics(norms, 1.5));
    CHECK(diagnose_run(dir).findings.empty());
  }
  SUBCASE("dead ReLU and saturated sigmoid layers, over the last quarter of logged steps") {
    const fs::path dir = run_dir("dead", mlp_config("relu"), completed());
    write(dir / "activations.csv", activations(8, 0.95));
    Diagnosis d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"dead_relu"});
    CHECK(d.findings[0].layer == 2);
    CHECK(d.findings[0].step == 8);
    write(dir / "activations.csv", activations(8, 0.6));
    CHECK(diagnose_run(dir).findings.empty());
    write(dir / "config.json", mlp_config("sigmoid").dump());
    d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"saturated"});
    CHECK(d.findings[0].value == doctest::Approx(0.6));
    write(dir / "activations.csv", activations(8, 0.4));
    CHECK(diagnose_run(dir).findings.empty());
  }
  SUBCASE("update ratio far from 1e-3, and runs without update_norm") {
    const fs::path dir = run_dir("update", mlp_config("relu"), completed());
    write(dir / "grad_norms.csv", grad_norms(10, 0.5, 5e-6));
    Diagnosis d = diagnose_run(dir);
    REQUIRE(d.findings.size() == 3);  // the W of each of the 3 layers
    CHECK(d.findings[0].rule == "update_small");
    write(dir / "grad_norms.csv", grad_norms(10, 0.5, 0.2));
    d = diagnose_run(dir);
    REQUIRE(d.findings.size() == 3);
    CHECK(d.findings[2].rule == "update_large");
    CHECK(d.findings[2].layer == 3);
    write(dir / "grad_norms.csv", grad_norms(10, 0.5, 0.2, /*with_update=*/false));
    d = diagnose_run(dir);
    CHECK(d.findings.empty());
    bool noted = false;
    for (const auto& s : d.skipped) noted |= s.find("no update_norm column") != std::string::npos;
    CHECK(noted);
  }
  SUBCASE("trivial loss: accuracy and mse baselines") {
    const fs::path dir = run_dir("trivial", mlp_config("relu"), completed(0.52, 0.5));
    Diagnosis d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"trivial_loss"});
    CHECK(d.findings[0].threshold == doctest::Approx(0.55));
    write(dir / "summary.json", completed(0.6, 0.5).dump());
    CHECK(diagnose_run(dir).findings.empty());
    json s = completed();
    s["baseline"] = {{"name", "mse_predict_1"}, {"value", 0.11}};
    write(dir / "summary.json", s.dump());  // test_loss 0.1 > 0.9 x 0.11
    CHECK(rules(diagnose_run(dir)) == std::vector<std::string>{"trivial_loss"});
    s["baseline"]["value"] = 0.2;
    write(dir / "summary.json", s.dump());
    CHECK(diagnose_run(dir).findings.empty());
  }
  SUBCASE("a run that has not finished says so, and why trivial_loss is not checked") {
    // A killed run: summary.json as written when training started (status "running", with no
    // steps, final or baseline), and the rows written so far.
    const fs::path dir = run_dir("running", mlp_config("relu"), {{"status", "running"}});
    write(dir / "metrics.csv", metrics(steady));
    write(dir / "grad_norms.csv", grad_norms(10, 0.5, 1e-3));
    write(dir / "activations.csv", activations(10, 0.5));
    Diagnosis d = diagnose_run(dir);
    CHECK(d.findings.empty());
    REQUIRE(d.skipped.size() == 1);
    CHECK(d.skipped[0].find("trivial_loss: the run has not finished") == 0);
    std::vector<std::string> lines = describe(d);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "the run has not finished (status \"running\": still training, or killed): "
                      "the rules saw only the rows written so far");
    CHECK(lines[1] == "no problems found");
    json s = completed();
    s["status"] = "interrupted";
    write(dir / "summary.json", s.dump());
    d = diagnose_run(dir);
    CHECK(d.skipped.empty());  // an interrupted run has a final evaluation and its baseline
    lines = describe(d);
    CHECK(lines.front() == "the run has not finished (status \"interrupted\"): the rules saw "
                           "only the rows written so far");
  }
  SUBCASE("a diverged run names its step and layer") {
    json s = {{"status", "diverged"},
              {"steps", 7},
              {"diverged", {{"step", 7}, {"loss_nonfinite", false},
                            {"first_nonfinite_layer", 3}, {"first_nonfinite_param", "layers.3.W"}}}};
    const fs::path dir = run_dir("diverged", mlp_config("relu"), s);
    Diagnosis d = diagnose_run(dir);
    REQUIRE(rules(d) == std::vector<std::string>{"diverged"});
    CHECK(d.findings[0].step == 7);
    CHECK(d.findings[0].layer == 3);
    CHECK(to_json(d)["findings"][0]["value"].is_null());
  }
  SUBCASE("not a run directory") {
    const fs::path dir = fresh_dir("diag_empty");
    CHECK_THROWS_AS(diagnose_run(dir), IoError);
  }
}

TEST_CASE("summary.json holds the diagnosis and a classification baseline") {
  const json doc = {{"seed", 1},
                    {"data", {{"type", "moons"}, {"train_size", 64}, {"test_size", 32}}},
                    {"model", {{"type", "mlp"}, {"depth", 1}, {"width", 8}}},
                    {"train", {{"epochs", 2}}}};
  const fs::path dir = fresh_dir("diag_summary");
  Experiment<float> e = build_experiment<float>(parse(doc));
  run_experiment<float>(e, dir, {}, {}, json::object());
  const json summary = json::parse(slurp(dir / "summary.json"));
  REQUIRE(summary.contains("diagnosis"));
  CHECK(summary["diagnosis"]["findings"].is_array());
  CHECK(summary["baseline"]["name"] == "accuracy_most_frequent");
  CHECK(summary["baseline"]["value"].get<double>() >= 0.5);
  CHECK(summary["diagnosis"] == to_json(diagnose_run(dir)));
}
