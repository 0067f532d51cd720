// What the trainer, optimizer, clipper and logger know of a model: a list of named parameters
// and a forward/backward pair over a batch of sequences (an MLP batch is one step long).
//
// Contract, once for every model:
// - forward(batch, steps, training) computes the outputs (logits) at every step of `steps` that
//   has a target, keeping what backward needs. A recurrent model carries its hidden state from
//   one call to the next until reset_state(); gradients never flow across calls.
// - the caller writes dL/d(logits) into doutput(t) for those steps, then calls backward(steps),
//   which OVERWRITES every Param::grad with dL/dparam for this chunk.
// - with collect_stats(true), forward/backward also fill layer_stats() (costs a little).
// - params() lists tensors grouped by layer, in ascending layer order.
#pragma once

#include <string>
#include <vector>

#include "base/tensor.h"

namespace nnlab {

// One trainable tensor. value and grad have the same shape; a bias is a (n, 1) matrix.
template <typename T>
struct Param {
  std::string name;  // e.g. "layers.2.W"
  int layer = 0;     // 1 = the layer next to the input; the output layer is the last
  std::string kind;  // "W", "b", "gamma", "beta", ...
  Mat<T> value;
  Mat<T> grad;
};

// A non-trainable tensor saved with the weights (batch norm's running statistics).
template <typename T>
struct Buffer {
  std::string name;
  Mat<T> value;
};

// A batch of B sequences (base/tensor.h): x[t] is (features, B), y[t] the targets at step t.
template <typename T>
using Batch = Sequences<T>;

// A half-open range of time steps [begin, end) of a batch: one truncated-BPTT chunk.
struct StepRange {
  int begin = 0;
  int end = 1;
};

// Per-layer diagnostics of the last forward/backward with collect_stats on.
struct LayerStats {
  double delta_norm = 0;     // ||dL/dz(l)||_F over the batch (the chapter's delta, summed over time)
  double act_mean = 0;       // mean of act(z(l)) over units and batch (hidden layers)
  double act_std = 0;        // population std of the same
  double act_saturated = 0;  // fraction with act'(z) < 5% of its maximum (see activation.h)
  double z_sq_mean = 0;      // mean of z(l)^2 over units and batch (MLP: before batch norm; the
                             // output layer's logits too); mean-field theory's q(l). Only with
                             // collect_stats(true, /*mean_field=*/true): no CSV of a run has it
  bool hidden = false;       // false for the output layer: no activation statistics
};

template <typename T>
class Model {
 public:
  virtual ~Model() = default;
  virtual std::vector<Param<T>>& params() = 0;
  virtual std::vector<Buffer<T>>& buffers() = 0;
  virtual int num_layers() const = 0;  // logged layers, output layer included
  virtual int num_outputs() const = 0;

  virtual void reset_state(int batch_size) = 0;
  virtual void forward(const Batch<T>& batch, StepRange steps, bool training) = 0;
  virtual const Mat<T>& output(int t) const = 0;  // (outputs, B) logits at step t
  virtual Mat<T>& doutput(int t) = 0;             // (outputs, B) dL/dlogits, written by the caller
  virtual void backward(const Batch<T>& batch, StepRange steps) = 0;

  // mean_field: also z_sq_mean (nnlab probe), which a training run does not log.
  void collect_stats(bool on, bool mean_field = false) {
    collect_stats_ = on;
    collect_z_sq_ = on && mean_field;
  }
  const std::vector<LayerStats>& layer_stats() const { return layer_stats_; }
  // Recurrent models, after a backward with collect_stats on: [layer - 1][t - steps.begin] =
  // ||dL/dh_t||_F over the batch for every step of the chunk. Empty for an MLP.
  virtual const std::vector<std::vector<double>>& time_grad_norms() const { return no_time_; }
  // An LSTM, likewise: ||dL/dc_t||_F, the total gradient reaching the cell state c_t (from h_t
  // and from c_{t+1}). Empty for every other model.
  virtual const std::vector<std::vector<double>>& time_cell_grad_norms() const { return no_time_; }

  // The state carried from one forward to the next (recurrent models: h and c of every layer),
  // so that a caller can hold it fixed, e.g. to check a truncated chunk by finite differences.
  virtual std::vector<Mat<T>> state() const { return {}; }
  virtual void set_state(const std::vector<Mat<T>>&) {}

 protected:
  bool collect_stats_ = false;
  bool collect_z_sq_ = false;
  std::vector<LayerStats> layer_stats_;

 private:
  std::vector<std::vector<double>> no_time_;
};

}  // namespace nnlab
