// `nnlab probe`: gradient statistics at initialisation over many seeds. Per seed, a fresh init
// and a fresh batch exactly as a training run with that seed would draw them, one forward and
// backward pass (training's first update, without the update), and per layer (and time step) the
// quantities below; then their mean, sd and se over seeds, a least-squares slope of
// ln ||delta||^2 along the depth (or time), and the theory's prediction where it is exact
// (docs/probe.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace nnlab {

struct ProbeOptions {
  int seeds = 20;                          // [1, 10^6]: seeds config.seed, config.seed + 1, ...
  std::optional<int> batch;                // overrides train.batch_size, [1, 10^7]
  std::optional<std::pair<int, int>> fit;  // inclusive layer (or time step) range of the slope
  int threads = 1;                         // [1, 1024], over seeds; results do not depend on it
  // Called by the thread that ran it after each seed (its index), e.g. to count allocations.
  std::function<void(int)> on_seed;
};

// One measured quantity: per layer (t = 0) or per layer and time step t (from 1, as in
// time_grad_norms.csv). Quantities (docs/probe.md):
//   delta_sq      mean over the batch of ||d loss_n / dz(l)||^2, loss_n a sample's own loss
//   grad_<kind>   ||dL/dparam||_F of the layer's tensors (grad_W, grad_b, grad_W_ih, ...)
//   q             mean of z(l)^2 (MLP)
//   act_mean, act_std, saturated   hidden layers, as activations.csv
//   h_grad, c_grad  ||dL/dh_t||_F, ||dL/dc_t||_F (recurrent; c_grad for an LSTM)
struct ProbeKey {
  int layer = 0;
  int t = 0;
  std::string quantity;
};

struct ProbeRow {
  ProbeKey key;                 // quantity, or "ln_" + quantity for the statistics of its log
  double mean = 0, sd = 0, se = 0;  // NaN when undefined (the log of a non-positive value)
  std::optional<double> theory;
};

struct ProbeFit {
  std::string axis;            // "layer" or "t"
  int layer = 0;               // axis "t": the layer whose ln ||dL/dh_t||^2 is fitted
  int begin = 0, end = 0;      // inclusive range on the axis
  std::vector<double> slopes;  // per seed: of ln delta_sq (axis layer) or ln h_grad^2 (axis t)
  double mean = 0, sd = 0, se = 0;
  std::optional<double> theory;
};

struct ProbeResult {
  Config config;                        // resolved (output head, batch size)
  bool recurrent = false;
  bool single_precision = false;        // values were computed in float32
  int batch = 0;                        // samples per batch actually used
  std::vector<std::uint64_t> seeds;
  std::vector<ProbeKey> keys;
  std::vector<std::vector<double>> values;  // [seed index][key index]
  std::vector<ProbeRow> rows;           // per key: the quantity's row, then its log's if defined
  std::optional<ProbeFit> fit;
  std::string theory;                   // which theory fills the theory column, or ""
  std::string theory_reason;            // why the column is empty (when theory is "")
  std::vector<double> sigma_w2, chi;    // mean-field MLP: per layer l = 1..L (chi: 1..L-1)
};

// Runs the probe. Bad options or config: ConfigError (paths "--seeds", "--batch", "--fit", "-j"
// or the config key), before any seed runs. Writes nothing.
ProbeResult run_probe(const Config& config, const ProbeOptions& options);

// Writes a probe's directory (which must exist): config.json (resolved), probe.csv,
// probe_seeds.csv and summary.json (`meta` merged in). Throws IoError.
void write_probe(const std::filesystem::path& dir, const ProbeResult& result,
                 const nlohmann::json& meta);

// Least-squares slope of y against x (at least two distinct x).
double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace nnlab
