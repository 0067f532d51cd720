// Checkpoints: everything a run needs to continue bit for bit (the training state, the model's
// parameters and buffers, the sizes of its CSV files), in one binary file written atomically.
//
// Format (native byte order, version 2): the line "nnlab-checkpoint 2\n", then fields written by
// CheckpointWriter (u64 lengths, raw scalars, named matrices with their shapes), then the FNV-1a
// 64-bit hash of everything before it, so a damaged file is refused rather than half-read.
// Version 2 adds the data fingerprint after the config hash; version 1 files are still read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "nn/model.h"
#include "run/run_log.h"
#include "run/trainer.h"

namespace nnlab {

template <typename T>
struct Checkpoint {
  std::uint64_t config_hash = 0;  // of the resolved config (config_hash below)
  std::uint64_t data_fingerprint = 0;  // of the training and test data (0: a version 1 file)
  TrainState<T> state;
  std::vector<std::pair<std::string, Mat<T>>> tensors;  // the model's params, then buffers
  FileSizes files;                // the run's CSV files at this point
  double elapsed_seconds = 0;     // training wall time up to this point, over every session
};

// FNV-1a 64 of the resolved config's canonical JSON text: resuming checks that the run directory's
// config.json still describes the run its checkpoint came from.
std::uint64_t config_hash(const Config& config);

// FNV-1a 64 of the splits' shapes and values as the model sees them: resuming checks that the
// data (an edited CSV file) are still those the checkpoint was trained on. Never 0.
template <typename T>
std::uint64_t data_fingerprint(const Samples<T>& train, const Samples<T>& test);

// Checks a loaded checkpoint against the run it is to continue, before anything is changed:
// the training position (epoch, batch, chunk, step count), the sample order (a permutation of
// the training set), the carried hidden state, the optimizer state and the last evaluation must
// be ones this run could have written. Throws IoError ("damaged or forged") otherwise, so that a
// forged file is refused rather than crash the run or skip part of it.
template <typename T>
void check_checkpoint(const Checkpoint<T>& checkpoint, Model<T>& model, const Samples<T>& train,
                      const Config& config, const std::filesystem::path& path);

// The model's tensors by name (params, then buffers), and back. load_tensors throws IoError when
// a name or shape does not match the model.
template <typename T>
std::vector<std::pair<std::string, Mat<T>>> model_tensors(Model<T>& model);
template <typename T>
void load_tensors(Model<T>& model, const std::vector<std::pair<std::string, Mat<T>>>& tensors);

// Writes atomically (temporary file, fsync, rename). Throws IoError.
template <typename T>
void save_checkpoint(const std::filesystem::path& path, const Checkpoint<T>& checkpoint);

// Reads a checkpoint written by save_checkpoint for the same dtype, without following a symbolic
// link. Throws IoError for a missing, damaged or foreign file.
template <typename T>
Checkpoint<T> load_checkpoint(const std::filesystem::path& path);

}  // namespace nnlab
