// An experiment assembled from a config: the data, the output head and the initialised model,
// all built and checked before anything is written, and the run that trains it into a directory.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "data/data.h"
#include "data/sequence_data.h"
#include "nn/head.h"
#include "nn/model.h"
#include "run/trainer.h"

namespace nnlab {

template <typename T>
struct Experiment {
  Config config;  // resolved: model.output is set from the data
  Dataset data;                // samples (MLP data); empty for sequence tasks
  SequenceDataset sequences;   // sequence tasks: the task and its baseline (its double splits
                               // are freed once converted to train/test); empty otherwise
  Head head;
  std::unique_ptr<Model<T>> model;
  Samples<T> train, test;
};

// Loads the data, resolves the head, builds and initialises (or loads) the model. Throws
// ConfigError for anything the config asks that the data or weights file cannot satisfy.
template <typename T>
Experiment<T> build_experiment(const Config& config);

// Sets the model's parameters as a run with this model config and run seed starts: loaded from
// model.weights, or drawn from the seed's init stream (build_experiment; `nnlab probe` per seed).
template <typename T>
void initialize_model(Model<T>& model, const ModelConfig& config, std::uint64_t seed);

// The training split a run of `config` trains on (its data stream's seed, as build_experiment).
template <typename T>
Samples<T> training_samples(const Config& config);

// Trains into `dir` (which must exist and be empty of run files): writes config.json, the CSV
// files, checkpoint.bin (train.checkpoint_every, on interruption or request, and at the end),
// weights.json and summary.json. `meta` is merged into summary.json (command line, host).
// With `resume`, continues the run in `dir` from its checkpoint instead: CSV rows written after
// the checkpoint are dropped, and the session's `meta` is appended to summary.json's "resumed".
// Without a checkpoint in `dir` it starts the run afresh. Throws ConfigError when the
// experiment's config is not the one the checkpoint was written with.
template <typename T>
TrainResult run_experiment(Experiment<T>& experiment, const std::filesystem::path& dir,
                           const TrainOptions& options,
                           const std::vector<TrainObserver<T>*>& observers,
                           const nlohmann::json& meta, bool resume = false);

std::string_view name_of(RunStatus status);

// The status run_experiment last recorded in RUN_DIR/summary.json ("running", "completed", ...),
// or "" when there is no readable summary.
std::string recorded_status(const std::filesystem::path& run_dir);

// The seed of the data streams: data.seed when given, else derived from the run's seed.
std::uint64_t data_seed(const Config& config);

}  // namespace nnlab
