// Optimizers over a model's parameter list, with their state in vectors parallel to it.
// Updates follow torch.optim (SGD with momentum/nesterov, Adam with bias correction); weight
// decay is added to the gradient at the update (coupled L2, as torch's weight_decay), after
// clipping, so it never shows in the logged gradient norms.
#pragma once

#include <vector>

#include "config/config.h"
#include "nn/model.h"

namespace nnlab {

// What an optimizer carries from one update to the next, for checkpoints.
template <typename T>
struct OptimizerState {
  long steps = 0;
  std::vector<Mat<T>> m;  // momentum buffer / Adam's first moment, per parameter (empty for sgd)
  std::vector<Mat<T>> v;  // Adam's second moment, per parameter (empty otherwise)
};

template <typename T>
class Optimizer {
 public:
  Optimizer(const TrainConfig& config, const std::vector<Param<T>>& params);

  // One update of every parameter with grad_scale * grad (grad_scale < 1 when clipped). With
  // `update_norms` (one per parameter), also stores ||new value - old value||_F of each update,
  // taken while the parameter is in cache: the differences go to one scratch matrix (for plain
  // SGD in the same pass as the update), whose norm is the same Eigen reduction over the same
  // values as (value - old value).norm().
  void step(std::vector<Param<T>>& params, T grad_scale,
            std::vector<double>* update_norms = nullptr);
  double lr() const { return lr_; }
  long steps() const { return steps_; }
  OptimizerState<T> state() const { return {steps_, m_, v_}; }
  // Restores a state taken from an optimizer of the same kind over the same parameters; throws
  // std::invalid_argument when the shapes differ.
  void set_state(const OptimizerState<T>& state);

 private:
  OptimizerKind kind_;
  double lr_, momentum_, beta1_, beta2_, eps_, weight_decay_;
  long steps_ = 0;
  std::vector<Mat<T>> m_;  // momentum buffer / Adam's first moment, per parameter
  std::vector<Mat<T>> v_;  // Adam's second moment, per parameter
  std::vector<Mat<T>> g_;  // the scaled, decayed gradient of the current step
  Mat<T> diff_;            // scratch for one parameter's update (as many entries as the largest)
};

}  // namespace nnlab
