// Run-size estimates: deliberately simple formulas, each an upper bound of the same order as
// what the run allocates and writes (docs/run-safety.md), so that a run that cannot fit is
// refused in milliseconds instead of failing hours later, or being killed by the OOM killer.
#include "config/feasibility.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <utility>
#include <vector>

#include "base/errors.h"

namespace nnlab {

namespace fs = std::filesystem;

namespace {

struct Shape {
  double features = 2, outputs = 2, train = 0, test = 0, steps = 1;
};

std::uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// A CSV file's columns (its first line, read up to 1 MB) and rows (its size over that line's).
Shape csv_shape(const DataConfig& d) {
  Shape s;
  std::ifstream in(d.path, std::ios::binary);
  std::string line;
  char c;
  while (line.size() < (1u << 20) && in.get(c) && c != '\n') line += c;
  const double columns = 1.0 + static_cast<double>(std::count(line.begin(), line.end(), ','));
  const double rows = static_cast<double>(file_size(d.path)) / std::max<double>(line.size() + 1, 2.0 * columns);
  s.features = std::max(1.0, columns - 1);
  s.outputs = 2;  // unknown until read: labels or values; the model's output layer is small
  s.test = std::round(rows * d.test_fraction);
  s.train = std::max(0.0, rows - s.test);
  return s;
}

Shape data_shape(const Config& c) {
  const DataConfig& d = c.data;
  Shape s;
  s.train = d.train_size;
  s.test = d.test_size;
  switch (d.type) {
    case DataKind::blobs: s.features = d.features; s.outputs = d.classes; break;
    case DataKind::sine:
      s.features = 1;
      s.outputs = 1;
      if (is_recurrent(c.model.type)) s.steps = d.length;
      break;
    case DataKind::csv: return csv_shape(d);
    case DataKind::adding: s.features = 2; s.outputs = 1; s.steps = d.length; break;
    case DataKind::copy:
      s.features = d.symbols + 2;
      s.outputs = d.symbols + 1;
      s.steps = 2.0 * d.pattern_length + d.length;
      break;
    case DataKind::temporal_order: s.features = 6; s.outputs = 4; s.steps = d.length; break;
    case DataKind::text: {
      // Up to 256 symbols; as many windows of length + 1 bytes as the text holds.
      s.features = s.outputs = 256;
      s.steps = d.length;
      const double windows = static_cast<double>(file_size(d.path)) / (d.length + 1.0);
      s.test = std::floor(windows * d.test_fraction);
      s.train = windows - s.test;
      if (d.train_size > 0) s.train = std::min<double>(s.train, d.train_size);
      if (d.test_size > 0) s.test = std::min<double>(s.test, d.test_size);
      break;
    }
    default: break;  // xor, circles, moons, spirals: 2 features, 2 classes
  }
  return s;
}

double width_of(const ModelConfig& m, int layer) {  // 0-based hidden layer
  if (m.width.empty()) return 32;
  return m.width[std::min<std::size_t>(static_cast<std::size_t>(layer), m.width.size() - 1)];
}

}  // namespace

RunEstimate estimate_run(const Config& c) {
  const Shape s = data_shape(c);
  const ModelConfig& m = c.model;
  const double scalar = c.dtype == DType::float64 ? 8 : 4;
  const bool recurrent = is_recurrent(m.type);
  const double gates = m.type == ModelType::lstm ? 4 : m.type == ModelType::gru ? 3 : 1;

  // Parameters, tensors and the per-sample, per-step cache of a forward and backward.
  double params = 0, tensors = 0, cache = 0, hidden_units = 0;
  double in = s.features;
  for (int l = 0; l < m.depth; ++l) {
    const double h = width_of(m, l);
    hidden_units += h;
    if (recurrent) {
      params += gates * h * (in + h) + 2 * gates * h;
      tensors += 4;
      // h, dh_in, gates and their gradients, c and tanh c (lstm), the gru's extra products
      cache += h * (2 + 2 * gates + (m.type == ModelType::lstm ? 2 : 0) +
                    (m.type == ModelType::gru ? 1 + gates : 0));
    } else {
      params += h * (in + 1) + (m.batch_norm ? 4 * h : 0);
      tensors += 2 + (m.batch_norm ? 2 : 0);
      cache += 4 * h;  // z, a, delta and the batch-norm or residual copy
    }
    in = h;
  }
  params += s.outputs * (in + 1);
  tensors += 2;
  cache += 3 * s.outputs;  // logits, their gradient, the head's probabilities

  RunEstimate e;
  e.model = static_cast<std::uint64_t>(2 * params * scalar);
  const double moments = c.train.optimizer == OptimizerKind::adam  ? 2
                         : c.train.optimizer == OptimizerKind::sgd ? 0
                                                                   : 1;
  e.optimizer = static_cast<std::uint64_t>(moments * params * scalar);

  const double n = std::max(1.0, s.train);
  const double batch = c.train.batch_size == 0 ? n : std::min<double>(c.train.batch_size, n);
  const double chunk = recurrent && c.train.truncation > 0 ? std::min<double>(c.train.truncation, s.steps)
                                                           : s.steps;
  const double eval_batch = std::min(1024.0, std::max(n, s.test));  // trainer.cpp's kEvalBatch
  // A workspace per batch size: the batch and the epoch's last (smaller) batch cache a chunk's
  // steps; evaluation batches run one step at a time (rnn.cpp). Each batch's inputs and logits
  // span the whole sequence.
  e.activations = static_cast<std::uint64_t>(
      cache * scalar * (2 * batch * chunk + 2 * eval_batch) +
      2 * (batch + eval_batch) * s.steps * (s.features + s.outputs) * scalar);
  // The splits in the model's dtype, plus the generator's or the CSV loader's doubles.
  e.data = static_cast<std::uint64_t>((s.train + s.test) * s.steps * (s.features + 1) *
                                      (scalar + 8));

  // Steps: an update per batch and per chunk (an upper bound: chunks without targets do none).
  const double batches = std::ceil(n / batch);
  const double chunks = std::ceil(s.steps / std::max(1.0, chunk));
  e.steps = static_cast<double>(c.train.epochs) * batches * chunks;
  e.logged_steps = std::ceil(e.steps / std::max(1, c.log.every));
  // Bytes per row: numbers in shortest form, about 12 characters each.
  const double layers = m.depth + 1.0;
  double logs = e.steps * 80                            // metrics.csv
                + e.logged_steps * (tensors + layers) * 50  // grad_norms.csv
                + e.logged_steps * m.depth * 50             // activations.csv
                + (c.train.epochs + 1.0) * 100;             // eval.csv
  if (recurrent) logs += e.logged_steps * m.depth * chunk * 40;  // time_grad_norms.csv
  if (c.log.save_data) logs += (s.train + s.test) * (s.features + 1) * 22;
  e.logs = static_cast<std::uint64_t>(logs);
  e.checkpoint = static_cast<std::uint64_t>(
      2 * ((1 + moments) * params * scalar + n * 4 + 2 * hidden_units * batch * scalar + 4096));
  return e;
}

MachineLimits machine_limits(const fs::path& run_dir) {
  MachineLimits limits;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  limits.memory = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                        : UINT64_MAX;
  // A cgroup v2 limit (a container, a Slurm job) below the physical memory.
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::uint64_t max = 0;
  if (cgroup >> max && max > 0) limits.memory = std::min(limits.memory, max);
  // The disk of the nearest existing ancestor of the run directory.
  fs::path p = fs::absolute(run_dir);
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  struct statvfs st {};
  limits.disk_free = ::statvfs(p.c_str(), &st) == 0
                         ? static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize)
                         : UINT64_MAX;
  return limits;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1000 && u < 6) {
    bytes /= 1000;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return buf;
}

std::string format_count(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

void check_feasible(const Config& c, const RunEstimate& e, const MachineLimits& limits) {
  if (e.memory() > limits.memory) {
    // The key behind the largest part.
    const std::pair<std::uint64_t, const char*> parts[] = {
        {e.model, "model.width"},
        {e.optimizer, "train.optimizer"},
        {e.activations, is_sequence_task(c.data.type) || is_recurrent(c.model.type) ? "data.length"
                                                                                    : "train.batch_size"},
        {e.data, c.data.type == DataKind::csv || c.data.type == DataKind::text ? "data.path"
                                                                               : "data.train_size"}};
    const auto* largest = std::max_element(std::begin(parts), std::end(parts));
    throw ConfigError(largest->second,
                      "the run needs about " + human_bytes(static_cast<double>(e.memory())) +
                          " of memory (model " + human_bytes(static_cast<double>(e.model)) +
                          ", optimizer " + human_bytes(static_cast<double>(e.optimizer)) +
                          ", activations " + human_bytes(static_cast<double>(e.activations)) +
                          ", data " + human_bytes(static_cast<double>(e.data)) +
                          "); this machine has " + human_bytes(static_cast<double>(limits.memory)) +
                          " (--allow-large runs it anyway)");
  }
  if (e.disk() > limits.disk_free) {
    const char* key = e.checkpoint > e.logs ? "model.width" : e.logged_steps * 20 > e.steps ? "log.every" : "train.epochs";
    throw ConfigError(key, "the run would write about " + human_bytes(static_cast<double>(e.logs)) +
                               " of logs over " + format_count(e.steps) + " steps and a checkpoint of " +
                               human_bytes(static_cast<double>(e.checkpoint) / 2) + "; the disk has " +
                               human_bytes(static_cast<double>(limits.disk_free)) +
                               " free (--allow-large runs it anyway)");
  }
}

}  // namespace nnlab
