// The cost of one forward and one backward pass (the chapter: "one backprop pass costs about 2×
// a forward pass"): multiply-adds of the matrix products counted exactly from the architecture,
// per layer, and the time of the real forward/backward on one training batch (the functions
// training calls), median over repetitions. Element-wise work (activations, gates, batch norm,
// residual sums, bias adds and sums) is not counted in the multiply-adds; it shows in the time.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "nn/mlp.h"
#include "nn/rnn.h"

namespace nnlab {

// Multiply-adds of one layer's matrix products over one pass of a batch.
struct LayerMacs {
  int layer = 0;             // 1 = next to the input; the output layer / readout is the last
  std::string type;          // "dense" (MLP hidden), "output" (MLP output layer), "rnn", "lstm",
                             // "gru" (a recurrent layer over every step), "readout"
  double forward = 0;        // z = W a_in (recurrent: W_ih x_t and W_hh h_(t-1) for every step)
  double backward_weights = 0;  // dW = delta a_in^T (recurrent: dW_ih and dW_hh summed over steps)
  double backward_input = 0;    // dL/da_in = W^T delta; 0 for layer 1, whose input is the data
  double backward() const { return backward_weights + backward_input; }
};

// MLP, batch B: layer l (n_in -> n_out) forward B n_in n_out, dW B n_in n_out, dL/da_in
// B n_in n_out except for layer 1. So backward = 2 forward - B n_0 n_1.
std::vector<LayerMacs> mlp_macs(const MlpSpec& spec, int batch);

// Stacked recurrent net over K steps of which `target_steps` have a target, batch B, G = gates H:
// layer l forward K B G (in + H); backward dW_ih K B G in, dW_hh K B G H, dL/dh_(t-1) through
// W_hh (K - 1) B G H (the chunk's initial state gets none), dL/dx_t through W_ih K B G in except
// for layer 1. Readout (outputs O): forward P B H O, backward 2 P B H O (P = target_steps).
std::vector<LayerMacs> recurrent_macs(const RecurrentSpec& spec, int batch, int steps,
                                      int target_steps);

// Sums per layer type, in the order the types first appear.
std::vector<LayerMacs> macs_by_type(const std::vector<LayerMacs>& layers);

struct TimingOptions {
  int warmup = 2;             // untimed forward/backward pairs first (workspaces, caches)
  int min_repeats = 7;        // timed pairs: at least this many ...
  double min_seconds = 0.1;   // ... and until forward + backward have taken this long in all
  int max_repeats = 100000;
};

struct PassCost {
  std::vector<LayerMacs> layers;
  double forward_macs = 0, backward_macs = 0;
  int batch = 0, steps = 1;          // the batch timed and counted: B sequences of `steps` steps
  bool timed = false;
  int repeats = 0;
  double forward_seconds = 0;   // median over the repeats of one model.forward(training), CPU s
  double backward_seconds = 0;  // median of one model.backward (the loss gradient excluded)
};

// The pass cost of a run with this (resolved) config: the model as the run builds it
// (initialised from its seed), on the first train.batch_size training samples and the first
// truncated-BPTT chunk that has a target (the whole sequence without truncation), in the
// config's dtype. With `time`, also times the passes: CPU time of the calling thread
// (CLOCK_THREAD_CPUTIME_ID; BLAS runs on one thread), so that other processes on a shared machine
// do not count. Throws ConfigError/DataError as build_experiment does.
PassCost pass_cost(const Config& config, bool time, const TimingOptions& options = {});

}  // namespace nnlab
