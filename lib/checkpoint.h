// Checkpoints: everything a run needs to continue bit for bit (the training state, the model's
// parameters and buffers, the sizes of its CSV files), in one binary file written atomically.
//
// Format (native byte order, version 1): the line "nnlab-checkpoint 1\n", then fields written by
// CheckpointWriter (u64 lengths, raw scalars, named matrices with their shapes), then the FNV-1a
// 64-bit hash of everything before it, so a damaged file is refused rather than half-read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "model.h"
#include "run_log.h"
#include "trainer.h"

namespace nnlab {

template <typename T>
struct Checkpoint {
  std::uint64_t config_hash = 0;  // of the resolved config (config_hash below)
  TrainState<T> state;
  std::vector<std::pair<std::string, Mat<T>>> tensors;  // the model's params, then buffers
  FileSizes files;                // the run's CSV files at this point
  double elapsed_seconds = 0;     // training wall time up to this point, over every session
};

// FNV-1a 64 of the resolved config's canonical JSON text: resuming checks that the run directory's
// config.json still describes the run its checkpoint came from.
std::uint64_t config_hash(const Config& config);

// The model's tensors by name (params, then buffers), and back. load_tensors throws IoError when
// a name or shape does not match the model.
template <typename T>
std::vector<std::pair<std::string, Mat<T>>> model_tensors(Model<T>& model);
template <typename T>
void load_tensors(Model<T>& model, const std::vector<std::pair<std::string, Mat<T>>>& tensors);

// Writes atomically (temporary file, fsync, rename). Throws IoError.
template <typename T>
void save_checkpoint(const std::filesystem::path& path, const Checkpoint<T>& checkpoint);

// Reads a checkpoint written by save_checkpoint for the same dtype. Throws IoError for a missing,
// damaged or foreign file.
template <typename T>
Checkpoint<T> load_checkpoint(const std::filesystem::path& path);

}  // namespace nnlab
