// Optimizers over a model's parameter list, with their state in vectors parallel to it.
// Updates follow torch.optim (SGD with momentum/nesterov, Adam with bias correction); weight
// decay is added to the gradient at the update (coupled L2, as torch's weight_decay), after
// clipping, so it never shows in the logged gradient norms.
#pragma once

#include <vector>

#include "config.h"
#include "model.h"

namespace nnlab {

template <typename T>
class Optimizer {
 public:
  Optimizer(const TrainConfig& config, const std::vector<Param<T>>& params);

  // One update of every parameter with grad_scale * grad (grad_scale < 1 when clipped).
  void step(std::vector<Param<T>>& params, T grad_scale);
  double lr() const { return lr_; }
  long steps() const { return steps_; }

 private:
  OptimizerKind kind_;
  double lr_, momentum_, beta1_, beta2_, eps_, weight_decay_;
  long steps_ = 0;
  std::vector<Mat<T>> m_;  // momentum buffer / Adam's first moment, per parameter
  std::vector<Mat<T>> v_;  // Adam's second moment, per parameter
  std::vector<Mat<T>> g_;  // the scaled, decayed gradient of the current step
};

}  // namespace nnlab
