// End-to-end checks of the numerical core: the chapter's worked example, finite-difference
// gradient checks over every MLP combination, clipping, divergence, determinism, CSV files.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/config.h"
#include "base/csv.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "run/gradcheck.h"
#include "test_util.h"
#include "nn/mlp.h"
#include "base/rng.h"

using namespace nnlab;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace nnlab::test;

namespace {

Config config_file(const std::string& name) {
  return parse(read_config_file(fs::path(NNLAB_SOURCE_DIR) / "configs" / name));
}

template <typename T>
TrainResult run_into(const Config& config, const fs::path& dir) {
  Experiment<T> e = build_experiment<T>(config);
  return run_experiment<T>(e, dir, {}, {}, json::object());
}

}  // namespace

TEST_CASE("the chapter's worked example") {
  const Config config = config_file("worked_example.json");
  Experiment<double> e = build_experiment<double>(config);
  Batch<double> batch;
  batch.x = e.train.x;
  batch.y = e.train.y;
  REQUIRE(batch.size() == 1);

  // The chapter's code, step by step, in double.
  const double x[2] = {0.5, 0.8};
  const double z1[2] = {0.2 * x[0] - 0.4 * x[1] + 0.1, 0.5 * x[0] + 0.1 * x[1] - 0.1};
  const double a1[2] = {std::max(0.0, z1[0]), std::max(0.0, z1[1])};
  const double z2 = 0.3 * a1[0] - 0.2 * a1[1];
  const double a2 = 1 / (1 + std::exp(-z2));
  const double loss = -std::log(a2);
  const double d2 = a2 - 1.0;
  const double d1[2] = {0.3 * d2 * (z1[0] > 0), -0.2 * d2 * (z1[1] > 0)};

  e.model->forward(batch, {0, 1}, true);
  long count = 0;
  const double model_loss = chunk_loss(*e.model, e.head, batch, {0, 1}, true, count);
  e.model->backward(batch, {0, 1});
  auto& p = e.model->params();
  REQUIRE(p.size() == 4);
  CHECK(model_loss == doctest::Approx(loss).epsilon(1e-15));
  CHECK(model_loss == doctest::Approx(0.716412).epsilon(1e-6));
  const Mat<double>& dW1 = p[0].grad;
  const Mat<double>& db1 = p[1].grad;
  const Mat<double>& dW2 = p[2].grad;
  const Mat<double>& db2 = p[3].grad;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) CHECK(dW1(i, j) == doctest::Approx(d1[i] * x[j]).epsilon(1e-15));
    CHECK(db1(i, 0) == doctest::Approx(d1[i]).epsilon(1e-15));
    CHECK(dW2(0, i) == doctest::Approx(d2 * a1[i]).epsilon(1e-15));
  }
  CHECK(db2(0, 0) == doctest::Approx(d2).epsilon(1e-15));
  // The rounded values printed by the chapter's code.
  CHECK(dW1(0, 0) == 0.0);
  CHECK(dW1(0, 1) == 0.0);
  CHECK(dW1(1, 0) == doctest::Approx(0.051150).epsilon(1e-5));
  CHECK(dW1(1, 1) == doctest::Approx(0.081840).epsilon(1e-5));
  CHECK(dW2(0, 0) == 0.0);
  CHECK(dW2(0, 1) == doctest::Approx(-0.117645).epsilon(1e-5));

  SUBCASE("through nnlab train: metrics.csv and grad_norms.csv") {
    const fs::path dir = fresh_dir("worked_example");
    Experiment<double> run = build_experiment<double>(config);
    const TrainResult r = run_experiment<double>(run, dir, {}, {}, json::object());
    CHECK(r.status == RunStatus::completed);
    const auto metrics = read_csv(dir / "metrics.csv");
    REQUIRE(metrics.size() == 2);
    CHECK(std::stod(metrics[1][2]) == doctest::Approx(0.716412).epsilon(1e-6));
    const auto norms = read_csv(dir / "grad_norms.csv");
    std::map<std::string, double> by_name;
    for (std::size_t i = 1; i < norms.size(); ++i)
      by_name[norms[i][1] + "." + norms[i][2]] = std::stod(norms[i][3]);
    CHECK(by_name["1.W"] == doctest::Approx(0.096509).epsilon(1e-5));
    CHECK(by_name["1.b"] == doctest::Approx(0.102300).epsilon(1e-5));
    CHECK(by_name["2.W"] == doctest::Approx(0.117645).epsilon(1e-5));
    CHECK(by_name["2.b"] == doctest::Approx(0.511498).epsilon(1e-5));
    CHECK(by_name["2.delta"] == doctest::Approx(0.511498).epsilon(1e-5));
    CHECK(by_name["1.delta"] == doctest::Approx(0.102300).epsilon(1e-5));
  }
}

TEST_CASE("gradcheck over every activation x init x skip x batch norm x output") {
  const std::vector<std::string> activations{"sigmoid", "tanh",     "relu",
                                             "leaky_relu", "elu", "identity"};
  const std::vector<std::string> inits{"xavier_uniform", "xavier_normal", "he_uniform",
                                       "he_normal",      "lecun_uniform", "lecun_normal",
                                       "orthogonal",     "standard",      "normal",
                                       "uniform"};
  // Each output with data that needs it: two classes, several classes, regression.
  const std::vector<json> datas{
      {{"type", "moons"}, {"train_size", 6}, {"test_size", 0}, {"noise", 0.2}},
      {{"type", "blobs"}, {"classes", 3}, {"features", 3}, {"train_size", 6}, {"test_size", 0}},
      {{"type", "sine"}, {"train_size", 6}, {"test_size", 0}, {"noise", 0.1}}};
  int checked = 0;
  double worst = 0;
  for (const auto& activation : activations)
    for (const auto& init : inits)
      for (int skip : {0, 1, 2})
        for (bool bn : {false, true})
          for (const auto& data : datas) {
            json doc = {{"seed", 7},
                        {"data", data},
                        {"model",
                         {{"depth", 3},
                          {"width", json::array({3, 3, 3})},
                          {"activation", activation},
                          {"init", init},
                          {"skip", skip},
                          {"batch_norm", bn},
                          {"bias_init", 0.1}}},
                        {"train", {{"batch_size", 0}}}};
            if (init == "normal" || init == "uniform") doc["model"]["init_scale"] = 0.5;
            const GradcheckReport report = gradcheck(parse(doc));
            CAPTURE(activation);
            CAPTURE(init);
            CAPTURE(skip);
            CAPTURE(bn);
            CAPTURE(data.dump());
            for (const auto& row : report.rows) {
              INFO(row.name);
              CHECK(report.passed(row, 1e-6, 1e-9));
            }
            worst = std::max(worst, report.worst());
            ++checked;
          }
  CHECK(checked == 6 * 10 * 3 * 2 * 3);
  MESSAGE("gradcheck combinations: " << checked << ", worst relative error " << worst);
}

TEST_CASE("residual connections exist only where widths agree") {
  MlpSpec spec;
  spec.inputs = 4;
  spec.widths = {4, 4, 3, 4, 3};
  spec.skip = 2;
  CHECK(skip_source(spec, 1) == -1);  // l - s < 0
  CHECK(skip_source(spec, 2) == 0);   // the input x (width 4) is added to layer 2
  CHECK(skip_source(spec, 3) == -1);  // width 3 vs layer 1's 4: no connection
  CHECK(skip_source(spec, 4) == 2);
  CHECK(skip_source(spec, 5) == 3);
  spec.skip = 0;
  CHECK(skip_source(spec, 4) == -1);
}

TEST_CASE("clipping scales the update to the threshold") {
  // One full-batch SGD update, clipped and not: the weights after it must be
  // W0 - lr * min(1, tau / ||g||) * g, with g the backprop gradient of the first batch.
  for (double tau : {0.05, 0.0, 1e3}) {
    CAPTURE(tau);
    Config config = parse({{"data", {{"type", "xor"}, {"train_size", 32}, {"test_size", 0}}},
                           {"model", {{"depth", 2}, {"width", 8}}},
                           {"train", {{"epochs", 1}, {"batch_size", 0}, {"shuffle", false},
                                      {"clip_threshold", tau}, {"lr", 0.5}}}});
    Experiment<double> e = build_experiment<double>(config);
    Model<double>& model = *e.model;
    std::vector<Mat<double>> before, grad;
    for (const auto& p : model.params()) before.push_back(p.value);
    // The gradient, computed before training from the same initial weights.
    Batch<double> batch{e.train.x, e.train.y};
    model.forward(batch, {0, 1}, /*training=*/true);
    long count = 0;
    chunk_loss(model, e.head, batch, {0, 1}, /*with_grad=*/true, count);
    model.backward(batch, {0, 1});
    double norm_squares = 0;
    for (const auto& p : model.params()) {
      grad.push_back(p.grad);
      norm_squares += p.grad.squaredNorm();
    }
    const double norm = std::sqrt(norm_squares);
    REQUIRE(norm > 0.05);  // the threshold 0.05 really clips
    const TrainResult r = train<double>(model, e.head, e.train, e.test, e.config.train,
                                        e.config.log, {}, {});
    REQUIRE(r.steps == 1);
    const double scale = tau > 0 && norm > tau ? tau / norm : 1.0;
    double update_squares = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
      const Mat<double> expected = before[i] - 0.5 * scale * grad[i];
      CHECK((model.params()[i].value - expected).cwiseAbs().maxCoeff() < 1e-14);
      update_squares += (model.params()[i].value - before[i]).squaredNorm();
    }
    // The update's norm is lr * tau when clipped, lr * ||g|| otherwise.
    CHECK(std::sqrt(update_squares) ==
          doctest::Approx(0.5 * (tau > 0 ? std::min(tau, norm) : norm)).epsilon(1e-12));
  }
}

TEST_CASE("clipping is logged as the norm before and after") {
  Config config = parse({{"data", {{"type", "xor"}, {"train_size", 32}, {"test_size", 0}}},
                         {"model", {{"depth", 2}, {"width", 8}}},
                         {"train", {{"epochs", 2}, {"clip_threshold", 0.05}, {"lr", 0.5}}}});
  const fs::path dir = fresh_dir("clip");
  run_into<double>(config, dir);
  const auto rows = read_csv(dir / "metrics.csv");
  REQUIRE(rows.size() > 2);
  CHECK(rows[0] == std::vector<std::string>{"step", "epoch", "loss", "grad_norm", "clipped",
                                            "grad_norm_clipped", "lr"});
  int clipped = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double norm = std::stod(rows[i][3]);
    const bool was_clipped = rows[i][4] == "1";
    CHECK(was_clipped == (norm > 0.05));
    CHECK(std::stod(rows[i][5]) == doctest::Approx(was_clipped ? 0.05 : norm).epsilon(1e-12));
    clipped += was_clipped;
  }
  CHECK(clipped > 0);
}

TEST_CASE("a diverging run stops cleanly with its logs intact") {
  Config config = parse({{"data", {{"type", "sine"}, {"train_size", 64}, {"test_size", 16}}},
                         {"model", {{"depth", 3}, {"width", 16}, {"activation", "relu"}}},
                         {"train", {{"epochs", 50}, {"lr", 1e4}, {"batch_size", 16}}}});
  const fs::path dir = fresh_dir("diverge");
  const TrainResult r = run_into<float>(config, dir);
  REQUIRE(r.status == RunStatus::diverged);
  CHECK(r.diverged_step > 0);
  const auto rows = read_csv(dir / "metrics.csv");
  CHECK(static_cast<long>(rows.size()) == r.diverged_step + 1);
  for (const auto& row : rows) CHECK(row.size() == 7);
  const auto& last = rows.back();
  CHECK((last[2] == "nan" || last[2] == "inf" || last[3] == "nan" || last[3] == "inf"));
  const json summary = json::parse(slurp(dir / "summary.json"));
  CHECK(summary["status"] == "diverged");
  CHECK(summary["diverged"]["step"] == r.diverged_step);
  CHECK(fs::exists(dir / "weights.json"));
}

TEST_CASE("a last update that leaves the model non-finite makes the run diverged, not completed") {
  // One full-batch step of lr 1e4 on a wide ReLU net: the step's own loss and gradients are
  // finite, its update is not survivable, and no step follows to notice; the final evaluation
  // does. Found by a hostile test: this run used to end "completed" with a NaN loss.
  Config config = parse({{"data", {{"type", "moons"}, {"train_size", 64}, {"test_size", 32}}},
                         {"model", {{"depth", 6}, {"width", 64}, {"activation", "relu"},
                                    {"gain", 5}}},
                         {"train", {{"epochs", 1}, {"lr", 1e4}, {"batch_size", 0}}}});
  const fs::path dir = fresh_dir("diverge_last");
  const TrainResult r = run_into<float>(config, dir);
  REQUIRE(r.status == RunStatus::diverged);
  CHECK(r.in_final_evaluation);
  CHECK(r.diverged_step == 1);
  const auto metrics = read_csv(dir / "metrics.csv");
  REQUIRE(metrics.size() == 2);
  CHECK(std::isfinite(std::stod(metrics[1][2])));  // the step's own loss was finite
  const json summary = json::parse(slurp(dir / "summary.json"));
  CHECK(summary["status"] == "diverged");
  CHECK(summary["diverged"]["step"] == 1);
  CHECK(summary["diverged"]["in_final_evaluation"] == true);
  CHECK(summary["diagnosis"]["findings"][0]["rule"] == "diverged");
  // A run whose final evaluation is finite is unaffected: the same net at a sane lr completes.
  config.train.lr = 1e-3;
  CHECK(run_into<float>(config, fresh_dir("diverge_last_sane")).status == RunStatus::completed);
}

TEST_CASE("the diverging step has its per-layer rows whatever log.every says") {
  // Each diverging config runs twice: logging every step, and every 1000th. The step at which it
  // diverges must have the same grad_norms.csv (and time_grad_norms.csv) rows in both, and the
  // recomputation must leave the model as it was (weights.json, batch norm buffers included).
  struct Case {
    const char* name;
    json doc;
  };
  const std::vector<Case> cases = {
      {"mlp",
       {{"data", {{"type", "sine"}, {"train_size", 64}, {"test_size", 16}}},
        {"model", {{"depth", 3}, {"width", 16}, {"activation", "relu"}}},
        {"train", {{"epochs", 50}, {"lr", 1e4}, {"batch_size", 16}}}}},
      {"mlp_batch_norm",
       {{"data", {{"type", "sine"}, {"train_size", 64}, {"test_size", 16}}},
        {"model", {{"depth", 3}, {"width", 16}, {"activation", "relu"}, {"batch_norm", true}}},
        {"train", {{"epochs", 50}, {"lr", 1e6}, {"batch_size", 16}}}}},
      {"rnn_truncated",
       {{"data", {{"type", "adding"}, {"length", 12}, {"train_size", 64}, {"test_size", 16}}},
        {"model", {{"type", "rnn"}, {"depth", 1}, {"width", 8}}},
        {"train", {{"epochs", 50}, {"lr", 1e6}, {"batch_size", 16}, {"truncation", 4}}}}}};
  const auto rows_of_step = [](const fs::path& file, long step) {
    std::vector<std::vector<std::string>> out;
    for (const auto& row : read_csv(file))
      if (row[0] == std::to_string(step)) out.push_back(row);
    return out;
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    json every_step = c.doc, rarely = c.doc;
    every_step["log"] = {{"every", 1}};
    rarely["log"] = {{"every", 1000}};
    const fs::path all_dir = fresh_dir(std::string("diverge_all_") + c.name);
    const fs::path dir = fresh_dir(std::string("diverge_rows_") + c.name);
    const TrainResult reference = run_into<double>(parse(every_step), all_dir);
    const TrainResult r = run_into<double>(parse(rarely), dir);
    REQUIRE(r.status == RunStatus::diverged);
    REQUIRE(r.diverged_step > 1);  // a step that log.every skips
    CHECK(reference.diverged_step == r.diverged_step);
    const auto step_rows = rows_of_step(dir / "grad_norms.csv", r.diverged_step);
    CHECK(step_rows.size() == rows_of_step(dir / "grad_norms.csv", 1).size());
    CHECK(step_rows == rows_of_step(all_dir / "grad_norms.csv", r.diverged_step));
    bool nonfinite = false;
    for (const auto& row : step_rows) nonfinite |= row[3] == "nan" || row[3] == "inf";
    CHECK(nonfinite);
    // Only step 1 and the diverging step were logged.
    CHECK(read_csv(dir / "grad_norms.csv").size() == 1 + 2 * step_rows.size());
    if (std::string(c.name) == "rnn_truncated") {
      const auto time_rows = rows_of_step(dir / "time_grad_norms.csv", r.diverged_step);
      CHECK(!time_rows.empty());
      CHECK(time_rows == rows_of_step(all_dir / "time_grad_norms.csv", r.diverged_step));
    }
    CHECK(read_csv(dir / "metrics.csv").back()[0] == std::to_string(r.diverged_step));
    CHECK(slurp(dir / "weights.json") == slurp(all_dir / "weights.json"));
  }
}

TEST_CASE("same config and seed give byte-identical files; another seed differs") {
  auto doc = json{{"seed", 3},
                  {"data", {{"type", "spirals"}, {"train_size", 100}, {"test_size", 50}}},
                  {"model", {{"depth", 3}, {"width", 12}, {"batch_norm", true}, {"skip", 1}}},
                  {"train", {{"epochs", 3}, {"batch_size", 16}, {"optimizer", "adam"}}},
                  {"log", {{"every", 2}}}};
  for (const char* dtype : {"float32", "float64"}) {
    CAPTURE(dtype);
    doc["dtype"] = dtype;
    const fs::path a = fresh_dir("det_a"), b = fresh_dir("det_b"), c = fresh_dir("det_c");
    const Config config = parse(doc);
    if (config.dtype == DType::float32) {
      run_into<float>(config, a);
      run_into<float>(config, b);
    } else {
      run_into<double>(config, a);
      run_into<double>(config, b);
    }
    for (const char* f : {"metrics.csv", "grad_norms.csv", "activations.csv", "eval.csv",
                          "weights.json", "config.json"}) {
      CAPTURE(f);
      CHECK(slurp(a / f) == slurp(b / f));
    }
    json other = doc;
    other["seed"] = 4;
    run_into<double>(parse(other), c);
    CHECK(slurp(a / "metrics.csv") != slurp(c / "metrics.csv"));
  }
}

TEST_CASE("log.every changes no number of training, for every optimizer and dtype") {
  // A logged step takes ||dW|| inside the optimizer by another code path (optimizer.cpp); the
  // weights it makes must be the ones an unlogged step makes, bit for bit.
  for (const char* optimizer : {"sgd", "momentum", "nesterov", "adam"})
    for (const char* dtype : {"float32", "float64"})
      for (const double weight_decay : {0.0, 1e-3}) {
        CAPTURE(optimizer);
        CAPTURE(dtype);
        CAPTURE(weight_decay);
        const auto doc = [&](int every) {
          return json{{"seed", 5}, {"dtype", dtype},
                      {"data", {{"type", "moons"}, {"train_size", 64}, {"test_size", 0}}},
                      {"model", {{"depth", 3}, {"width", 8}}},
                      {"train", {{"epochs", 3}, {"batch_size", 16}, {"optimizer", optimizer},
                                 {"lr", 0.1}, {"clip_threshold", 0.5},
                                 {"weight_decay", weight_decay}}},
                      {"log", {{"every", every}}}};
        };
        const fs::path a = fresh_dir("every_1"), b = fresh_dir("every_3");
        if (std::string(dtype) == "float32") {
          run_into<float>(parse(doc(1)), a);
          run_into<float>(parse(doc(3)), b);
        } else {
          run_into<double>(parse(doc(1)), a);
          run_into<double>(parse(doc(3)), b);
        }
        CHECK(slurp(a / "metrics.csv") == slurp(b / "metrics.csv"));
        CHECK(slurp(a / "weights.json") == slurp(b / "weights.json"));
      }
}

TEST_CASE("CSV schemas and number formatting") {
  SUBCASE("shortest round trip, pandas-readable non-finite values") {
    std::string s;
    append_number(s, 0.1f);
    CHECK(s == "0.1");
    s.clear();
    append_number(s, 0.1);
    CHECK(s == "0.1");
    s.clear();
    append_number(s, 1.0 / 3.0);
    CHECK(std::stod(s) == 1.0 / 3.0);
    s.clear();
    append_number(s, std::nan(""));
    CHECK(s == "nan");
    s.clear();
    append_number(s, -std::numeric_limits<double>::infinity());
    CHECK(s == "-inf");
    s.clear();
    append_number(s, std::numeric_limits<float>::infinity());
    CHECK(s == "inf");
  }
  SUBCASE("headers and row shapes of every file") {
    Config config = parse({{"data", {{"type", "blobs"}, {"train_size", 30}, {"test_size", 10}}},
                           {"model", {{"depth", 2}, {"width", 5}, {"batch_norm", true}}},
                           {"train", {{"epochs", 2}, {"batch_size", 8}}},
                           {"log", {{"every", 3}}}});
    const fs::path dir = fresh_dir("schema");
    run_into<float>(config, dir);
    const auto grad = read_csv(dir / "grad_norms.csv");
    CHECK(grad[0] == std::vector<std::string>{"step", "layer", "param", "grad_norm", "value_norm",
                                              "update_norm"});
    // 8 steps (4 per epoch), rows at steps 1, 4, 7; per step: 2 hidden layers x (W, b, gamma,
    // beta, delta) + output (W, b, delta).
    CHECK(grad.size() == 1 + 3 * (2 * 5 + 3));
    CHECK(grad[1] == std::vector<std::string>{"1", "1", "W", grad[1][3], grad[1][4], grad[1][5]});
    std::set<std::string> steps;
    for (std::size_t i = 1; i < grad.size(); ++i) {
      steps.insert(grad[i][0]);
      CHECK(grad[i].size() == 6);
      CHECK((grad[i][2] == "delta") == grad[i][4].empty());
      CHECK((grad[i][2] == "delta") == grad[i][5].empty());
    }
    CHECK(steps == std::set<std::string>{"1", "4", "7"});
    const auto act = read_csv(dir / "activations.csv");
    CHECK(act[0] == std::vector<std::string>{"step", "layer", "mean", "std", "saturated"});
    CHECK(act.size() == 1 + 3 * 2);
    const auto eval = read_csv(dir / "eval.csv");
    CHECK(eval[0] == std::vector<std::string>{"epoch", "step", "train_loss", "train_accuracy",
                                              "test_loss", "test_accuracy"});
    REQUIRE(eval.size() == 4);  // epochs 0, 1, 2
    CHECK(eval[3][0] == "2");
    CHECK(eval[3][1] == "8");
    const json summary = json::parse(slurp(dir / "summary.json"));
    CHECK(summary["status"] == "completed");
    CHECK(summary["steps"] == 8);
    CHECK(summary["final"]["test_accuracy"].is_number());
  }
  SUBCASE("regression leaves accuracy empty") {
    Config config = parse({{"data", {{"type", "sine"}, {"train_size", 20}, {"test_size", 0}}},
                           {"train", {{"epochs", 1}}}});
    const fs::path dir = fresh_dir("regression");
    run_into<float>(config, dir);
    const auto eval = read_csv(dir / "eval.csv");
    REQUIRE(eval.size() == 3);
    CHECK(eval[1].size() == 6);
    CHECK(eval[1][3].empty());
    CHECK(eval[1][4].empty());
    CHECK(eval[1][5].empty());
  }
}

TEST_CASE("weights.json round-trips and is refused when it does not fit") {
  Config config = parse({{"data", {{"type", "moons"}, {"train_size", 20}, {"test_size", 0}}},
                         {"model", {{"depth", 2}, {"width", 4}, {"batch_norm", true}}},
                         {"train", {{"epochs", 1}, {"batch_size", 5}}}});
  const fs::path dir = fresh_dir("weights");
  run_into<float>(config, dir);
  Config again = config;
  again.model.weights = (dir / "weights.json").string();
  Experiment<float> e = build_experiment<float>(again);
  Experiment<float> first = build_experiment<float>(config);
  const json saved = json::parse(slurp(dir / "weights.json"));
  CHECK(saved["tensors"]["layers.1.running_var"].size() == 4);
  CHECK(e.model->params()[0].value != first.model->params()[0].value);  // trained, not initial
  CHECK(e.model->params()[0].value(0, 0) ==
        static_cast<float>(saved["tensors"]["layers.1.W"][0][0].get<double>()));

  Config wrong = again;
  wrong.model.width = {5, 4};
  CHECK_THROWS_WITH_AS(build_experiment<float>(wrong),
                       doctest::Contains("layers.1.W: expected 5 rows of 2 numbers"), ConfigError);
  wrong = again;
  wrong.model.depth = 1;
  wrong.model.width = {4};
  CHECK_THROWS_WITH_AS(build_experiment<float>(wrong),
                       doctest::Contains("layers.2.W: expected 1 rows of 4 numbers"), ConfigError);
  wrong = again;
  wrong.model.batch_norm = false;
  CHECK_THROWS_WITH_AS(build_experiment<float>(wrong),
                       doctest::Contains("unexpected tensor \"layers.1.beta\""), ConfigError);
}

TEST_CASE("the random number generator is xoshiro256** seeded by splitmix64") {
  Rng rng(42);
  CHECK(rng.next_u64() == 0x15780b2e0c2ec716ULL);
  CHECK(rng.next_u64() == 0x6104d9866d113a7eULL);
  CHECK(rng.next_u64() == 0xae17533239e499a1ULL);
  Rng u(1);
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < 100000; ++i) {
    const double z = u.normal();
    sum += z;
    sum_sq += z * z;
  }
  CHECK(std::abs(sum / 100000) < 0.02);
  CHECK(std::abs(sum_sq / 100000 - 1) < 0.02);
  CHECK(derive_seed(5, "init") != derive_seed(5, "data"));
}

TEST_CASE("normals follow N(0, 1): moments, tails and the ziggurat's layer edges") {
  // Chi-square of 4 M draws against Phi over 200 bins of [-5, 5] and the two tails beyond: a
  // wrong table, a biased sign or a faulty wedge or tail test (the ziggurat's slow paths: 1.2%
  // of draws) would stand out. The threshold is the 1e-6 quantile for 201 degrees of freedom.
  const int n = 4'000'000, bins = 200;
  const double lo = -5.0, width = 0.05;
  std::vector<double> count(bins + 2, 0.0);
  Rng rng(2024);
  double sum = 0, sum2 = 0, sum4 = 0, beyond_r = 0;
  for (int k = 0; k < n; ++k) {
    const double z = rng.normal();
    sum += z;
    sum2 += z * z;
    sum4 += z * z * z * z;
    if (std::abs(z) > 3.6541528853610088) ++beyond_r;  // drawn by the tail method
    const double b = std::floor((z - lo) / width);
    count[b < 0 ? 0 : b >= bins ? bins + 1 : static_cast<std::size_t>(b) + 1] += 1;
  }
  const auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  double chi2 = 0;
  for (int b = 0; b < bins + 2; ++b) {
    const double a = b == 0 ? -INFINITY : lo + (b - 1) * width;
    const double c = b == bins + 1 ? INFINITY : lo + b * width;
    const double expected = n * (cdf(c) - cdf(a));
    chi2 += (count[b] - expected) * (count[b] - expected) / expected;
  }
  CHECK(chi2 < 311.0);
  CHECK(std::abs(sum / n) < 5.0 / std::sqrt(n));                  // mean 0 (5 standard errors)
  CHECK(std::abs(sum2 / n - 1.0) < 5.0 * std::sqrt(2.0 / n));     // variance 1
  CHECK(std::abs(sum4 / n - 3.0) < 5.0 * std::sqrt(96.0 / n));    // kurtosis 3
  const double p_tail = 2.0 * (1.0 - cdf(3.6541528853610088));    // 2.6e-4
  CHECK(std::abs(beyond_r - n * p_tail) < 5.0 * std::sqrt(n * p_tail));
  // A known sequence, so that a change to the generator is a decision, not an accident.
  Rng fixed(7);
  CHECK(fixed.normal() == 0x1.cb21158cec56ep-1);
  CHECK(fixed.normal() == 0x1.3ba9ce0d47f75p-1);
  CHECK(fixed.normal() == -0x1.6ae0f9d996bc2p+0);
  // The bulk draw of the initialisers is the same sequence (slow paths included), scaled and
  // rounded once, and leaves the generator where a loop of normal() would.
  Rng one(11), bulk(11), bulk_float(11);
  std::vector<double> d(100'000);
  std::vector<float> f(100'000);
  bulk.normals(d.data(), d.size(), 0.5);
  bulk_float.normals(f.data(), f.size(), 0.5);
  bool same = true;
  for (std::size_t k = 0; k < d.size(); ++k) {
    const double z = 0.5 * one.normal();
    same = same && d[k] == z && f[k] == static_cast<float>(z);
  }
  CHECK(same);
  const std::uint64_t next = one.next_u64();
  CHECK(bulk.next_u64() == next);
  CHECK(bulk_float.next_u64() == next);
}
