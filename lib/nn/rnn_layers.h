// The definitions of Recurrent<T> (rnn.h), included only by rnn_float.cpp and rnn_double.cpp,
// which instantiate one scalar type each so that the two compile in parallel. The cells' own
// mathematics, each forward beside its backward, is in cells.h; this file runs them over chunks.
//
// Recurrent forward and truncated-BPTT backward over whole batches, layer by layer: each layer
// runs all steps of the chunk before the next layer starts, so that W_ih x_t of every step, and
// the weight gradients summed over steps, are single GEMMs over (., K B) matrices. Shapes:
// B = batch, K = steps in the chunk, H = hidden size of the layer, G = gates * H; a chunk-wide
// matrix holds step k (0-based in the chunk) in columns [k B, (k + 1) B).
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "base/blas.h"
#include "base/errors.h"
#include "base/per_size.h"
#include "base/transpose.h"
#include "nn/cells.h"
#include "nn/rnn.h"

namespace nnlab {

template <typename T>
struct Recurrent<T>::Workspace {
  int batch = 0;
  int capacity = 0;          // steps the per-step caches hold
  int outputs_capacity = 0;  // steps logits/dlogits/target hold
  // The carried state, per layer: h (H, B) and, for an lstm, c (H, B).
  std::vector<Mat<T>> state_h, state_c;
  // The last forward: its range and whether backward may follow (training forward).
  int begin = 0, steps = 0;
  bool cached = false;
  std::vector<char> target;             // (K) step begin + k has a target
  std::vector<Mat<T>> logits, dlogits;  // (K) of (outputs, B); only target steps are used
  // Per-step caches of the chunk, per layer.
  Mat<T> x;                   // (inputs, K B) the chunk's inputs side by side
  std::vector<Mat<T>> h;      // (H, (K + 1) B): block 0 the initial state, block k + 1 h at step k
  std::vector<Mat<T>> c;      // lstm: (H, (K + 1) B), same layout
  std::vector<Mat<T>> tanh_c; // lstm: (H, K B)
  // rnn: the pre-activation z; lstm: the gate values [i; f; g; o]; gru: the gate values [r; z; n].
  // Before the step loop: W_ih x + b_ih (+ b_hh for rnn/lstm), the input part of the gates.
  std::vector<Mat<T>> gates;  // (G, K B)
  std::vector<Mat<T>> hn;     // gru: (H, K B) W_hn h_{t-1} + b_hn, as r multiplies it
  std::vector<Mat<T>> dgates; // (G, K B) dL/d(pre-activations): the chapter's delta
  std::vector<Mat<T>> dhh;    // gru: (G, K B) dL/d(W_hh h_{t-1} + b_hh); rnn/lstm use dgates
  std::vector<Mat<T>> dh_in;  // (H, K B) dL/dh_t from the readout or layer l + 1 at the same step;
                              // backward_layer adds the part from step t + 1, making it the total
  // Per-step scratch, per layer.
  std::vector<Vec<T>> bias;            // (G) b_ih + b_hh; gru: b_ih (b_hh is inside r * (...))
  std::vector<Mat<T>> dc;              // lstm: (H, B) dL/dc_t, carried backwards
  std::vector<Mat<T>> hw;              // gru: (G, B) W_hh h_{t-1} + b_hh
  std::vector<Mat<T>> W_hh_t;          // (H, G) W_hh transposed, copied once per backward: the
                                       // per-step dL/dh_{t-1} = W_hh^T d is then a plain (nn)
                                       // product, which BLAS does faster at these sizes
  // Per layer: the per-step products with W_hh are split into this many blocks of whole gates
  // (gate_count, or 1). OpenBLAS multiplies matrices of up to about 10^6 multiply-adds in a
  // kernel that does not repack its operands; an LSTM of 128 units at batch 32 (4 x 128 x 128 x
  // 32) runs per-step products in 36 us instead of 47 us split per gate (bench/RESULTS.md).
  std::vector<int> gate_blocks;
  // Running sums of a forward's activation statistics, per layer. The spread is merged step by
  // step from each step's two-pass mean and squared deviations (Chan et al.), in double: the
  // one-pass E[h^2] - mean^2 cancels for saturated units (|h| ~ 1, std ~ 1e-3).
  struct ActivationSums {
    double sum = 0, count = 0, saturated = 0, saturated_count = 0;
    double running_mean = 0, squared_deviations = 0;
  };
  std::vector<ActivationSums> sums;
};

template <typename T>
Recurrent<T>::Recurrent(RecurrentSpec spec) : spec_(std::move(spec)) {
  use_single_thread_blas();
  if (spec_.inputs < 1) throw std::invalid_argument("Recurrent: inputs must be >= 1");
  if (spec_.outputs < 1) throw std::invalid_argument("Recurrent: outputs must be >= 1");
  if (spec_.hidden.empty()) throw std::invalid_argument("Recurrent: at least one hidden layer");
  for (int h : spec_.hidden)
    if (h < 1) throw std::invalid_argument("Recurrent: hidden sizes must be >= 1");
  const int gates = gate_count(spec_.cell);
  auto add = [&](const std::string& name, int layer, const char* kind, int rows, int cols) {
    params_.push_back({name, layer, kind, Mat<T>::Zero(rows, cols), Mat<T>::Zero(rows, cols)});
    return static_cast<int>(params_.size()) - 1;
  };
  int fan_in = spec_.inputs;
  for (int l = 1; l <= depth(); ++l) {
    const int H = spec_.hidden[static_cast<std::size_t>(l - 1)];
    const std::string prefix = "layers." + std::to_string(l) + ".";
    LayerIndex idx;
    idx.W_ih = add(prefix + "W_ih", l, "W_ih", gates * H, fan_in);
    idx.W_hh = add(prefix + "W_hh", l, "W_hh", gates * H, H);
    idx.b_ih = add(prefix + "b_ih", l, "b_ih", gates * H, 1);
    idx.b_hh = add(prefix + "b_hh", l, "b_hh", gates * H, 1);
    index_.push_back(idx);
    fan_in = H;
  }
  out_W_ = add("out.W", depth() + 1, "W", spec_.outputs, fan_in);
  out_b_ = add("out.b", depth() + 1, "b", spec_.outputs, 1);
  this->layer_stats_.resize(static_cast<std::size_t>(depth() + 1));
  for (int l = 0; l < depth(); ++l) this->layer_stats_[static_cast<std::size_t>(l)].hidden = true;
  time_norms_.resize(static_cast<std::size_t>(depth()));
  if (spec_.cell == ModelType::lstm) cell_norms_.resize(static_cast<std::size_t>(depth()));
}

template <typename T>
Recurrent<T>::~Recurrent() = default;

template <typename T>
void Recurrent<T>::initialize(const RecurrentInit& init, Rng& rng) {
  const int gates = gate_count(spec_.cell);
  for (int l = 0; l < depth(); ++l) {
    const LayerIndex& idx = index_[static_cast<std::size_t>(l)];
    const int H = spec_.hidden[static_cast<std::size_t>(l)];
    Mat<T>& W_ih = params_[idx.W_ih].value;
    Mat<T>& W_hh = params_[idx.W_hh].value;
    // Each gate is its own map, so fan-based scales see fan_out = H, as for a plain RNN layer.
    Mat<double> block(H, W_ih.cols());
    for (int g = 0; g < gates; ++g) {
      init_weights(block, init.input, rng);
      W_ih.middleRows(g * H, H) = block.cast<T>();
    }
    block.resize(H, H);
    for (int g = 0; g < gates; ++g) {
      if (init.recurrent_identity)
        block = init.recurrent.gain * Mat<double>::Identity(H, H);
      else
        init_weights(block, init.recurrent, rng);
      if (init.spectral_radius > 0) {
        const double radius = spectral_radius(block);
        if (!(radius > 0) || !std::isfinite(radius))
          throw std::invalid_argument("Recurrent::initialize: a W_hh block of layer " +
                                      std::to_string(l + 1) + " has spectral radius " +
                                      std::to_string(radius) + " and cannot be rescaled");
        block *= init.spectral_radius / radius;
      }
      W_hh.middleRows(g * H, H) = block.cast<T>();
    }
    params_[idx.b_ih].value.setConstant(static_cast<T>(init.bias_init));
    params_[idx.b_hh].value.setConstant(static_cast<T>(init.bias_init));
    if (spec_.cell == ModelType::lstm)  // rows [H, 2H) of [i; f; g; o]
      params_[idx.b_ih].value.middleRows(H, H).array() += static_cast<T>(init.forget_bias);
  }
  Mat<double> w(params_[out_W_].value.rows(), params_[out_W_].value.cols());
  init_weights(w, init.input, rng);
  params_[out_W_].value = w.cast<T>();
  params_[out_b_].value.setConstant(static_cast<T>(init.bias_init));
}

template <typename T>
typename Recurrent<T>::Workspace& Recurrent<T>::workspace(int batch_size) {
  const auto batch_of = [](const Workspace& w) { return w.batch; };
  return kept_for_size(workspaces_, batch_size, batch_of, [&] {
    auto w = std::make_unique<Workspace>();
    w->batch = batch_size;
    const auto L = static_cast<std::size_t>(depth());
    const int gates = gate_count(spec_.cell);
    const bool lstm = spec_.cell == ModelType::lstm, gru = spec_.cell == ModelType::gru;
    for (auto* v : {&w->state_h, &w->state_c, &w->h, &w->c, &w->tanh_c, &w->gates, &w->hn,
                    &w->dgates, &w->dhh, &w->dh_in, &w->dc, &w->hw, &w->W_hh_t})
      v->resize(L);
    w->bias.resize(L);
    w->sums.resize(L);
    w->gate_blocks.resize(L);
    for (std::size_t l = 0; l < L; ++l) {
      const int H = spec_.hidden[l];
      w->state_h[l] = Mat<T>::Zero(H, batch_size);
      w->bias[l].resize(gates * H);
      w->W_hh_t[l].resize(H, gates * H);
      constexpr double kUnpackedProduct = 1 << 20;  // multiply-adds; see gate_blocks
      w->gate_blocks[l] =
          static_cast<double>(H) * H * batch_size <= kUnpackedProduct ? gates : 1;
      if (lstm) {
        w->state_c[l] = Mat<T>::Zero(H, batch_size);
        w->dc[l].resize(H, batch_size);
      } else if (gru) {
        w->hw[l].resize(gates * H, batch_size);
      }
    }
    return w;
  });
}

template <typename T>
void Recurrent<T>::reserve(Workspace& w, int steps) {
  if (steps <= w.capacity) return;
  const int B = w.batch, KB = steps * B, gates = gate_count(spec_.cell);
  const bool lstm = spec_.cell == ModelType::lstm, gru = spec_.cell == ModelType::gru;
  w.x.resize(spec_.inputs, KB);
  for (std::size_t l = 0; l < spec_.hidden.size(); ++l) {
    const int H = spec_.hidden[l];
    w.h[l].resize(H, KB + B);
    w.gates[l].resize(gates * H, KB);
    w.dgates[l].resize(gates * H, KB);
    w.dh_in[l].resize(H, KB);
    if (lstm) {
      w.c[l].resize(H, KB + B);
      w.tanh_c[l].resize(H, KB);
    }
    if (gru) {
      w.hn[l].resize(H, KB);
      w.dhh[l].resize(gates * H, KB);
    }
  }
  w.capacity = steps;
}

template <typename T>
void Recurrent<T>::reset_state(int batch_size) {
  if (batch_size < 1)
    throw std::invalid_argument("Recurrent::reset_state: batch size must be >= 1");
  Workspace& w = workspace(batch_size);
  for (auto& h : w.state_h) h.setZero();
  for (auto& c : w.state_c) c.setZero();
  w.steps = 0;
  w.cached = false;
  current_ = &w;
}

template <typename T>
std::vector<Mat<T>> Recurrent<T>::state() const {
  std::vector<Mat<T>> out;
  if (current_ == nullptr) return out;
  for (int l = 0; l < depth(); ++l) {
    out.push_back(current_->state_h[static_cast<std::size_t>(l)]);
    if (spec_.cell == ModelType::lstm) out.push_back(current_->state_c[static_cast<std::size_t>(l)]);
  }
  return out;
}

template <typename T>
void Recurrent<T>::set_state(const std::vector<Mat<T>>& state) {
  const int per_layer = spec_.cell == ModelType::lstm ? 2 : 1;
  if (static_cast<int>(state.size()) != per_layer * depth())
    throw std::invalid_argument("Recurrent::set_state: expected " +
                                std::to_string(per_layer * depth()) + " matrices, got " +
                                std::to_string(state.size()));
  const auto B = state.front().cols();
  for (std::size_t i = 0; i < state.size(); ++i) {
    const int H = spec_.hidden[i / static_cast<std::size_t>(per_layer)];
    if (state[i].rows() != H || state[i].cols() != B || B < 1)
      throw std::invalid_argument("Recurrent::set_state: matrix " + std::to_string(i) + " is (" +
                                  std::to_string(state[i].rows()) + ", " +
                                  std::to_string(state[i].cols()) + "), expected (" +
                                  std::to_string(H) + ", " + std::to_string(B) + ")");
  }
  reset_state(static_cast<int>(B));
  for (int l = 0; l < depth(); ++l) {
    const auto s = static_cast<std::size_t>(l * per_layer);
    current_->state_h[static_cast<std::size_t>(l)] = state[s];
    if (per_layer == 2) current_->state_c[static_cast<std::size_t>(l)] = state[s + 1];
  }
}

template <typename T>
void Recurrent<T>::forward(const Batch<T>& batch, StepRange steps, bool training) {
  if (current_ == nullptr)
    throw std::logic_error("Recurrent::forward before reset_state or set_state");
  Workspace& w = *current_;
  if (steps.begin < 0 || steps.end <= steps.begin || steps.end > batch.steps())
    throw std::out_of_range("Recurrent::forward: steps [" + std::to_string(steps.begin) + ", " +
                            std::to_string(steps.end) + ") outside a batch of " +
                            std::to_string(batch.steps()) + " steps");
  if (batch.size() != w.batch)
    throw std::logic_error("Recurrent::forward: a batch of " + std::to_string(batch.size()) +
                           " sequences with the state of " + std::to_string(w.batch) +
                           " (call reset_state first)");
  const int B = w.batch, K = steps.end - steps.begin, L = depth();
  for (int t = steps.begin; t < steps.end; ++t) {
    const Mat<T>& x = batch.x[static_cast<std::size_t>(t)];
    if (x.rows() != spec_.inputs || x.cols() != B)
      throw DataError("Recurrent::forward: x[" + std::to_string(t) + "] is (" +
                      std::to_string(x.rows()) + ", " + std::to_string(x.cols()) +
                      "), expected (" + std::to_string(spec_.inputs) + ", " + std::to_string(B) +
                      ")");
  }

  // Per-step outputs of the whole range, allocated for the steps with a target only (the adding
  // problem has one in a thousand), when first needed; later batches reuse them.
  if (K > w.outputs_capacity) {
    w.target.resize(static_cast<std::size_t>(K));
    w.logits.resize(static_cast<std::size_t>(K));
    w.dlogits.resize(static_cast<std::size_t>(K));
    w.outputs_capacity = K;
  }
  for (int k = 0; k < K; ++k) {
    const auto j = static_cast<std::size_t>(k);
    w.target[j] = batch.y[static_cast<std::size_t>(steps.begin + k)].cols() > 0;
    if (w.target[j] && w.logits[j].cols() != B) {
      w.logits[j].resize(spec_.outputs, B);
      w.dlogits[j].resize(spec_.outputs, B);
    }
  }
  w.begin = steps.begin;
  w.steps = K;
  w.cached = training;

  for (int l = 0; l < L; ++l) {
    const auto s = static_cast<std::size_t>(l);
    const LayerIndex& idx = index_[s];
    w.bias[s] = params_[idx.b_ih].value.col(0);
    if (spec_.cell != ModelType::gru)  // gru adds b_hh inside r * (W_hn h + b_hn)
      w.bias[s] += params_[idx.b_hh].value.col(0);
    w.sums[s] = {};
  }

  // A training forward caches every step of the range for backward. Without training the range
  // runs one step at a time through a one-step cache: memory independent of the range's length.
  const int chunk = training ? K : 1;
  reserve(w, chunk);
  for (int first = 0; first < K; first += chunk) {
    for (int k = 0; k < chunk; ++k)
      w.x.middleCols(k * B, B) = batch.x[static_cast<std::size_t>(steps.begin + first + k)];
    for (int l = 0; l < L; ++l) {
      const auto s = static_cast<std::size_t>(l);
      w.h[s].leftCols(B) = w.state_h[s];
      if (spec_.cell == ModelType::lstm) w.c[s].leftCols(B) = w.state_c[s];
      forward_layer(w, l, chunk);
      w.state_h[s] = w.h[s].middleCols(chunk * B, B);
      if (spec_.cell == ModelType::lstm) w.state_c[s] = w.c[s].middleCols(chunk * B, B);
    }
    // Readout y_t = W h_t(top) + b at the steps with a target.
    const Mat<T>& h_top = w.h[static_cast<std::size_t>(L - 1)];
    for (int k = 0; k < chunk; ++k) {
      const auto j = static_cast<std::size_t>(first + k);
      if (!w.target[j]) continue;
      w.logits[j].noalias() = params_[out_W_].value * h_top.middleCols((k + 1) * B, B);
      w.logits[j].colwise() += params_[out_b_].value.col(0);
    }
  }

  if (this->collect_stats_) {
    for (int l = 0; l < L; ++l) {
      const auto& s = w.sums[static_cast<std::size_t>(l)];
      LayerStats& stats = this->layer_stats_[static_cast<std::size_t>(l)];
      const double mean = s.sum / s.count;
      stats.act_mean = mean;
      stats.act_std = std::sqrt(s.squared_deviations / s.count);
      stats.act_saturated = s.saturated_count > 0 ? s.saturated / s.saturated_count : 0.0;
    }
  }
}

template <typename T>
void Recurrent<T>::forward_layer(Workspace& w, int l, int K) {
  const auto s = static_cast<std::size_t>(l);
  const int B = w.batch, KB = K * B, H = spec_.hidden[s];
  const LayerIndex& idx = index_[s];
  const Mat<T>& W_hh = params_[idx.W_hh].value;  // (G, H)
  const auto input = l == 0 ? w.x.middleCols(0, KB) : w.h[s - 1].middleCols(B, KB);  // (in, K B)
  auto pre = w.gates[s].middleCols(0, KB);                                          // (G, K B)
  pre.colwise() = w.bias[s];
  pre.noalias() += params_[idx.W_ih].value * input;
  Mat<T>& h = w.h[s];
  auto& sums = w.sums[s];
  const int blocks = w.gate_blocks[s], rows = static_cast<int>(W_hh.rows()) / blocks;
  // out (+)= W_hh h_prev, one product per block of gate rows.
  const auto add_recurrent = [&](auto&& out, const auto& h_prev) {
    for (int b = 0; b < blocks; ++b)
      out.middleRows(b * rows, rows).noalias() += W_hh.middleRows(b * rows, rows) * h_prev;
  };

  for (int k = 0; k < K; ++k) {
    const auto h_prev = h.middleCols(k * B, B);  // (H, B)
    auto h_next = h.middleCols((k + 1) * B, B);
    auto g = pre.middleCols(k * B, B);           // (G, B)
    switch (spec_.cell) {
      case ModelType::rnn: {
        add_recurrent(g, h_prev);
        cells::rnn_forward<T>(spec_.activation, g, h_next);  // statistics below
        break;
      }
      case ModelType::lstm: {
        add_recurrent(g, h_prev);
        cells::lstm_forward<T>(g, w.c[s].middleCols(k * B, B), w.c[s].middleCols((k + 1) * B, B),
                               w.tanh_c[s].middleCols(k * B, B), h_next, H);
        break;
      }
      case ModelType::gru: {
        Mat<T>& hw = w.hw[s];  // (G, B)
        hw.colwise() = params_[idx.b_hh].value.col(0);
        add_recurrent(hw, h_prev);
        cells::gru_forward<T>(g, hw, w.hn[s].middleCols(k * B, B), h_prev, h_next, H);
        break;
      }
      case ModelType::mlp: break;  // refused by the constructor (gate_count)
    }
    if (this->collect_stats_) {  // per step, while h_t and the gates are in cache
      sums.sum += static_cast<double>(h_next.sum());
      double step_mean = 0, step_std = 0;
      if (spec_.cell == ModelType::rnn) {  // its saturation: activation.h, over (a_t, h_t)
        double saturated = 0;
        spec_.activation.output_stats(g, h_next, step_mean, step_std, saturated);
        const auto n = static_cast<double>(g.size());
        sums.saturated += saturated * n;
        sums.saturated_count += n;
      } else {
        mean_and_std(h_next, step_mean, step_std);
      }
      const double n = static_cast<double>(h_next.size()), total = sums.count + n;
      const double shift = step_mean - sums.running_mean;
      sums.squared_deviations += step_std * step_std * n + shift * shift * sums.count * n / total;
      sums.running_mean += shift * n / total;
      sums.count = total;
      // Gated cells: the fraction of gate values whose derivative is below 5% of its maximum.
      const auto sigmoid = [](T x) { return sigmoid_saturated(x); };
      const auto tanh = [](T x) { return tanh_saturated(x); };
      if (spec_.cell == ModelType::lstm) {
        sums.saturated += static_cast<double>(count_if(g.topRows(2 * H), sigmoid) +
                                              count_if(g.middleRows(2 * H, H), tanh) +
                                              count_if(g.bottomRows(H), sigmoid));
        sums.saturated_count += static_cast<double>(g.size());
      } else if (spec_.cell == ModelType::gru) {
        sums.saturated += static_cast<double>(count_if(g.topRows(2 * H), sigmoid) +
                                              count_if(g.bottomRows(H), tanh));
        sums.saturated_count += static_cast<double>(g.size());
      }
    }
  }
}

template <typename T>
const Mat<T>& Recurrent<T>::output(int t) const {
  const Workspace* w = current_;
  if (w == nullptr || t < w->begin || t >= w->begin + w->steps ||
      !w->target[static_cast<std::size_t>(t - w->begin)])
    throw std::out_of_range("Recurrent::output: step " + std::to_string(t) +
                            " is not a step with a target of the last forward");
  return w->logits[static_cast<std::size_t>(t - w->begin)];
}

template <typename T>
Mat<T>& Recurrent<T>::doutput(int t) {
  Workspace* w = current_;
  if (w == nullptr || t < w->begin || t >= w->begin + w->steps ||
      !w->target[static_cast<std::size_t>(t - w->begin)])
    throw std::out_of_range("Recurrent::doutput: step " + std::to_string(t) +
                            " is not a step with a target of the last forward");
  return w->dlogits[static_cast<std::size_t>(t - w->begin)];
}

template <typename T>
void Recurrent<T>::backward(const Batch<T>&, StepRange steps) {
  Workspace* current = current_;
  if (current == nullptr || !current->cached || steps.begin != current->begin ||
      steps.end != current->begin + current->steps)
    throw std::logic_error("Recurrent::backward: steps [" + std::to_string(steps.begin) + ", " +
                           std::to_string(steps.end) +
                           ") are not those of the last forward with training = true");
  Workspace& w = *current;
  const int B = w.batch, K = w.steps, KB = K * B, L = depth();
  const auto top = static_cast<std::size_t>(L - 1);

  // Readout: dW = sum_t dy_t h_t^T, db = sum_t dy_t over the batch, dL/dh_t(top) = W^T dy_t.
  Mat<T>& dW = params_[out_W_].grad;  // (outputs, H_top)
  Mat<T>& db = params_[out_b_].grad;  // (outputs, 1)
  const Mat<T>& W_out = params_[out_W_].value;
  dW.setZero();
  db.setZero();
  w.dh_in[top].middleCols(0, KB).setZero();
  double squares = 0;
  for (int k = 0; k < K; ++k) {
    if (!w.target[static_cast<std::size_t>(k)]) continue;
    const Mat<T>& dy = w.dlogits[static_cast<std::size_t>(k)];  // (outputs, B)
    dW.noalias() += dy * w.h[top].middleCols((k + 1) * B, B).transpose();
    db += dy.rowwise().sum();
    w.dh_in[top].middleCols(k * B, B).noalias() = W_out.transpose() * dy;
    squares += static_cast<double>(dy.squaredNorm());
  }
  if (this->collect_stats_)
    this->layer_stats_[static_cast<std::size_t>(L)].delta_norm = std::sqrt(squares);

  for (int l = L - 1; l >= 0; --l) {
    backward_layer(w, l, K);
    if (l > 0) {  // dL/dh_t(l - 1) from above = W_ih(l)^T dL/d(pre-activations)(l), all steps
      const auto s = static_cast<std::size_t>(l);
      w.dh_in[s - 1].middleCols(0, KB).noalias() =
          params_[index_[s].W_ih].value.transpose() * w.dgates[s].middleCols(0, KB);
    }
  }
}

template <typename T>
void Recurrent<T>::backward_layer(Workspace& w, int l, int K) {
  const auto s = static_cast<std::size_t>(l);
  const int B = w.batch, H = spec_.hidden[s];
  const LayerIndex& idx = index_[s];
  const Mat<T>& W_hh = params_[idx.W_hh].value;  // (G, H)
  Mat<T>& W_hh_t = w.W_hh_t[s];                  // (H, G)
  transpose_into(W_hh, W_hh_t);
  // The weight gradients are sums over the chunk's steps, accumulated step by step below while
  // each step's deltas are in cache: dW_ih = sum_t D_t x_t^T, dW_hh = sum_t D_hh,t h_{t-1}^T,
  // db_ih = sum_t D_t 1, db_hh = sum_t D_hh,t 1 (D_hh = D except for a gru).
  Mat<T>& dW_ih = params_[idx.W_ih].grad;        // (G, in)
  Mat<T>& dW_hh = params_[idx.W_hh].grad;        // (G, H)
  Mat<T>& db_ih = params_[idx.b_ih].grad;        // (G, 1)
  Mat<T>& db_hh = params_[idx.b_hh].grad;        // (G, 1)
  for (Mat<T>* m : {&dW_ih, &dW_hh, &db_ih, &db_hh}) m->setZero();
  const int blocks = w.gate_blocks[s], rows = static_cast<int>(W_hh.rows()) / blocks;
  std::vector<double>& norms = time_norms_[s];
  if (this->collect_stats_) norms.resize(static_cast<std::size_t>(K));
  std::vector<double>* cell_norms = spec_.cell == ModelType::lstm ? &cell_norms_[s] : nullptr;
  if (this->collect_stats_ && cell_norms) cell_norms->resize(static_cast<std::size_t>(K));
  double delta_squares = 0;  // ||D||_F^2, summed per step while each step's delta is in cache

  // Back through the steps of the chunk; the chunk's initial state gets no gradient. dh_in's
  // block k holds dL/dh_t from above; step t + 1 has added its part, so it is the total.
  for (int k = K - 1; k >= 0; --k) {
    const auto dh = w.dh_in[s].middleCols(k * B, B);  // (H, B)
    if (this->collect_stats_) norms[static_cast<std::size_t>(k)] = static_cast<double>(dh.norm());
    const auto g = w.gates[s].middleCols(k * B, B);  // (G, B)
    auto d = w.dgates[s].middleCols(k * B, B);       // (G, B)
    switch (spec_.cell) {
      case ModelType::rnn:
        cells::rnn_backward<T>(spec_.activation, dh, g, w.h[s].middleCols((k + 1) * B, B), d);
        break;
      case ModelType::lstm:
        cells::lstm_backward<T>(dh, g, w.c[s].middleCols(k * B, B),
                                w.tanh_c[s].middleCols(k * B, B), w.dc[s], k == K - 1,
                                this->collect_stats_ ? &(*cell_norms)[static_cast<std::size_t>(k)]
                                                     : nullptr,
                                d, H);
        break;
      case ModelType::gru: {
        const auto add_to_dh_prev = [&](const auto& term) {
          if (k > 0) w.dh_in[s].middleCols((k - 1) * B, B).array() += term;
        };
        cells::gru_backward<T>(dh, g, w.hn[s].middleCols(k * B, B), w.h[s].middleCols(k * B, B), d,
                               w.dhh[s].middleCols(k * B, B), add_to_dh_prev, H);
        break;
      }
      case ModelType::mlp: break;  // refused by the constructor (gate_count)
    }
    if (this->collect_stats_) delta_squares += static_cast<double>(d.squaredNorm());
    // This step's terms of the weight gradients, and dL/dh_{t-1} += W_hh^T D_hh, one product
    // per block of gate rows (see Workspace::gate_blocks).
    const auto d_hh = spec_.cell == ModelType::gru ? w.dhh[s].middleCols(k * B, B) : d;  // (G, B)
    const auto h_prev = w.h[s].middleCols(k * B, B);                                   // (H, B)
    const auto x = l == 0 ? w.x.middleCols(k * B, B) : w.h[s - 1].middleCols((k + 1) * B, B);
    for (int b = 0; b < blocks; ++b) {
      const auto d_block = d.middleRows(b * rows, rows);
      const auto d_hh_block = d_hh.middleRows(b * rows, rows);
      dW_ih.middleRows(b * rows, rows).noalias() += d_block * x.transpose();
      dW_hh.middleRows(b * rows, rows).noalias() += d_hh_block * h_prev.transpose();
      if (k > 0)
        w.dh_in[s].middleCols((k - 1) * B, B).noalias() +=
            W_hh_t.middleCols(b * rows, rows) * d_hh_block;
    }
    db_ih.col(0) += d.rowwise().sum();
    if (spec_.cell == ModelType::gru) db_hh.col(0) += d_hh.rowwise().sum();
  }
  if (spec_.cell != ModelType::gru) db_hh = db_ih;  // b_ih and b_hh enter the same pre-activation
  if (this->collect_stats_) this->layer_stats_[s].delta_norm = std::sqrt(delta_squares);
}

}  // namespace nnlab
