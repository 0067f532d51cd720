// nnlab predict's library side (a run's own data gives the trainer's loss and accuracy exactly;
// CSV features standardised as training did) and the default names of runs started with --set.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "run/predict.h"
#include "sweep/sweep.h"
#include "test_util.h"

using namespace nnlab;
using namespace nnlab::test;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("default run names show the --set overrides") {
  CHECK(default_run_name("quickstart", {}) == "quickstart");
  CHECK(default_run_name("quickstart", {"model.depth=8", "model.init=he_normal"}) ==
        "quickstart_depth=8,init=he_normal");
  // A key set twice: its first place, its last value.
  CHECK(default_run_name("q", {"train.lr=0.1", "seed=2", "train.lr=0.5"}) == "q_lr=0.5,seed=2");
  // Same leaf under two parents: the full keys; array indices keep their key.
  CHECK(default_run_name("q", {"model.init=he_normal", "model.recurrent_init=orthogonal"}) ==
        "q_init=he_normal,recurrent_init=orthogonal");
  CHECK(default_run_name("q", {"model.width.1=3"}) == "q_width.1=3");
  // Filesystem-safe: no '/', spaces or control characters from values.
  const std::string unsafe = default_run_name("q", {"data.path=../a b/c\x01.csv"});
  CHECK(unsafe == "q_path=.._a_b_c_.csv");
  // Long: cut to 96 bytes ending in ~ and 8 hex digits, different overrides stay different.
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back("model.width." + std::to_string(i) + "=" + std::to_string(100 + i));
  const std::string a = default_run_name("quickstart", many);
  many.back() = "model.width.19=999";
  const std::string b = default_run_name("quickstart", many);
  CHECK(a.size() == 96);
  CHECK(a[87] == '~');
  CHECK(a != b);
  CHECK(a.substr(0, 87) == b.substr(0, 87));
}

TEST_CASE("predict on a run's own data gives its final evaluation exactly") {
  for (const char* dtype : {"float64", "float32"}) {
    CAPTURE(dtype);
    const json doc = {{"dtype", dtype},
                      {"seed", 4},
                      {"data", {{"type", "csv"}, {"path", "../data/iris.csv"}, {"target", "species"}}},
                      {"model", {{"depth", 2}, {"width", 8}, {"batch_norm", true}}},
                      {"train", {{"epochs", 5}, {"batch_size", 16}, {"optimizer", "adam"}, {"lr", 0.01}}}};
    const fs::path dir = fresh_dir(std::string("predict_") + dtype);
    const Config config = parse(doc);
    TrainResult r;
    if (config.dtype == DType::float64) {
      Experiment<double> e = build_experiment<double>(config);
      r = run_experiment<double>(e, dir, {}, {}, json::object());
    } else {
      Experiment<float> e = build_experiment<float>(config);
      r = run_experiment<float>(e, dir, {}, {}, json::object());
    }
    REQUIRE(r.status == RunStatus::completed);
    PredictRequest request;
    request.source = PredictSource::both;
    const Predictions p = predict_run(dir, request);
    REQUIRE(p.splits.size() == 2);
    CHECK(p.splits[0].loss == r.last_eval.train_loss);
    CHECK(p.splits[0].accuracy == r.last_eval.train_accuracy);
    CHECK(p.splits[1].loss == r.last_eval.test_loss);
    CHECK(p.splits[1].accuracy == r.last_eval.test_accuracy);
    // The written probabilities give the same loss (to the dtype's precision).
    double loss = 0;
    const PredictSplit& s = p.splits[0];
    for (Eigen::Index j = 0; j < s.x.cols(); ++j)
      loss -= std::log(s.outputs(static_cast<Eigen::Index>(s.y(0, j)), j));
    loss /= static_cast<double>(s.x.cols());
    CHECK(loss == doctest::Approx(r.last_eval.train_loss).epsilon(
                      config.dtype == DType::float64 ? 1e-12 : 1e-5));
    // The raw features written back and read as a CSV: the same probabilities, bit for bit.
    const fs::path csv = dir / "features.csv";
    {
      std::ofstream out(csv);
      out << predictions_csv(p);
    }
    request.source = PredictSource::file;
    request.data = csv;
    // predictions_csv of both splits has a split column: not a feature, refused.
    CHECK_THROWS_AS(predict_run(dir, request), DataError);
    request.source = PredictSource::train;
    const Predictions train_only = predict_run(dir, request);
    {
      std::ofstream out(csv);
      out << predictions_csv(train_only);
    }
    // p_0.. and predicted columns are not features either: keep the features and target only.
    {
      std::ifstream in(csv);
      std::string text, line;
      while (std::getline(in, line)) {
        std::size_t cut = 0;
        for (int commas = 0; commas < 5 && cut != std::string::npos; ++commas)
          cut = line.find(',', cut + (commas ? 1 : 0));
        text += line.substr(0, cut) + "\n";
      }
      std::ofstream out(csv);
      out << text;
    }
    request.source = PredictSource::file;
    const Predictions again = predict_run(dir, request);
    CHECK(again.splits[0].outputs == train_only.splits[0].outputs);
  }
}

TEST_CASE("predict refuses what it cannot apply") {
  const fs::path dir = fresh_dir("predict_refusals");
  PredictRequest request;
  CHECK_THROWS_AS(predict_run(dir / "missing", request), ConfigError);
  CHECK_THROWS_AS(predict_run(dir, request), ConfigError);  // no config.json
}
