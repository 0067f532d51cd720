// The one training loop of nnlab, for every model: batches of sequences (an MLP's are one step
// long), one optimizer update per truncated-BPTT chunk, global-norm clipping, divergence
// detection, and per-epoch evaluation. Progress and logs leave through TrainObserver.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "nn/head.h"
#include "nn/model.h"
#include "nn/optimizer.h"
#include "base/rng.h"

namespace nnlab {

// A data set split in the model's scalar type (base/tensor.h).
template <typename T>
using Samples = Sequences<T>;

struct StepInfo {
  long step = 0;                  // updates so far, from 1
  int epoch = 0;                  // from 1
  double loss = 0;                // mean loss of this step's batch before its update
  double grad_norm = 0;           // global L2 norm of all gradients, before clipping
  bool clipped = false;
  double grad_norm_clipped = 0;   // the norm actually applied (= grad_norm when not clipped)
  double lr = 0;
  bool log_layers = false;        // per-layer rows are due at this step (log.every)
  StepRange range;                // the time steps of this update (truncated-BPTT chunk)
  std::vector<double> param_grad_norms;  // per Param, Frobenius, before clipping
  // Set for on_step_end: whether the optimizer updated the weights (false when the step
  // diverged), and on logged steps per Param ||W_after - W_before||_F of that update.
  bool updated = false;
  std::vector<double> param_update_norms;
};

struct EvalInfo {
  int epoch = 0;  // 0 = before training
  long step = 0;
  bool classification = false;
  bool has_test = false;
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
};

// Where a run stands between two updates: with the model's parameters and buffers, everything
// needed to continue it bit for bit (what a checkpoint holds).
template <typename T>
struct TrainState {
  long steps = 0;              // updates done
  int epoch = 1;               // the epoch in progress (epochs + 1 once training is over)
  int batch_start = 0;         // position in `order` of the batch in progress (or the next one)
  int next_chunk = 0;          // that batch's next truncated-BPTT chunk; 0 = not begun
  std::vector<int> order;      // this epoch's sample order (after its shuffle)
  RngState shuffle_rng;        // the shuffling generator, after this epoch's shuffle
  std::vector<Mat<T>> hidden;  // the model's carried state when next_chunk > 0 (Model::state)
  OptimizerState<T> optimizer;
  EvalInfo last_eval;
};

template <typename T>
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void on_step(const StepInfo&, Model<T>&) {}
  // After on_step and the step's optimizer update (if any: see StepInfo::updated); the model
  // holds the updated weights.
  virtual void on_step_end(const StepInfo&, Model<T>&) {}
  virtual void on_eval(const EvalInfo&) {}
  // A checkpoint is due (train.checkpoint_every, a request, an interruption, or the end): the
  // model holds the state's parameters. Called after the step's on_step and update.
  virtual void on_checkpoint(const TrainState<T>&, Model<T>&) {}
};

enum class RunStatus { completed, diverged, interrupted };

struct TrainResult {
  RunStatus status = RunStatus::completed;
  long steps = 0;
  int epochs = 0;                 // epochs completed
  EvalInfo last_eval;
  long diverged_step = 0;
  bool loss_nonfinite = false;
  int first_nonfinite_layer = 0;  // highest layer (first reached by backprop) with a non-finite
                                  // gradient; 0 when every gradient was finite
  std::string first_nonfinite_param;
  bool in_final_evaluation = false;  // diverged after the last step: its update left the model
                                     // with a non-finite loss in the final evaluation
};

struct TrainOptions {
  std::uint64_t shuffle_seed = 0;
  std::function<bool()> stop_requested;        // checked after every update: checkpoint, stop
  std::function<bool()> checkpoint_requested;  // checked after every update: checkpoint, go on
};

// Trains from the start, or from `resume` (a state that an observer received from a run with the
// same model, data and config; its parameters already loaded into the model).
template <typename T>
TrainResult train(Model<T>& model, const Head& head, const Samples<T>& train_set,
                  const Samples<T>& test_set, const TrainConfig& config, const LogConfig& log,
                  const TrainOptions& options, const std::vector<TrainObserver<T>*>& observers,
                  const TrainState<T>* resume = nullptr);

// The chunks of one optimizer update each: [0, k), [k, 2k), ... over `steps` time steps, the
// last one shorter when k does not divide steps; truncation 0 = one chunk of every step.
std::vector<StepRange> chunks(int steps, int truncation);

// Whether any step of `range` has a target (y[t] with columns); y as in Samples or Batch.
template <typename T>
bool chunk_has_target(const std::vector<Mat<T>>& y, StepRange range) {
  for (int t = range.begin; t < range.end; ++t)
    if (y[static_cast<std::size_t>(t)].cols() > 0) return true;
  return false;
}

// Mean loss over the target steps of `range` (after model.forward on them); with with_grad, also
// writes dL/dlogits of that mean into model.doutput(t). count receives the number of terms.
template <typename T>
double chunk_loss(Model<T>& model, const Head& head, const Batch<T>& batch, StepRange range,
                  bool with_grad, long& count);

// Mean loss and accuracy of the model on a data set, in evaluation mode.
template <typename T>
void evaluate(Model<T>& model, const Head& head, const Samples<T>& set, double& loss,
              double& accuracy);

}  // namespace nnlab
