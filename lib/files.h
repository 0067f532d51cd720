// Run directories and crash-safe file writes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace nnlab {

// Writes to a temporary file beside `path`, flushes it to disk and renames it over `path`, so a
// reader sees the old file or the whole new one, never a part. Throws IoError.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Creates parent/stem, or parent/stem-2, -3, ... when taken (safe against concurrent runs).
std::filesystem::path create_unique_dir(const std::filesystem::path& parent,
                                        const std::string& stem);

inline constexpr const char* kCheckpointFile = "checkpoint.bin";

// The files a run writes into its directory.
inline constexpr const char* kRunFiles[] = {"config.json", "metrics.csv",  "grad_norms.csv",
                                            "activations.csv", "eval.csv", "summary.json",
                                            "weights.json", "time_grad_norms.csv", "data_train.csv",
                                            "data_test.csv", kCheckpointFile};

// Makes `dir` ready for a run: created if absent; refused (ConfigError on "--out") when it holds
// anything, unless force, which removes only the files a run writes.
void prepare_run_dir(const std::filesystem::path& dir, bool force);

}  // namespace nnlab
