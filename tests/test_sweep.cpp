// Tests of lib/sweep/sweep and lib/sweep/summarize: the sweep file reader (every kind of error with its path
// and suggestion, all at once), the up-front check of every run's config, the expansion order,
// run names, overrides that read back exactly, run-directory states and the commands they get,
// the manifest, and the summary table on synthesized run directories.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/errors.h"
#include "sweep/summarize.h"
#include "sweep/sweep.h"
#include "sweep_plan.h"
#include "test_util.h"

using namespace nnlab;
using nlohmann::json;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

const fs::path kSweepFile = "/sweeps/here/demo.json";
const std::string kInlineBase =
    R"({"data": {"type": "moons", "train_size": 32, "test_size": 8},
        "model": {"depth": 2, "width": 4}, "train": {"epochs": 1}})";

SweepSpec parse_text(const std::string& text, const std::string& out = "/sweeps/out") {
  return parse_sweep(ordered_json::parse(text), kSweepFile, out);
}

std::vector<ConfigIssue> issues_of(const std::string& text) {
  try {
    expand_sweep(parse_text(text));
  } catch (const ConfigError& e) {
    return e.issues();
  }
  FAIL_CHECK("accepted, but a ConfigError was expected: " << text);
  return {};
}

std::vector<ConfigIssue> validation_issues(const std::string& text) {
  try {
    validate_sweep(expand_sweep(parse_text(text)));
  } catch (const ConfigError& e) {
    return e.issues();
  }
  FAIL_CHECK("every run was accepted, but a ConfigError was expected: " << text);
  return {};
}

void check_issues(const std::vector<ConfigIssue>& issues,
                  const std::vector<std::pair<std::string, std::string>>& expected) {
  CHECK(issues.size() == expected.size());
  for (std::size_t i = 0; i < std::min(issues.size(), expected.size()); ++i) {
    CHECK(issues[i].path == expected[i].first);
    CHECK(issues[i].message == expected[i].second);
  }
}

std::vector<std::string> names(const Sweep& sweep) {
  std::vector<std::string> out;
  for (const auto& run : sweep.runs) out.push_back(run.name);
  return out;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A finished run directory as `nnlab train` writes it (only what summarize reads).
void fake_run(const fs::path& dir, const json& config, const json& summary,
              const std::string& grad_norms = "") {
  write(dir / "config.json", config.dump(2));
  write(dir / "summary.json", summary.dump(2));
  if (!grad_norms.empty()) write(dir / "grad_norms.csv", grad_norms);
}

}  // namespace

TEST_CASE("sweep file: every problem at once, with its path and the likely key") {
  SUBCASE("unknown keys suggest the intended one") {
    check_issues(issues_of(R"({"base": )" + kInlineBase + R"(, "gird": {}, "seed": 3,
                              "_comment": "ignored", "colour": 1})"),
                 {{"gird", "unknown key (did you mean \"grid\"?)"},
                  {"seed", "unknown key (did you mean \"seeds\"?)"},
                  {"colour", "unknown key (known keys: \"name\", \"base\", \"set\", \"grid\", "
                             "\"runs\", \"seeds\", \"out\")"}});
  }
  SUBCASE("base is required and must be a path or an object") {
    check_issues(issues_of(R"({"grid": {"model.depth": [1]}})"),
                 {{"base", "required: the config file every run starts from (a path relative to "
                           "the sweep file) or an inline config object"}});
    check_issues(issues_of(R"({"base": 3})"),
                 {{"base", "expected a config file path (a string, relative to the sweep file) "
                           "or a config (an object), got 3 (an integer)"}});
    const auto issues = issues_of(R"({"base": "no_such_config.json"})");
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == "base");
    CHECK(issues[0].message ==
          "cannot read config file /sweeps/here/no_such_config.json: no such file");
  }
  SUBCASE("wrong types and values in grid, runs, set and seeds") {
    check_issues(
        issues_of(R"({"base": )" + kInlineBase + R"(,
                     "name": "a/b",
                     "set": ["train.epochs=2", "oops"],
                     "grid": {"model.depth": 3, "model.width": [], "model.init": ["he_normal", "xavier_normal", "he_normal"], "model..skip": [1]},
                     "runs": [{"model.skip": 1}, 5, ["model.gain=2", "model.gain=3"]],
                     "seeds": [1, -2, 1],
                     "out": ""})"),
        {{"name", "must not contain '/' (it names one directory, not a path), got \"a/b\" (a string)"},
         {"out", "expected a non-empty string (a directory), got \"\" (a string)"},
         {"set[1]", "expected \"key.path=value\", got \"oops\" (a string)"},
         {"grid.model.depth", "expected a non-empty list of values, got 3 (an integer)"},
         {"grid.model.width", "expected a non-empty list of values, got [] (an array)"},
         {"grid.model.init[2]", "duplicate value \"he_normal\""},
         {"grid.model..skip", "empty segment in key \"model..skip\""},
         {"runs[1]", "expected an object of \"key.path\": value or a list of \"key.path=value\" "
                     "strings, got 5 (an integer)"},
         {"runs[2][1]", "\"model.gain\" is set twice"},
         {"seeds[1]", "expected a non-negative integer, got -2 (an integer)"},
         {"seeds[2]", "duplicate seed 1"}});
  }
  SUBCASE("a number of seeds is 1 ... 100000") {
    check_issues(issues_of(R"({"base": )" + kInlineBase + R"(, "seeds": 0})"),
                 {{"seeds", "expected a number of seeds in [1, 100000] or a list of seeds, got 0"}});
    check_issues(issues_of(R"({"base": )" + kInlineBase + R"(, "seeds": "3"})"),
                 {{"seeds", "expected a number of seeds (seeds 0 ... N-1) or a non-empty list of "
                            "seeds, got \"3\" (a string)"}});
  }
  SUBCASE("a key set in two places is refused") {
    check_issues(issues_of(R"({"base": )" + kInlineBase + R"(,
                              "set": {"model.depth": 1},
                              "grid": {"model.depth": [2, 3], "seed": [1, 2], "model.width": [4]},
                              "runs": [{"model.width": 8}],
                              "seeds": 2})"),
                 {{"grid.model.depth", "\"model.depth\" is also in \"set\""},
                  {"runs[0].model.width", "\"model.width\" is also in \"grid\""},
                  {"grid.seed", "\"seed\" is given by \"seeds\"; set it in one place"}});
  }
  SUBCASE("invalid JSON and missing files") {
    const fs::path dir = test::fresh_dir("sweep_json");
    write(dir / "bad.json", R"({"base": "x.json",)");
    CHECK_THROWS_WITH_AS(read_sweep_file(dir / "bad.json"),
                         doctest::Contains("bad.json: invalid JSON"), ConfigError);
    CHECK_THROWS_WITH_AS(read_sweep_file(dir / "none.json"),
                         doctest::Contains("cannot read sweep file"), ConfigError);
  }
}

TEST_CASE("sweep file: defaults and paths") {
  const fs::path dir = test::fresh_dir("sweep_paths");
  write(dir / "configs" / "base.json", kInlineBase);
  write(dir / "sweeps" / "small.json", R"({"base": "../configs/base.json", "seeds": 2})");
  const SweepSpec spec = read_sweep_file(dir / "sweeps" / "small.json");
  CHECK(spec.name == "small");
  CHECK(spec.base == dir / "configs" / "base.json");
  CHECK_FALSE(spec.inline_base);
  CHECK(spec.base_doc == json::parse(kInlineBase));
  CHECK(spec.seeds == std::vector<std::uint64_t>{0, 1});
  CHECK(spec.out == fs::current_path() / "runs" / "small");  // relative to the current directory
  CHECK(read_sweep_file(dir / "sweeps" / "small.json", "elsewhere/x").out ==
        fs::current_path() / "elsewhere" / "x");

  // An inline base is written into the sweep directory; its relative paths stay those of the
  // sweep file's directory and its name defaults to the sweep's.
  const SweepSpec inline_spec = parse_text(
      R"({"name": "iris_sweep", "base": {"data": {"type": "csv", "path": "../data/iris.csv"},
                                          "model": {"weights": "/abs/w.json"}}})");
  CHECK(inline_spec.inline_base);
  CHECK(inline_spec.base == fs::path("/sweeps/out/base.json"));
  CHECK(inline_spec.base_doc["data"]["path"] == "/sweeps/data/iris.csv");
  CHECK(inline_spec.base_doc["model"]["weights"] == "/abs/w.json");
  CHECK(inline_spec.base_doc["name"] == "iris_sweep");

  // So are relative data.path and model.weights values in overrides; names keep them as written.
  const Sweep paths = expand_sweep(parse_text(R"({"base": )" + kInlineBase + R"(,
      "set": {"model.weights": "w/init.json"},
      "grid": {"data.path": ["../data/a.csv", "/abs/b.csv"]}})"));
  CHECK(run_assignments(paths.spec, paths.runs[0]) ==
        std::vector<std::string>{"model.weights=/sweeps/here/w/init.json",
                                 "data.path=/sweeps/data/a.csv"});
  CHECK(run_assignments(paths.spec, paths.runs[1])[1] == "data.path=/abs/b.csv");
  CHECK(names(paths) == std::vector<std::string>{"path=.._data_a.csv", "path=_abs_b.csv"});
}

TEST_CASE("sweep expansion: runs, then the grid (first key slowest), then seeds") {
  const Sweep sweep = expand_sweep(parse_text(R"({"base": )" + kInlineBase + R"(,
      "set": {"train.epochs": 2},
      "runs": [{"model.activation": "relu", "model.init": "he_normal"}, ["model.activation=tanh"]],
      "grid": {"model.depth": [1, 3], "train.lr": [0.1, 0.01]},
      "seeds": [7, 8]})"));
  CHECK(sweep.keys == std::vector<std::string>{"model.activation", "model.init", "model.depth",
                                                "train.lr"});
  REQUIRE(sweep.runs.size() == 16);
  for (std::size_t i = 0; i < sweep.runs.size(); ++i) CHECK(sweep.runs[i].index == i);
  CHECK(names(sweep) == std::vector<std::string>{
      "activation=relu,init=he_normal,depth=1,lr=0.1,seed=7",
      "activation=relu,init=he_normal,depth=1,lr=0.1,seed=8",
      "activation=relu,init=he_normal,depth=1,lr=0.01,seed=7",
      "activation=relu,init=he_normal,depth=1,lr=0.01,seed=8",
      "activation=relu,init=he_normal,depth=3,lr=0.1,seed=7",
      "activation=relu,init=he_normal,depth=3,lr=0.1,seed=8",
      "activation=relu,init=he_normal,depth=3,lr=0.01,seed=7",
      "activation=relu,init=he_normal,depth=3,lr=0.01,seed=8",
      "activation=tanh,depth=1,lr=0.1,seed=7",
      "activation=tanh,depth=1,lr=0.1,seed=8",
      "activation=tanh,depth=1,lr=0.01,seed=7",
      "activation=tanh,depth=1,lr=0.01,seed=8",
      "activation=tanh,depth=3,lr=0.1,seed=7",
      "activation=tanh,depth=3,lr=0.1,seed=8",
      "activation=tanh,depth=3,lr=0.01,seed=7",
      "activation=tanh,depth=3,lr=0.01,seed=8"});
  CHECK(run_assignments(sweep.spec, sweep.runs[5]) ==
        std::vector<std::string>{"train.epochs=2", "model.activation=relu", "model.init=he_normal",
                                 "model.depth=3", "train.lr=0.1", "seed=8"});
  CHECK(run_assignments(sweep.spec, sweep.runs[8]) ==
        std::vector<std::string>{"train.epochs=2", "model.activation=tanh", "model.depth=1",
                                 "train.lr=0.1", "seed=7"});

  SUBCASE("no grid, runs or seeds: one run named base, the base as is") {
    const Sweep one = expand_sweep(parse_text(R"({"base": )" + kInlineBase + "}"));
    CHECK(names(one) == std::vector<std::string>{"base"});
    CHECK(run_assignments(one.spec, one.runs[0]).empty());
  }
  SUBCASE("a number of seeds is 0 ... N-1") {
    const Sweep seeds = expand_sweep(parse_text(R"({"base": )" + kInlineBase + R"(, "seeds": 3})"));
    CHECK(names(seeds) == std::vector<std::string>{"seed=0", "seed=1", "seed=2"});
  }
}

TEST_CASE("run names: labels, values, uniqueness") {
  SUBCASE("the last component, or the full key when two keys share it") {
    CHECK(key_labels({"model.depth", "model.init"}, true) ==
          std::vector<std::string>{"depth", "init"});
    CHECK(key_labels({"data.seed", "model.depth"}, true) ==
          std::vector<std::string>{"data.seed", "depth"});
    CHECK(key_labels({"data.seed", "model.depth"}, false) ==
          std::vector<std::string>{"seed", "depth"});
    CHECK(key_labels({"data.noise", "extra.noise", "model.width.1"}, false) ==
          std::vector<std::string>{"data.noise", "extra.noise", "width.1"});
    CHECK(key_labels({"seed", "data.seed"}, false) == std::vector<std::string>{"seed", "data.seed"});
  }
  SUBCASE("values: strings bare, the rest as JSON, unsafe characters replaced") {
    const Sweep sweep = expand_sweep(parse_text(R"({"base": )" + kInlineBase + R"(,
        "runs": [{"name": "my run/1", "model.width": [8, 4], "model.batch_norm": true,
                  "train.lr": 1e-05, "data.noise": null}]})"));
    CHECK(sweep.runs[0].name == "name=my_run_1,width=_8_4_,batch_norm=true,lr=1e-05,noise=null");
  }
  SUBCASE("two runs that would share a directory are refused") {
    check_issues(issues_of(R"({"base": )" + kInlineBase + R"(, "grid": {"name": ["a b", "a_b"]}})"),
                 {{"runs", "runs 0 and 1 would share the directory name \"name=a_b\" (their values "
                           "differ only in characters a name cannot hold, or repeat)"}});
    check_issues(issues_of(R"({"base": )" + kInlineBase + R"(,
                              "runs": [{"model.depth": 1}, {"model.depth": 1}]})"),
                 {{"runs", "runs 0 and 1 would share the directory name \"depth=1\" (their values "
                           "differ only in characters a name cannot hold, or repeat)"}});
  }
  SUBCASE("long names are cut and keep a hash of the whole name") {
    const std::string a(190, 'a');
    const Sweep sweep = expand_sweep(parse_text(R"({"base": )" + kInlineBase +
                                                R"(, "grid": {"name": [")" + a + "x\", \"" + a +
                                                R"(y"], "model.depth": [1]}, "seeds": [123456789]})"));
    REQUIRE(sweep.runs.size() == 2);
    for (const auto& run : sweep.runs) {
      CHECK(run.name.size() == 200);
      CHECK(run.name.substr(0, 10) == "name=aaaaa");
      CHECK(run.name[183] == '~');
    }
    CHECK(sweep.runs[0].name != sweep.runs[1].name);
  }
}

TEST_CASE("overrides are written so that --set reads back the same value") {
  for (const char* text : {R"("relu")", R"("3")", R"("true")", R"("null")", R"("")",
                           R"("a b")", R"("x=y")", "3", "0.5", "1e-05", "-2", "true", "null",
                           "[16, 8]", R"({"a": 1})", R"("[1]")"}) {
    CAPTURE(text);
    const Override o{"model.thing", json::parse(text), std::nullopt};
    json doc = json::object();
    apply_override(doc, o.assignment());
    CHECK(doc["model"]["thing"] == o.value);
  }
  CHECK(Override{"model.activation", "relu", {}}.assignment() == "model.activation=relu");
  CHECK(Override{"name", "3", {}}.assignment() == "name=\"3\"");
  CHECK(Override{"model.width", json::parse("[16,8]"), {}}.assignment() == "model.width=[16,8]");
}

TEST_CASE("every run is checked against the base before anything runs") {
  SUBCASE("a typo in a grid key is reported once for the whole sweep") {
    check_issues(validation_issues(R"({"base": )" + kInlineBase + R"(,
                                      "grid": {"model.detph": [2, 4], "train.lr": [0.1, 1]},
                                      "seeds": 3})"),
                 {{"model.detph", "unknown key (did you mean \"depth\"?)"}});
  }
  SUBCASE("a value refused for some runs names how many and one of them") {
    check_issues(validation_issues(R"({"base": )" + kInlineBase + R"(,
                                      "grid": {"model.activation": ["relu", "rellu"], "model.depth": [1, 2]}})"),
                 {{"model.activation",
                   "expected one of \"sigmoid\", \"tanh\", \"relu\", \"leaky_relu\", \"elu\", "
                   "\"identity\"; got \"rellu\" (did you mean \"relu\"?) (2 of 4 runs, e.g. run 2, "
                   "activation=rellu,depth=1)"}});
    check_issues(validation_issues(R"({"base": )" + kInlineBase + R"(,
                                      "runs": [{}, {"model.skip": 5}]})"),
                 {{"model.skip", "expected 0 or a span up to model.depth (2), got 5 (run 1, skip=5)"}});
  }
  SUBCASE("overrides that cannot apply") {
    check_issues(validation_issues(R"({"base": )" + kInlineBase + R"(, "set": ["model.depth.1=3"]})"),
                 {{"model.depth", "--set model.depth.1: cannot set \"1\" inside an integer"}});
  }
  SUBCASE("a good sweep passes, including choices that only some runs allow") {
    CHECK_NOTHROW(validate_sweep(expand_sweep(parse_text(R"({"base": )" + kInlineBase + R"(,
        "runs": [{"train.optimizer": "adam", "train.beta1": 0.8}, {"train.optimizer": "momentum", "train.momentum": 0.5}],
        "grid": {"model.depth": [1, 2]}, "seeds": 2})"))));
  }
}

TEST_CASE("run states, the commands that run them, shell quoting and the manifest") {
  const fs::path dir = test::fresh_dir("sweep_states");
  const Sweep sweep = expand_sweep(parse_text(R"({"base": )" + kInlineBase + R"(,
      "grid": {"name": ["plain", "it's"]}, "seeds": 1})", (dir / "out").string()));
  const SweepSpec& spec = sweep.spec;
  const SweepRun& run = sweep.runs[0];
  const fs::path rd = run_dir(spec, run);
  CHECK(rd == dir / "out" / "name=plain,seed=0");

  CHECK(run_state(rd) == RunState::absent);
  CHECK(train_arguments(spec, run, false) ==
        std::vector<std::string>{"train", (dir / "out" / "base.json").string(), "--set",
                                 "name=plain", "--set", "seed=0", "--out", rd.string()});
  CHECK(plan_run(spec, run).arguments == train_arguments(spec, run, true));
  CHECK(plan_run(spec, run).arguments.back() == "--force");

  fs::create_directories(rd);
  CHECK(run_state(rd) == RunState::absent);  // a directory without config.json starts afresh
  write(rd / "config.json", "{}");
  CHECK(run_state(rd) == RunState::started);  // no summary yet
  CHECK(plan_run(spec, run).arguments ==
        std::vector<std::string>{"train", "--resume", rd.string()});
  for (const auto& [status, state] :
       std::vector<std::pair<std::string, RunState>>{{"running", RunState::started},
                                                     {"interrupted", RunState::started},
                                                     {"completed", RunState::completed},
                                                     {"diverged", RunState::diverged}}) {
    const auto& status_ = status;  // clang 14 cannot capture a structured binding
    CAPTURE(status_);
    write(rd / "summary.json", json{{"status", status}}.dump());
    CHECK(run_state(rd) == state);
  }
  CHECK(plan_run(spec, run).arguments.empty());

  CHECK(shell_quote("plain/path-1.json") == "plain/path-1.json");
  CHECK(shell_quote("name=a,b") == "name=a,b");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("$HOME") == "'$HOME'");
  // Control characters: $'...' with \xHH escapes, so a --list line stays one line.
  CHECK(shell_quote("a\nb 'c' \\") == "$'a\\x0ab \\'c\\' \\\\'");
  CHECK(shell_quote("\t\x7f") == "$'\\x09\\x7f'");
  // A string value with a control character is passed to --set as JSON (its escapes).
  CHECK(Override{"log.dir", "a\nb", std::nullopt}.assignment() == "log.dir=\"a\\nb\"");

  prepare_sweep_dir(sweep);
  CHECK(fs::is_directory(dir / "out" / "logs"));
  const json manifest = json::parse(test::slurp(dir / "out" / "manifest.json"));
  CHECK(manifest["keys"] == json{"name"});
  CHECK(manifest["runs"].size() == 2);
  CHECK(manifest["runs"][1]["name"] == "name=it_s,seed=0");
  CHECK(manifest["runs"][1]["overrides"] == json{"name=it's"});
  CHECK(json::parse(test::slurp(dir / "out" / "base.json")) == spec.base_doc);
  const auto written = fs::last_write_time(dir / "out" / "manifest.json");
  prepare_sweep_dir(sweep);  // unchanged content is not rewritten
  CHECK(fs::last_write_time(dir / "out" / "manifest.json") == written);
}

TEST_CASE("grad_norms.csv figures: first and last layers over the first and last K steps") {
  const fs::path dir = test::fresh_dir("sweep_grad_norms");
  // An MLP of depth 2 (layers 1..3), 5 logged steps; layer 1's W norm is the step, layer 3's is
  // 10x the step, deltas are half of those; b rows must be ignored.
  std::string csv = "step,layer,param,grad_norm,value_norm\n";
  auto w_norm = [](int step, int layer) { return layer == 1 ? step : layer == 3 ? 10 * step : 1000; };
  for (int step : {1, 11, 21, 31, 41}) {
    const std::string s = std::to_string(step) + ",";
    for (int layer = 1; layer <= 3; ++layer) {
      csv += s + std::to_string(layer) + ",W," + std::to_string(w_norm(step, layer)) + ",1\n";
      csv += s + std::to_string(layer) + ",b,99999,1\n";
    }
    for (int layer = 1; layer <= 3; ++layer)
      csv += s + std::to_string(layer) + ",delta," + std::to_string(w_norm(step, layer) / 2.0) + ",\n";
  }
  write(dir / "grad_norms.csv", csv);
  const GradNormFigures g = grad_norm_figures(dir / "grad_norms.csv", 2);
  CHECK(g.layers == 3);
  CHECK(g.logged_steps == 5);
  CHECK(*g.first_layer_grad == doctest::Approx(6.0));       // steps 1, 11
  CHECK(*g.last_layer_grad == doctest::Approx(60.0));
  CHECK(*g.first_layer_delta == doctest::Approx(3.0));
  CHECK(*g.last_layer_delta == doctest::Approx(30.0));
  CHECK(*g.first_layer_grad_end == doctest::Approx(36.0));  // steps 31, 41
  CHECK(*g.last_layer_grad_end == doctest::Approx(360.0));

  const GradNormFigures all = grad_norm_figures(dir / "grad_norms.csv", 100);
  CHECK(*all.first_layer_grad == doctest::Approx(21.0));
  CHECK(*all.first_layer_grad_end == doctest::Approx(21.0));

  SUBCASE("recurrent: layer 1's W_ih, the readout's W") {
    write(dir / "rnn.csv",
          "step,layer,param,grad_norm,value_norm\n"
          "1,1,W_ih,2,1\n1,1,W_hh,50,1\n1,1,b_ih,50,1\n1,2,W,8,1\n1,2,b,50,1\n1,1,delta,1,\n1,2,delta,4,\n"
          "2,1,W_ih,4,1\n2,1,W_hh,50,1\n2,1,b_ih,50,1\n2,2,W,nan,1\n2,2,b,50,1\n2,1,delta,3,\n2,2,delta,6,\n");
    const GradNormFigures r = grad_norm_figures(dir / "rnn.csv", 10);
    CHECK(r.layers == 2);
    CHECK(*r.first_layer_grad == doctest::Approx(3.0));
    CHECK(std::isnan(*r.last_layer_grad));  // a non-finite norm stays visible
    CHECK(*r.first_layer_delta == doctest::Approx(2.0));
    CHECK(*r.last_layer_delta == doctest::Approx(5.0));
  }
  SUBCASE("a header only: no figures") {
    write(dir / "empty.csv", "step,layer,param,grad_norm,value_norm\n");
    const GradNormFigures e = grad_norm_figures(dir / "empty.csv", 10);
    CHECK(e.layers == 0);
    CHECK_FALSE(e.first_layer_grad.has_value());
  }
  SUBCASE("a file without the columns is an error") {
    write(dir / "other.csv", "a,b\n1,2\n");
    CHECK_THROWS_WITH_AS(grad_norm_figures(dir / "other.csv", 10),
                         doctest::Contains("no column \"step\""), IoError);
  }
}

TEST_CASE("summarize: one row per run, varying keys, final figures, quoting") {
  const fs::path dir = test::fresh_dir("sweep_summarize");
  const json base = json::parse(R"({"name": "demo", "seed": 0, "dtype": "float32",
      "model": {"depth": 1, "init": "he_normal", "width": [4]}, "train": {"lr": 0.1}})");
  const std::string norms =
      "step,layer,param,grad_norm,value_norm\n1,1,W,0.5,1\n1,2,W,2,1\n1,1,delta,0.25,\n1,2,delta,1,\n";
  auto config = [&](int depth, const std::string& init, int seed) {
    json c = base;
    c["model"]["depth"] = depth;
    c["model"]["init"] = init;
    c["seed"] = seed;
    return c;
  };
  const json done = json::parse(R"({"status": "completed", "steps": 12, "epochs": 3,
      "final": {"epoch": 3, "train_loss": 0.10000000149011612, "train_accuracy": 0.75,
                "test_loss": 0.2, "test_accuracy": 0.5}, "wall_time_seconds": 1.25})");
  fake_run(dir / "depth=2,init=he_normal,seed=0", config(2, "he_normal", 0), done, norms);
  fake_run(dir / "depth=1,init=xavier_normal,seed=1", config(1, "xavier_normal", 1), done, norms);
  fake_run(dir / "depth=1,init=he_normal,seed=0", config(1, "he_normal", 0),
           json::parse(R"({"status": "running"})"));
  write(dir / "logs" / "x.log", "not a run\n");
  write(dir / "half" / "config.json", "{}");  // no summary.json: not a run

  SUBCASE("without a manifest: the differing keys, sorted") {
    const SummaryTable t = summarize(dir, 10);
    CHECK(t.header == std::vector<std::string>{
        "run", "label", "model.depth", "model.init", "seed", "status", "steps", "epochs", "train_loss",
        "train_accuracy", "test_loss", "test_accuracy", "layers", "first_layer_grad",
        "last_layer_grad", "first_layer_delta", "last_layer_delta", "first_layer_grad_end",
        "last_layer_grad_end", "wall_time_seconds"});
    REQUIRE(t.rows.size() == 3);
    CHECK(t.rows[0] == std::vector<std::string>{"depth=1,init=he_normal,seed=0", "", "1", "he_normal",
                                                "0", "running", "", "", "", "", "", "", "", "",
                                                "", "", "", "", "", ""});
    CHECK(t.rows[2] == std::vector<std::string>{
        "depth=2,init=he_normal,seed=0", "", "2", "he_normal", "0", "completed", "12", "3", "0.1",
        "0.75", "0.2", "0.5", "2", "0.5", "2", "0.25", "1", "0.5", "2", "1.25"});
    const std::string csv = to_csv(t);
    CHECK(csv.find("\n\"depth=1,init=xavier_normal,seed=1\",,1,xavier_normal,1,completed,") !=
          std::string::npos);
  }
  SUBCASE("with a manifest: its keys first, in sweep order, then other differing keys") {
    write(dir / "manifest.json", R"({"keys": ["model.init", "train.lr", "seed"]})");
    const SummaryTable t = summarize(dir, 10);
    CHECK(std::vector<std::string>(t.header.begin(), t.header.begin() + 6) ==
          std::vector<std::string>{"run", "label", "model.init", "train.lr", "model.depth", "seed"});
    CHECK(t.rows[1][3] == "0.1");
  }
  SUBCASE("a run directory given directly is the run \".\"") {
    const SummaryTable t = summarize(dir / "depth=2,init=he_normal,seed=0", 10);
    REQUIRE(t.rows.size() == 1);
    CHECK(t.rows[0][0] == ".");
    CHECK(t.header[2] == "seed");  // one run: nothing differs
  }
  SUBCASE("quoting") {
    SummaryTable t;
    t.header = {"a", "b"};
    t.rows = {{"x,y", "say \"hi\""}, {"", "[1,2]"}};
    CHECK(to_csv(t) == "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n,\"[1,2]\"\n");
  }
  CHECK_THROWS_AS(summarize(dir / "nowhere", 10), IoError);
}

TEST_CASE("summarize: label column, numeric order of key columns, short numbers") {
  const fs::path dir = test::fresh_dir("sweep_summarize_order");
  const json done = json::parse(R"({"status": "completed", "steps": 1, "epochs": 1,
      "final": {"epoch": 1, "train_loss": 0.5}, "wall_time_seconds": 0.12420765350000001})");
  // Means of float64 norms: (0.1 + 0.2) / 2 is 0.15000000000000002 in binary.
  const std::string norms = "step,layer,param,grad_norm,value_norm\n1,1,W,0.1,1\n2,1,W,0.2,1\n"
                            "1,2,W,1,1\n2,2,W,1,1\n";
  for (int depth : {10, 2, 4}) {
    json c = json::parse(R"({"name": "x", "seed": 0, "dtype": "float64", "model": {}})");
    c["model"]["depth"] = depth;
    if (depth == 4) c["label"] = "four layers";
    fake_run(dir / ("depth=" + std::to_string(depth)), c, done, norms);
  }
  const SummaryTable t = summarize(dir, 10);
  REQUIRE(t.rows.size() == 3);
  const auto col = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(t.header.begin(), t.header.end(), name) - t.header.begin());
  };
  CHECK(t.header[1] == "label");
  CHECK(col("model.depth") == 2);
  CHECK(t.rows[0][col("model.depth")] == "2");   // 2, 4, 10: by value, not as text
  CHECK(t.rows[1][col("model.depth")] == "4");
  CHECK(t.rows[2][col("model.depth")] == "10");
  CHECK(t.rows[1][1] == "four layers");
  CHECK(t.rows[0][1] == "");
  CHECK(t.rows[0][col("first_layer_grad")] == "0.15");
  CHECK(t.rows[0][col("wall_time_seconds")] == "0.124208");
}
