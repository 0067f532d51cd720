// Tests of lib/lab/cost: multiply-add counts of forward and backward passes against hand counts for
// small nets, the pass cost of real configs, and the lab measures built on it. Times are only
// checked for sanity (positive, finite): timed tests with tight bounds would be flaky.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "lab/cost.h"
#include "base/errors.h"
#include "lab/lab.h"
#include "sweep/sweep.h"
#include "test_util.h"

using namespace nnlab;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double forward_sum(const std::vector<LayerMacs>& layers) {
  double s = 0;
  for (const auto& m : layers) s += m.forward;
  return s;
}
double backward_sum(const std::vector<LayerMacs>& layers) {
  double s = 0;
  for (const auto& m : layers) s += m.backward();
  return s;
}

}  // namespace

TEST_CASE("multiply-adds of an MLP: hand counts") {
  MlpSpec spec;
  spec.inputs = 3;
  spec.widths = {4, 5};
  spec.outputs = 2;
  const auto layers = mlp_macs(spec, 7);  // B = 7
  REQUIRE(layers.size() == 3);
  // Forward B n_in n_out: 7*3*4 = 84, 7*4*5 = 140, 7*5*2 = 70.
  CHECK(layers[0].type == "dense");
  CHECK(layers[2].type == "output");
  CHECK(layers[0].forward == 84);
  CHECK(layers[1].forward == 140);
  CHECK(layers[2].forward == 70);
  // dW as many as forward in every layer; dL/da_in for every layer but the first.
  CHECK(layers[0].backward_weights == 84);
  CHECK(layers[0].backward_input == 0);
  CHECK(layers[1].backward() == 280);
  CHECK(layers[2].backward() == 140);
  CHECK(forward_sum(layers) == 294);
  CHECK(backward_sum(layers) == 504);  // 2 * 294 - 84
  const auto by_type = macs_by_type(layers);
  REQUIRE(by_type.size() == 2);
  CHECK(by_type[0].type == "dense");
  CHECK(by_type[0].forward == 224);
  CHECK(by_type[0].backward() == 364);
  CHECK(by_type[1].forward == 70);

  SUBCASE("no hidden layer: backward = forward (only dW)") {
    MlpSpec linear;
    linear.inputs = 10;
    linear.outputs = 3;
    const auto l = mlp_macs(linear, 4);
    REQUIRE(l.size() == 1);
    CHECK(l[0].forward == 120);
    CHECK(l[0].backward() == 120);
  }
}

TEST_CASE("multiply-adds of recurrent nets: hand counts") {
  SUBCASE("LSTM, one layer") {
    RecurrentSpec spec;
    spec.cell = ModelType::lstm;
    spec.inputs = 2;
    spec.hidden = {3};
    spec.outputs = 1;
    const auto layers = recurrent_macs(spec, 5, 4, 1);  // B = 5, K = 4, one target step
    REQUIRE(layers.size() == 2);
    CHECK(layers[0].type == "lstm");
    // G = 4 * 3 = 12: forward K B G (in + H) = 4*5*12*5 = 1200.
    CHECK(layers[0].forward == 1200);
    CHECK(layers[0].backward_weights == 1200);
    // dL/dh_(t-1) through W_hh for K - 1 = 3 steps: 3*5*12*3 = 540; no dL/dx for layer 1.
    CHECK(layers[0].backward_input == 540);
    CHECK(layers[1].type == "readout");
    CHECK(layers[1].forward == 15);  // P B H O = 1*5*3*1
    CHECK(layers[1].backward() == 30);
  }
  SUBCASE("GRU, two layers, a target at every step") {
    RecurrentSpec spec;
    spec.cell = ModelType::gru;
    spec.inputs = 2;
    spec.hidden = {3, 4};
    spec.outputs = 1;
    const auto layers = recurrent_macs(spec, 1, 2, 2);  // B = 1, K = 2, P = 2
    REQUIRE(layers.size() == 3);
    CHECK(layers[0].forward == 90);          // 2*1*9*(2+3)
    CHECK(layers[0].backward() == 90 + 27);  // + 1*1*9*3
    CHECK(layers[1].forward == 168);         // 2*1*12*(3+4)
    CHECK(layers[1].backward() == 168 + 48 + 72);  // + (K-1) G H + K G in
    CHECK(layers[2].forward == 8);           // 2*1*4*1
    CHECK(forward_sum(layers) == 266);
    CHECK(backward_sum(layers) == 421);
  }
  SUBCASE("tanh RNN: a gate count of 1") {
    RecurrentSpec spec;
    spec.inputs = 1;
    spec.hidden = {2};
    spec.outputs = 1;
    const auto layers = recurrent_macs(spec, 1, 3, 1);
    CHECK(layers[0].type == "rnn");
    CHECK(layers[0].forward == 18);  // K B G (in + H) = 3*1*2*(1+2)
    CHECK(layers[0].backward() == 18 + 8);  // + (K-1) B G H = 2*1*2*2
  }
}

TEST_CASE("pass cost of a run's config: the counts of its model, sane times") {
  TimingOptions quick;
  quick.warmup = 1;
  quick.min_repeats = 3;
  quick.min_seconds = 0;
  SUBCASE("MLP on blobs") {
    const Config config = test::parse(json::parse(R"({
      "data": {"type": "blobs", "features": 6, "classes": 3, "train_size": 20, "test_size": 0},
      "model": {"depth": 2, "width": 8}, "train": {"batch_size": 16}})"));
    const PassCost cost = pass_cost(config, true, quick);
    CHECK(cost.batch == 16);
    CHECK(cost.forward_macs == 16 * (6 * 8 + 8 * 8 + 8 * 3));
    CHECK(cost.backward_macs == 2 * cost.forward_macs - 16 * 6 * 8);
    CHECK(cost.timed);
    CHECK(cost.repeats >= 3);
    CHECK(cost.forward_seconds > 0);
    CHECK(std::isfinite(cost.backward_seconds / cost.forward_seconds));
    CHECK(cost.backward_seconds > 0);
    const PassCost untimed = pass_cost(config, false);
    CHECK_FALSE(untimed.timed);
    CHECK(untimed.forward_macs == cost.forward_macs);
  }
  SUBCASE("LSTM on the adding problem, truncated") {
    Config config = test::parse(json::parse(R"({
      "data": {"type": "adding", "length": 12, "train_size": 8, "test_size": 0},
      "model": {"type": "lstm", "depth": 1, "width": 5}, "train": {"batch_size": 4, "truncation": 5}})"));
    const PassCost cost = pass_cost(config, true, quick);
    // Chunks [0, 5), [5, 10), [10, 12): the adding task's only target is at T, in the last.
    CHECK(cost.steps == 2);
    CHECK(cost.forward_macs == 2 * 4 * 20 * (2 + 5) + 4 * 5);
    CHECK(cost.backward_macs == 2 * 4 * 20 * (2 + 5) + 1 * 4 * 20 * 5 + 2 * 4 * 5);
    CHECK(cost.backward_seconds > 0);
    config.train.truncation = 0;
    const PassCost full = pass_cost(config, false);
    CHECK(full.steps == 12);
    CHECK(full.forward_macs == 12 * 4 * 20 * 7 + 4 * 5);
  }
}

TEST_CASE("lab measures of pass cost read the run's config.json") {
  const fs::path dir = test::fresh_dir("lab_cost");
  const Config config = test::parse(json::parse(R"({
    "data": {"type": "blobs", "features": 4, "classes": 2, "train_size": 8, "test_size": 0},
    "model": {"depth": 1, "width": 6, "activation": "relu"}, "train": {"batch_size": 8}})"));
  std::ofstream(dir / "config.json") << to_json(config).dump(2);
  LabMeasure m;
  m.kind = LabMeasure::Kind::forward_macs;
  // Two classes: a sigmoid head with one output, so 4-6-1.
  CHECK(measure_run(m, dir) == 8 * (4 * 6 + 6 * 1));
  m.kind = LabMeasure::Kind::backward_macs;
  CHECK(measure_run(m, dir) == 8 * (4 * 6 + 2 * 6 * 1));
  m.kind = LabMeasure::Kind::backward_macs_ratio;
  CHECK(measure_run(m, dir) == doctest::Approx(2.0 - 24.0 / 30.0));  // 2 - n0 n1 / sum
  for (auto kind : {LabMeasure::Kind::backward_time_ratio, LabMeasure::Kind::forward_time,
                    LabMeasure::Kind::backward_time}) {
    m.kind = kind;
    const double x = measure_run(m, dir);
    CHECK(std::isfinite(x));
    CHECK(x > 0);
  }
  std::ofstream(dir / "config.json") << R"({"model": {"widht": 3}})";
  m.kind = LabMeasure::Kind::forward_macs;
  CHECK_THROWS_AS(measure_run(m, dir), IoError);
}

TEST_CASE("labs/backward-cost.json: its multiply-add predictions hold for its runs; changed, they do not") {
  Lab lab = read_lab_file(fs::path(NNLAB_SOURCE_DIR) / "labs" / "backward-cost.json");
  // Only the multiply-add predictions: the timed ones are checked by tests/cli/test_labs.sh.
  std::vector<LabPrediction> counted;
  for (const auto& p : lab.predictions)
    if (p.measure.kind == LabMeasure::Kind::backward_macs_ratio) counted.push_back(p);
  REQUIRE(counted.size() == 4);
  lab.predictions = counted;
  const Sweep sweep = expand_sweep(lab_sweep(lab, true, test::fresh_dir("lab_backward_cost")));
  for (const auto& run : sweep.runs) {
    json doc = sweep.spec.base_doc;
    for (const auto& assignment : run_assignments(sweep.spec, run)) apply_override(doc, assignment);
    const fs::path dir = run_dir(sweep.spec, run);
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << to_json(test::parse(doc)).dump(2);
  }
  LabVerdict v = compute_verdict(lab, sweep);
  CHECK(v.agrees);
  for (const auto& r : v.results) CHECK(r.n >= 1);
  lab.predictions[0].value = 2.0;  // "exactly 2": forgets that layer 1 needs no dL/dx
  v = compute_verdict(lab, sweep);
  CHECK_FALSE(v.agrees);
  CHECK_FALSE(v.results[0].agrees);
  CHECK(v.results[1].agrees);
}
