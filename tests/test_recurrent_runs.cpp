// Recurrent nets through the whole stack: gradcheck over every cell, activation, depth, output
// and truncation; truncated-BPTT step counts and time_grad_norms.csv; vanishing gradients across
// time for a tanh RNN against an LSTM; weights and determinism.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/config.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "run/gradcheck.h"
#include "test_util.h"
#include "nn/rnn.h"

using namespace nnlab;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace nnlab::test;

namespace {

TrainResult run_into(const Config& config, const fs::path& dir) {
  Experiment<double> e = build_experiment<double>(config);
  return run_experiment<double>(e, dir, {}, {}, json::object());
}

}  // namespace

TEST_CASE("gradcheck over every recurrent cell, activation, depth, task and truncation") {
  struct Cell {
    std::string type, activation;
  };
  std::vector<Cell> cells;
  for (const char* a : {"tanh", "relu", "identity", "sigmoid", "leaky_relu", "elu"})
    cells.push_back({"rnn", a});
  cells.push_back({"lstm", ""});
  cells.push_back({"gru", ""});
  // Regression at the last step, classification at the last step, classification at several
  // steps (copy's recall), regression at every step.
  const std::vector<json> tasks{
      {{"type", "adding"}, {"length", 7}, {"train_size", 3}, {"test_size", 0}},
      {{"type", "temporal_order"}, {"length", 7}, {"train_size", 3}, {"test_size", 0}},
      {{"type", "copy"}, {"length", 2}, {"pattern_length", 2}, {"symbols", 3},
       {"train_size", 3}, {"test_size", 0}},
      {{"type", "sine"}, {"length", 6}, {"train_size", 3}, {"test_size", 0}}};
  int checked = 0;
  for (const auto& cell : cells)
    for (int depth : {1, 2})
      for (const auto& task : tasks)
        for (int truncation : {0, 3}) {
          json doc = {{"seed", 5},
                      {"data", task},
                      {"model", {{"type", cell.type}, {"depth", depth}, {"width", 3},
                                 {"bias_init", 0.1}}},  // no unit exactly at ReLU's kink
                      {"train", {{"batch_size", 3}, {"truncation", truncation}}}};
          if (!cell.activation.empty()) doc["model"]["activation"] = cell.activation;
          if (cell.activation == "relu" || cell.activation == "identity")
            doc["model"]["recurrent_gain"] = 0.5;  // keep the products of Jacobians tame
          const GradcheckReport report = gradcheck(parse(doc));
          CAPTURE(cell.type);
          CAPTURE(cell.activation);
          CAPTURE(depth);
          CAPTURE(truncation);
          CAPTURE(task.dump());
          REQUIRE(!report.rows.empty());
          for (const auto& row : report.rows) {
            INFO(row.name);
            CHECK(report.passed(row, 1e-6, 1e-9));
          }
          ++checked;
        }
  CHECK(checked == 8 * 2 * 4 * 2);
}

TEST_CASE("recurrent init schemes pass gradcheck and set what they promise") {
  for (const char* scheme : {"orthogonal", "identity", "xavier_uniform", "normal"}) {
    CAPTURE(scheme);
    json doc = {{"data", {{"type", "adding"}, {"length", 5}, {"train_size", 4}, {"test_size", 0}}},
                {"model", {{"type", "rnn"}, {"activation", "relu"}, {"depth", 1}, {"width", 4},
                           {"recurrent_init", scheme}, {"recurrent_gain", 0.9}}},
                {"train", {{"batch_size", 4}}}};
    if (std::string(scheme) == "normal") doc["model"]["recurrent_init_scale"] = 0.3;
    CHECK(gradcheck(parse(doc)).passed(1e-6, 1e-9));
    Experiment<double> e = build_experiment<double>(parse(doc));
    const Mat<double>& w_hh = e.model->params()[1].value;
    REQUIRE(e.model->params()[1].name == "layers.1.W_hh");
    if (std::string(scheme) == "identity")
      CHECK(w_hh.isApprox(0.9 * Mat<double>::Identity(4, 4)));
    if (std::string(scheme) == "orthogonal")
      CHECK((w_hh.transpose() * w_hh).isApprox(0.81 * Mat<double>::Identity(4, 4), 1e-12));
  }
  json doc = {{"data", {{"type", "adding"}, {"length", 5}, {"train_size", 4}, {"test_size", 0}}},
              {"model", {{"type", "rnn"}, {"depth", 1}, {"width", 6}, {"recurrent_init", "normal"},
                         {"recurrent_init_scale", 1.0}, {"spectral_radius", 1.1}}}};
  Experiment<double> e = build_experiment<double>(parse(doc));
  CHECK(spectral_radius(e.model->params()[1].value) == doctest::Approx(1.1).epsilon(1e-9));
}

TEST_CASE("truncated BPTT: one update per chunk with a target, time rows per chunk") {
  // length 10 in chunks of 4: [0,4) [4,8) [8,10); sine has targets at every step.
  Config config = parse({{"seed", 2},
                         {"data", {{"type", "sine"}, {"length", 10}, {"train_size", 8},
                                   {"test_size", 4}}},
                         {"model", {{"type", "gru"}, {"depth", 2}, {"width", 4}}},
                         {"train", {{"epochs", 2}, {"batch_size", 4}, {"truncation", 4}}},
                         {"log", {{"every", 1}}}});
  const fs::path dir = fresh_dir("r_tbptt");
  const TrainResult r = run_into(config, dir);
  CHECK(r.steps == 2 * 2 * 3);  // epochs x batches x chunks
  const auto time = read_csv(dir / "time_grad_norms.csv");
  CHECK(time[0] == std::vector<std::string>{"step", "layer", "t", "grad_norm"});
  std::map<std::string, std::vector<int>> ts;  // "step/layer" -> t values
  for (std::size_t i = 1; i < time.size(); ++i)
    ts[time[i][0] + "/" + time[i][1]].push_back(std::stoi(time[i][2]));
  CHECK(ts["1/1"] == std::vector<int>{1, 2, 3, 4});
  CHECK(ts["2/2"] == std::vector<int>{5, 6, 7, 8});
  CHECK(ts["3/1"] == std::vector<int>{9, 10});
  CHECK(ts.size() == 12 * 2);

  // The adding task has its target at the last step only: chunks before it only carry state.
  config = parse({{"data", {{"type", "adding"}, {"length", 10}, {"train_size", 8}, {"test_size", 0}}},
                  {"model", {{"type", "lstm"}, {"depth", 1}, {"width", 4}}},
                  {"train", {{"epochs", 1}, {"batch_size", 4}, {"truncation", 4}}}});
  const fs::path dir2 = fresh_dir("r_tbptt_adding");
  CHECK(run_into(config, dir2).steps == 2);  // one update per batch, from the last chunk
  const auto time2 = read_csv(dir2 / "time_grad_norms.csv");
  REQUIRE(time2.size() == 1 + 2 * 2);
  CHECK(time2[1][2] == "9");
  CHECK(time2[2][2] == "10");
}

TEST_CASE("vanishing gradients across time: a tanh RNN against an LSTM") {
  // Loss at the last of 40 steps only; ||dL/dh_t|| at the first step relative to the last.
  auto ratio = [](const std::string& type) {
    json doc = {{"seed", 3},
                {"data", {{"type", "adding"}, {"length", 40}, {"train_size", 32}, {"test_size", 0}}},
                {"model", {{"type", type}, {"depth", 1}, {"width", 32}}},
                {"train", {{"epochs", 1}, {"batch_size", 32}}}};
    if (type == "rnn") doc["model"]["recurrent_gain"] = 0.8;
    if (type == "lstm") doc["model"]["forget_bias"] = 3.0;
    const fs::path dir = fresh_dir("r_vanish_" + type);
    run_into(parse(doc), dir);
    const auto rows = read_csv(dir / "time_grad_norms.csv");
    REQUIRE(rows.size() == 41);
    std::vector<double> norms;
    for (std::size_t i = 1; i < rows.size(); ++i) norms.push_back(std::stod(rows[i][3]));
    return norms.front() / norms.back();
  };
  const double rnn = ratio("rnn"), lstm = ratio("lstm");
  MESSAGE("||dL/dh_1|| / ||dL/dh_40||: tanh rnn " << rnn << ", lstm " << lstm);
  CHECK(rnn < 1e-3);
  CHECK(lstm > 1e3 * rnn);
}

TEST_CASE("recurrent weights files, determinism and config errors") {
  json doc = {{"seed", 4},
              {"data", {{"type", "temporal_order"}, {"length", 12}, {"train_size", 16}, {"test_size", 8}}},
              {"model", {{"type", "lstm"}, {"depth", 2}, {"width", 5}}},
              {"train", {{"epochs", 2}, {"batch_size", 8}, {"truncation", 5}, {"optimizer", "adam"}}}};
  const fs::path a = fresh_dir("rdet_a"), b = fresh_dir("rdet_b");
  run_into(parse(doc), a);
  run_into(parse(doc), b);
  for (const char* f : {"metrics.csv", "grad_norms.csv", "time_grad_norms.csv", "eval.csv",
                        "activations.csv", "weights.json"}) {
    CAPTURE(f);
    CHECK(slurp(a / f) == slurp(b / f));
  }
  const json weights = json::parse(slurp(a / "weights.json"));
  CHECK(weights["tensors"]["layers.2.W_hh"].size() == 20);     // (4H, H) = (20, 5)
  CHECK(weights["tensors"]["layers.2.W_hh"][0].size() == 5);
  CHECK(weights["tensors"]["out.W"].size() == 4);               // four classes
  json again = doc;
  again["model"]["weights"] = (a / "weights.json").string();
  Experiment<double> loaded = build_experiment<double>(parse(again));
  CHECK(loaded.model->params()[0].value(0, 0) ==
        weights["tensors"]["layers.1.W_ih"][0][0].get<double>());

  auto issues_of = [](json d) {
    try {
      parse(d);
    } catch (const ConfigError& e) {
      return e.issues();
    }
    return std::vector<ConfigIssue>{};
  };
  auto bad = issues_of({{"model", {{"type", "lstm"}, {"activation", "relu"}, {"skip", 1}}},
                        {"data", {{"type", "moons"}}}});
  REQUIRE(bad.size() == 3);
  CHECK(bad[0].path == "model.skip");
  CHECK(bad[1].path == "model.activation");
  CHECK(bad[2].path == "data.type");
  bad = issues_of({{"model", {{"type", "mlp"}}}, {"data", {{"type", "copy"}}},
                   {"train", {{"truncation", 5}}}});
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].path == "train.truncation");
  CHECK(bad[1].message == "\"copy\" is a sequence task; use model.type rnn, lstm or gru");
}
