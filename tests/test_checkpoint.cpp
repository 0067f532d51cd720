// Checkpoints and resumption: a run stopped after any step and resumed from its checkpoint ends
// with the same bytes in every CSV file and in weights.json as a run that was never stopped, for
// every model kind, optimizer state, batch norm buffers and a truncated-BPTT state carried across
// chunks; damaged or mismatched checkpoints are refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "run/checkpoint.h"
#include "config/config.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "base/files.h"
#include "run/run_dir.h"
#include "test_util.h"

using namespace nnlab;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace nnlab::test;

namespace {

const char* kCompared[] = {"metrics.csv", "grad_norms.csv", "activations.csv", "eval.csv",
                           "time_grad_norms.csv", "weights.json", "grad_quantiles.csv"};

template <typename T>
TrainResult run(const Config& config, const fs::path& dir, long stop_after, bool resume) {
  Experiment<T> e = build_experiment<T>(config);
  TrainOptions options;
  long updates = 0;
  if (stop_after > 0) options.stop_requested = [&] { return ++updates >= stop_after; };
  return run_experiment<T>(e, dir, options, {}, json::object(), resume);
}

// Stops the run after `stop_after` updates, resumes it, and compares with `reference`.
template <typename T>
void check_resume_matches(const Config& config, const fs::path& reference, long stop_after,
                          const std::string& name) {
  const fs::path dir = fresh_dir(name);
  const TrainResult first = run<T>(config, dir, stop_after, false);
  REQUIRE(first.status == RunStatus::interrupted);
  REQUIRE(first.steps == stop_after);
  REQUIRE(fs::exists(dir / kCheckpointFile));
  const TrainResult second = run<T>(config, dir, 0, true);
  REQUIRE(second.status == RunStatus::completed);
  for (const char* file : kCompared) {
    if (!fs::exists(reference / file)) continue;
    INFO("stopped after " << stop_after << " updates: " << file);
    CHECK(slurp(dir / file) == slurp(reference / file));
  }
  const json summary = json::parse(slurp(dir / "summary.json"));
  CHECK(summary["status"] == "completed");
  CHECK(summary["resumed"].size() == 1);
  CHECK(summary["resumed"][0]["at_step"] == stop_after);
}

template <typename T>
void check_every_stop(const json& doc, const std::string& name, long stride = 1) {
  const Config config = parse(doc);
  const fs::path reference = fresh_dir(name + "_reference");
  const TrainResult full = run<T>(config, reference, 0, false);
  REQUIRE(full.status == RunStatus::completed);
  REQUIRE(full.steps > 2);
  for (long k = 1; k < full.steps; k += stride) check_resume_matches<T>(config, reference, k, name);
}

}  // namespace

TEST_CASE("an MLP with batch norm and Adam resumes bit for bit after any step") {
  check_every_stop<float>(
      {{"seed", 3},
       {"data", {{"type", "moons"}, {"train_size", 40}, {"test_size", 20}}},
       {"model", {{"depth", 3}, {"width", 6}, {"batch_norm", true}, {"skip", 2}}},
       {"train", {{"epochs", 3}, {"batch_size", 16}, {"optimizer", "adam"}, {"lr", 0.01}}}},
      "ckpt_mlp");
}

TEST_CASE("momentum with clipping, in float64, resumes bit for bit") {
  check_every_stop<double>(
      {{"seed", 5},
       {"dtype", "float64"},
       {"data", {{"type", "spirals"}, {"train_size", 30}, {"test_size", 0}}},
       {"model", {{"depth", 2}, {"width", 5}, {"activation", "tanh"}}},
       {"train",
        {{"epochs", 2}, {"batch_size", 8}, {"optimizer", "nesterov"}, {"clip_threshold", 0.05}}},
       {"log", {{"every", 3}, {"quantiles", true}}}},
      "ckpt_nesterov");
}

TEST_CASE("a truncated LSTM resumes mid-sequence with its carried state") {
  // 12 steps in chunks of 5: three updates per batch, the state carried between them; a stop
  // after the first or second chunk must restore h and c.
  check_every_stop<float>(
      {{"seed", 2},
       {"data", {{"type", "sine"}, {"length", 12}, {"train_size", 12}, {"test_size", 4}}},
       {"model", {{"type", "lstm"}, {"depth", 2}, {"width", 4}}},
       {"train",
        {{"epochs", 2}, {"batch_size", 6}, {"optimizer", "momentum"}, {"truncation", 5},
         {"lr", 0.05}}},
       {"log", {{"quantiles", true}}}},
      "ckpt_lstm");
}

TEST_CASE("a GRU on the adding task, whose early chunks have no target, resumes bit for bit") {
  check_every_stop<float>(
      {{"seed", 4},
       {"data", {{"type", "adding"}, {"length", 9}, {"train_size", 16}, {"test_size", 8}}},
       {"model", {{"type", "gru"}, {"depth", 1}, {"width", 5}}},
       {"train", {{"epochs", 3}, {"batch_size", 5}, {"truncation", 4}, {"optimizer", "adam"}}}},
      "ckpt_gru");
}

TEST_CASE("checkpoint_every writes checkpoints that resume after a crash") {
  const Config config = parse({{"seed", 1},
                               {"data", {{"type", "xor"}, {"train_size", 64}, {"test_size", 0}}},
                               {"model", {{"depth", 2}, {"width", 4}}},
                               {"train", {{"epochs", 4}, {"batch_size", 8}, {"checkpoint_every", 5}}}});
  CHECK(config.train.checkpoint_every == 5);
  const fs::path reference = fresh_dir("ckpt_every_reference");
  REQUIRE(run<float>(config, reference, 0, false).status == RunStatus::completed);

  // A "crash" after 13 updates: the last checkpoint is from update 10; rows 11-13 are in the
  // files and must be dropped on resumption.
  const fs::path dir = fresh_dir("ckpt_every");
  run<float>(config, dir, 13, false);
  Checkpoint<float> at13 = load_checkpoint<float>(dir / kCheckpointFile);
  REQUIRE(at13.state.steps == 13);  // the interruption's own checkpoint
  // Simulate the kill: put back the checkpoint of update 10 by replaying a stop at 10 elsewhere.
  const fs::path ten = fresh_dir("ckpt_every_10");
  run<float>(config, ten, 10, false);
  fs::copy_file(ten / kCheckpointFile, dir / kCheckpointFile, fs::copy_options::overwrite_existing);
  REQUIRE(load_checkpoint<float>(dir / kCheckpointFile).state.steps == 10);
  REQUIRE(run<float>(config, dir, 0, true).status == RunStatus::completed);
  for (const char* file : {"metrics.csv", "grad_norms.csv", "eval.csv", "weights.json"})
    CHECK(slurp(dir / file) == slurp(reference / file));
  // The completed run's final checkpoint marks the end.
  CHECK(load_checkpoint<float>(reference / kCheckpointFile).state.epoch == 5);
}

TEST_CASE("resuming without a checkpoint starts afresh; a finished checkpoint resumes to the end") {
  const Config config = parse({{"data", {{"type", "circles"}, {"train_size", 32}, {"test_size", 8}}},
                               {"model", {{"depth", 1}, {"width", 3}}},
                               {"train", {{"epochs", 2}, {"batch_size", 8}}}});
  const fs::path reference = fresh_dir("ckpt_fresh_reference");
  run<float>(config, reference, 0, false);
  const fs::path dir = fresh_dir("ckpt_fresh");
  REQUIRE(run<float>(config, dir, 0, true).status == RunStatus::completed);
  CHECK(slurp(dir / "metrics.csv") == slurp(reference / "metrics.csv"));
  // Killed after the final checkpoint but before summary.json said so: resuming finishes it.
  REQUIRE(run<float>(config, dir, 0, true).status == RunStatus::completed);
  CHECK(slurp(dir / "metrics.csv") == slurp(reference / "metrics.csv"));
  CHECK(slurp(dir / "eval.csv") == slurp(reference / "eval.csv"));
}

TEST_CASE("damaged, foreign and mismatched checkpoints are refused") {
  const Config config = parse({{"data", {{"type", "xor"}, {"train_size", 16}, {"test_size", 0}}},
                               {"model", {{"depth", 1}, {"width", 3}}},
                               {"train", {{"epochs", 2}, {"batch_size", 4}}}});
  const fs::path dir = fresh_dir("ckpt_damaged");
  run<float>(config, dir, 3, false);
  const fs::path path = dir / kCheckpointFile;
  const std::string bytes = slurp(path);

  SUBCASE("a flipped byte") {
    std::string bad = bytes;
    bad[bad.size() / 2] ^= 0x10;
    write_file_atomic(path, bad);
    CHECK_THROWS_AS(load_checkpoint<float>(path), IoError);
  }
  SUBCASE("a truncated file") {
    write_file_atomic(path, bytes.substr(0, bytes.size() - 9));
    CHECK_THROWS_AS(load_checkpoint<float>(path), IoError);
  }
  SUBCASE("another dtype") { CHECK_THROWS_AS(load_checkpoint<double>(path), IoError); }
  SUBCASE("not a checkpoint") {
    write_file_atomic(path, "hello\n");
    CHECK_THROWS_AS(load_checkpoint<float>(path), IoError);
  }
  SUBCASE("a different config") {
    Config other = config;
    other.train.lr = 0.2;
    CHECK_THROWS_AS(run<float>(other, dir, 0, true), ConfigError);
  }
  SUBCASE("a CSV file shorter than recorded") {
    std::ofstream(dir / "metrics.csv", std::ios::trunc) << "step\n";
    CHECK_THROWS_AS(run<float>(config, dir, 0, true), IoError);
  }
}
