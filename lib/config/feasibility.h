// Whether a run fits this machine, decided from its config before anything is allocated or
// created: estimates of its peak memory (model, optimizer state, the activations kept for a batch
// and BPTT chunk and for evaluation, the data) and of what it writes (the CSV logs, from the step
// count, log.every and the layers; the checkpoint). docs/run-safety.md documents the estimates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "config/config.h"

namespace nnlab {

struct RunEstimate {
  // Memory, bytes.
  std::uint64_t model = 0;        // parameters and their gradients (and batch-norm buffers)
  std::uint64_t optimizer = 0;    // momentum / Adam moments
  std::uint64_t activations = 0;  // per-step caches of a training batch and an evaluation batch
  std::uint64_t data = 0;         // the splits (and their double-precision copies)
  std::uint64_t memory() const { return model + optimizer + activations + data; }
  // Disk, bytes.
  std::uint64_t logs = 0;         // every CSV file at the end of the run
  std::uint64_t checkpoint = 0;   // checkpoint.bin, twice (the new one is written beside the old)
  std::uint64_t disk() const { return logs + checkpoint; }
  double steps = 0;               // optimizer updates over the whole run
  double logged_steps = 0;        // steps with per-layer rows (log.every)
};

// The estimate from the config alone; a CSV or text data file is only looked at (its size and
// first line), not read.
RunEstimate estimate_run(const Config& config);

struct MachineLimits {
  std::uint64_t memory = 0;     // physical memory (or the cgroup's limit, when lower)
  std::uint64_t disk_free = 0;  // free bytes for an unprivileged user where the run writes
};
// This machine's limits, the disk where `run_dir` is (or would be created).
MachineLimits machine_limits(const std::filesystem::path& run_dir);

// Above this a run's logs earn a warning before it starts.
inline constexpr std::uint64_t kLargeLogBytes = 2ull << 30;

// Throws ConfigError naming the key that contributes most when the run needs more memory than
// the machine has, or would write more than the disk holds.
void check_feasible(const Config& config, const RunEstimate& estimate, const MachineLimits& limits);

// "1.5 GB", "320 MB", "12 kB"; format_count: "1.2e+06", "350".
std::string human_bytes(double bytes);
std::string format_count(double x);

}  // namespace nnlab
