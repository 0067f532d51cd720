// Stacked recurrent nets (Elman RNN, LSTM, GRU) with a linear readout at every step that has a
// target, trained by truncated backpropagation through time. Equations, gate order and parameter
// shapes are PyTorch's nn.RNN / nn.LSTM / nn.GRU, so weights and values can be compared with it.
#pragma once

#include <memory>
#include <vector>

#include "nn/activation.h"
#include "config/config.h"
#include "nn/init.h"
#include "nn/model.h"
#include "base/rng.h"

namespace nnlab {

// Gate blocks stacked in W_ih, W_hh, b_ih, b_hh: 1 (rnn), 4 [i; f; g; o] (lstm), 3 [r; z; n] (gru).
int gate_count(ModelType cell);

struct RecurrentSpec {
  ModelType cell = ModelType::rnn;
  int inputs = 0;            // >= 1
  std::vector<int> hidden;   // one hidden size per stacked layer, depth = hidden.size() >= 1
  int outputs = 1;           // >= 1, linear readout size
  ActivationFn activation;   // rnn only; lstm/gru use their fixed sigmoid/tanh gates
};

struct RecurrentInit {
  InitSpec input;                   // every W_ih gate block (H, in) and the readout W (out, H_top)
  InitSpec recurrent;               // every W_hh gate block (H, H), drawn separately
  bool recurrent_identity = false;  // IRNN (Le, Jaitly & Hinton 2015): each W_hh block = gain * I,
                                    // gain = recurrent.gain (recurrent's scheme is then unused)
  double spectral_radius = 0;       // > 0: rescale each W_hh block to this spectral radius
  double bias_init = 0;             // every b_ih, b_hh and the readout b
  double forget_bias = 0;           // lstm only (ignored otherwise): added to the forget rows of
                                    // b_ih, so the forget gate starts at 2*bias_init + forget_bias
};

// The spec and init of a config's rnn/lstm/gru model (model.width, activation, init, gain,
// init_scale, recurrent_init, recurrent_gain, recurrent_init_scale, spectral_radius, bias_init,
// forget_bias), as mlp_spec does for an MLP. forget_bias is passed on for an lstm only.
RecurrentSpec recurrent_spec(const ModelConfig& config, int inputs, int outputs);
RecurrentInit recurrent_init_spec(const ModelConfig& config);

// The largest |eigenvalue| of a square matrix (Eigen::EigenSolver, in double).
double spectral_radius(const Mat<double>& square);

// A stack of recurrent layers, layer l >= 2 reading h of layer l - 1, and y_t = W h_t(top) + b.
//
// Shapes: B = batch size, K = steps in the chunk, H(l) = hidden[l - 1], G = gate_count * H(l).
//   layers.{l}.W_ih (G, in(l)), in(1) = inputs, in(l) = H(l-1);  layers.{l}.W_hh (G, H(l))
//   layers.{l}.b_ih (G, 1);  layers.{l}.b_hh (G, 1);  out.W (outputs, H(L));  out.b (outputs, 1)
// Param.layer is l for the recurrent tensors and depth + 1 for the readout.
//
// State and truncated BPTT: reset_state(B) zeroes h (and c) of every layer; forward(range) runs
// the steps of the range from the carried state and carries its final h (and c) on; backward
// treats the chunk's initial state as a constant. Memory grows with the longest chunk, not with
// the sequence: per-step caches live in a workspace per batch size, enlarged only when a longer
// chunk arrives, so the step loop allocates nothing once every chunk length has been seen.
//
// layer_stats() with collect_stats on, hidden layer l: act_mean/act_std over every h_t(l) of the
// forward's range; delta_norm = sqrt(sum_t ||dL/da_t||_F^2), a_t the pre-activation (rnn: the
// argument of act; lstm/gru: the stacked gate pre-activations, for gru's n the whole argument of
// its tanh); act_saturated: rnn: activation.h's saturated_fraction over (a_t, h_t); lstm/gru: the
// fraction of gate values (every gate, unit, sample and step) whose derivative is below 5% of
// its maximum (sigmoid gates beyond |a| ~ 4.4, tanh beyond |a| ~ 2.2), i.e. gates that pass
// almost no gradient to their pre-activation; a forget gate held open near 1 counts. Readout
// (layer depth + 1): delta_norm = sqrt(sum over target steps of ||dL/dy_t||_F^2).
template <typename T>
class Recurrent final : public Model<T> {
 public:
  explicit Recurrent(RecurrentSpec spec);  // throws std::invalid_argument on a bad spec
  ~Recurrent() override;

  // Draws every weight from rng (layer by layer, W_ih blocks then W_hh blocks in gate order, then
  // out.W) and sets the biases; see RecurrentInit. A W_hh block of spectral radius 0 cannot be
  // rescaled: std::invalid_argument.
  void initialize(const RecurrentInit& init, Rng& rng);

  std::vector<Param<T>>& params() override { return params_; }
  std::vector<Buffer<T>>& buffers() override { return buffers_; }
  int num_layers() const override { return depth() + 1; }
  int num_outputs() const override { return spec_.outputs; }
  int depth() const { return static_cast<int>(spec_.hidden.size()); }
  const RecurrentSpec& spec() const { return spec_; }

  void reset_state(int batch_size) override;
  // training = true caches every step of the range for backward; training = false (evaluation)
  // runs the range one step at a time through a one-step cache, so memory does not grow with
  // the range's length, and backward may not follow. Throws std::logic_error before any
  // reset_state/set_state or when the batch size differs from theirs, std::out_of_range for an
  // empty range or one outside the batch, DataError when an x[t] is not (inputs, B).
  void forward(const Batch<T>& batch, StepRange steps, bool training) override;
  // Valid for the steps of the last forward's range that have a target; else std::out_of_range.
  const Mat<T>& output(int t) const override;
  Mat<T>& doutput(int t) override;
  // steps must be the range of the last forward, with training = true (std::logic_error
  // otherwise); batch is not read again (inputs and target steps were cached by forward).
  void backward(const Batch<T>& batch, StepRange steps) override;

  // After a backward with collect_stats on: [l - 1][t - steps.begin] = ||dL/dh_t(l)||_F, the
  // total gradient reaching h_t (from the readout or layer l + 1 at t, and from step t + 1;
  // for an lstm the gradient w.r.t. h_t with c_t held fixed, c_t's own path not included).
  // Left as they were by a backward with collect_stats off.
  const std::vector<std::vector<double>>& time_grad_norms() const override { return time_norms_; }
  // An lstm: [l - 1][t - steps.begin] = ||dL/dc_t(l)||_F, the total gradient reaching c_t (from
  // h_t and from c_{t+1}); empty for rnn/gru.
  const std::vector<std::vector<double>>& time_cell_grad_norms() const override {
    return cell_norms_;
  }

  // Per layer l = 1..depth: h(l), then c(l) for an lstm; each (H(l), B).
  std::vector<Mat<T>> state() const override;
  // Sets the carried state (and the batch size, from the columns), as reset_state does.
  // Throws std::invalid_argument when the count or a shape does not match.
  void set_state(const std::vector<Mat<T>>& state) override;

 private:
  struct Workspace;
  Workspace& workspace(int batch_size);  // the one for this batch size, created on first use
  void reserve(Workspace& w, int steps);  // grows the per-step caches to `steps` steps
  void forward_layer(Workspace& w, int l, int steps);
  void backward_layer(Workspace& w, int l, int steps);

  RecurrentSpec spec_;
  std::vector<Param<T>> params_;
  std::vector<Buffer<T>> buffers_;  // none
  // Indices into params_ per recurrent layer (0-based), then the readout's.
  struct LayerIndex { int W_ih, W_hh, b_ih, b_hh; };
  std::vector<LayerIndex> index_;
  int out_W_ = 0, out_b_ = 0;
  std::vector<std::unique_ptr<Workspace>> workspaces_;
  Workspace* current_ = nullptr;      // chosen by reset_state/set_state
  std::vector<std::vector<double>> time_norms_;
  std::vector<std::vector<double>> cell_norms_;  // lstm only
};

}  // namespace nnlab
