// Multiply-add counts of forward and backward passes, and their timing on the real model code.
#include "lab/cost.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "run/experiment.h"
#include "base/quantiles.h"
#include "run/trainer.h"

namespace nnlab {

std::vector<LayerMacs> mlp_macs(const MlpSpec& spec, int batch) {
  std::vector<LayerMacs> out;
  const double B = batch;
  int n_in = spec.inputs;
  const int hidden = static_cast<int>(spec.widths.size());
  for (int l = 1; l <= hidden + 1; ++l) {
    const int n_out = l <= hidden ? spec.widths[static_cast<std::size_t>(l - 1)] : spec.outputs;
    const double product = B * n_in * n_out;
    out.push_back({l, l <= hidden ? "dense" : "output", product, product, l > 1 ? product : 0.0});
    n_in = n_out;
  }
  return out;
}

std::vector<LayerMacs> recurrent_macs(const RecurrentSpec& spec, int batch, int steps,
                                      int target_steps) {
  std::vector<LayerMacs> out;
  const double B = batch, K = steps, P = target_steps;
  const std::string type(name_of(spec.cell));
  double in = spec.inputs;
  for (std::size_t l = 0; l < spec.hidden.size(); ++l) {
    const double H = spec.hidden[l], G = gate_count(spec.cell) * H;
    LayerMacs m{static_cast<int>(l) + 1, type};
    m.forward = K * B * G * (in + H);
    m.backward_weights = K * B * G * (in + H);
    m.backward_input = (K - 1) * B * G * H + (l > 0 ? K * B * G * in : 0.0);
    out.push_back(m);
    in = H;
  }
  const double readout = P * B * in * spec.outputs;
  out.push_back({static_cast<int>(spec.hidden.size()) + 1, "readout", readout, readout, readout});
  return out;
}

std::vector<LayerMacs> macs_by_type(const std::vector<LayerMacs>& layers) {
  std::vector<LayerMacs> out;
  for (const auto& m : layers) {
    auto it = std::find_if(out.begin(), out.end(), [&](const LayerMacs& o) { return o.type == m.type; });
    if (it == out.end()) {
      out.push_back(m);
      out.back().layer = 0;
      continue;
    }
    it->forward += m.forward;
    it->backward_weights += m.backward_weights;
    it->backward_input += m.backward_input;
  }
  return out;
}

namespace {

// Seconds of CPU time of this thread: unlike the wall clock, it does not count the time the
// thread waits while other processes run (a shared machine), only what the passes compute.
double thread_seconds() {
#ifdef CLOCK_THREAD_CPUTIME_ID
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
#endif
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename T>
PassCost pass_cost_as(const Config& config, bool time, const TimingOptions& options) {
  Experiment<T> e = build_experiment<T>(config);
  Model<T>& model = *e.model;
  const Samples<T>& set = e.train;
  const int B = config.train.batch_size > 0 ? std::min(config.train.batch_size, set.size()) : set.size();
  // The first B training samples as one batch, as the trainer gathers them (order aside).
  Batch<T> batch;
  for (const auto& x : set.x) batch.x.push_back(x.leftCols(B));
  for (const auto& y : set.y) batch.y.push_back(y.cols() > 0 ? Mat<T>(y.leftCols(B)) : Mat<T>(y.rows(), 0));
  // The first truncated-BPTT chunk with a target (the trainer skips the others), else the first.
  const std::vector<StepRange> all = chunks(set.steps(), config.train.truncation);
  const auto with_target = std::find_if(all.begin(), all.end(), [&](const StepRange& r) {
    return chunk_has_target(batch.y, r);
  });
  const StepRange range = with_target != all.end() ? *with_target : all.front();
  int target_steps = 0;
  for (int t = range.begin; t < range.end; ++t) target_steps += batch.y[static_cast<std::size_t>(t)].cols() > 0;

  PassCost cost;
  cost.batch = B;
  cost.steps = range.end - range.begin;
  if (const auto* mlp = dynamic_cast<const Mlp<T>*>(&model))
    cost.layers = mlp_macs(mlp->spec(), B);
  else if (const auto* rnn = dynamic_cast<const Recurrent<T>*>(&model))
    cost.layers = recurrent_macs(rnn->spec(), B, cost.steps, target_steps);
  for (const auto& m : cost.layers) {
    cost.forward_macs += m.forward;
    cost.backward_macs += m.backward();
  }
  if (!time) return cost;

  model.collect_stats(false);
  std::vector<double> forward, backward;
  double total = 0;
  for (int rep = 0; rep < options.warmup + std::max(1, options.max_repeats); ++rep) {
    model.reset_state(B);
    const double t0 = thread_seconds();
    model.forward(batch, range, /*training=*/true);
    const double t1 = thread_seconds();
    long count = 0;
    chunk_loss(model, e.head, batch, range, /*with_grad=*/true, count);
    const double t2 = thread_seconds();
    model.backward(batch, range);
    const double t3 = thread_seconds();
    if (rep < options.warmup) continue;
    forward.push_back(t1 - t0);
    backward.push_back(t3 - t2);
    total += forward.back() + backward.back();
    if (static_cast<int>(forward.size()) >= options.min_repeats && total >= options.min_seconds) break;
  }
  cost.timed = true;
  cost.repeats = static_cast<int>(forward.size());
  cost.forward_seconds = median(forward);
  cost.backward_seconds = median(backward);
  return cost;
}

}  // namespace

PassCost pass_cost(const Config& config, bool time, const TimingOptions& options) {
  return config.dtype == DType::float32 ? pass_cost_as<float>(config, time, options)
                                        : pass_cost_as<double>(config, time, options);
}

}  // namespace nnlab
