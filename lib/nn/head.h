// The output head: how logits become predictions and a loss. sigmoid + binary cross-entropy
// (one logit), softmax + cross-entropy (one logit per class), linear + mean squared error.
// The gradient is taken with respect to the logits, so for the two classification heads it is
// the chapter's delta(L) = a(L) - y.
#pragma once

#include "config/config.h"
#include "base/tensor.h"

namespace nnlab {

struct Head {
  Output kind = Output::linear;
  int classes = 0;  // classification: number of classes
  int targets = 1;  // regression: values per sample

  int outputs() const {
    switch (kind) {
      case Output::sigmoid: return 1;
      case Output::softmax: return classes;
      case Output::linear: return targets;
    }
    return 0;
  }

  // Sum over the batch of the per-sample loss. When dlogits is given it receives
  // grad_scale * dloss/dlogits (the caller passes 1/count to differentiate a mean).
  // logits: (outputs, B); y: (1, B) class indices or (targets, B) values.
  // MSE's per-sample loss is the mean over its target values, as in torch.nn.MSELoss.
  template <typename T>
  T loss(const Mat<T>& logits, const Mat<T>& y, Mat<T>* dlogits, T grad_scale) const;

  // Number of samples whose predicted class is the target class (classification only).
  template <typename T>
  Eigen::Index correct(const Mat<T>& logits, const Mat<T>& y) const;
};

// The head a config asks for, given the data's task ("auto" resolved as the README says).
Head make_head(std::optional<Output> requested, Task task, int classes, int targets);

}  // namespace nnlab
