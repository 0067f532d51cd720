// Run directories and crash-safe file writes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "run_lock.h"

namespace nnlab {

// Why `name` cannot be one component of a path (a run or sweep directory's name), or nullopt:
// empty, ".", "..", a '/', a control character, or longer than 200 bytes.
std::optional<std::string> path_component_problem(std::string_view name);

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
                                            "data_test.csv", "grad_quantiles.csv",
                                            kCheckpointFile};

// Refuses (IoError) a run directory in which a run file (kRunFiles, run.lock) is a symbolic
// link: --resume reads and rewrites them, and must not do so through a link to elsewhere.
void check_no_symlinks(const std::filesystem::path& dir);

// Makes `dir` ready for a run and locks it (run_lock.h): created if absent; refused
// (ConfigError on "--out") when it holds anything besides run.lock, unless force, which removes
// only the files a run writes. Refused before anything is created, and again under the lock
// (another run may have started in it meanwhile). Throws IoError when another process holds it.
RunLock prepare_run_dir(const std::filesystem::path& dir, bool force);

}  // namespace nnlab
