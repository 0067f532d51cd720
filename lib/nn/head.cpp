// Losses of the output heads, computed stably from logits.
#include "nn/head.h"

#include <cmath>

#include "base/errors.h"

namespace nnlab {

template <typename T>
T Head::loss(const Mat<T>& logits, const Mat<T>& y, Mat<T>* dlogits, T grad_scale) const {
  const Eigen::Index batch = logits.cols();
  T total = 0;
  switch (kind) {
    case Output::sigmoid: {
      // BCE(z, y) = max(z, 0) - y z + log(1 + e^-|z|); dBCE/dz = sigmoid(z) - y.
      auto z = logits.row(0).array();
      auto t = y.row(0).array();
      total = (z.max(T(0)) - t * z + (-z.abs()).exp().log1p()).sum();
      if (dlogits) dlogits->row(0) = (grad_scale * ((T(1) + (-z).exp()).inverse() - t)).matrix();
      break;
    }
    case Output::softmax: {
      // CE = logsumexp(z) - z_y; dCE/dz = softmax(z) - onehot(y).
      for (Eigen::Index j = 0; j < batch; ++j) {
        auto z = logits.col(j);
        const auto label = static_cast<Eigen::Index>(y(0, j));
        const T m = z.maxCoeff();
        const T sum = (z.array() - m).exp().sum();
        total += m + std::log(sum) - z(label);
        if (dlogits) {
          auto d = dlogits->col(j);
          d = ((z.array() - m).exp() * (grad_scale / sum)).matrix();
          d(label) -= grad_scale;
        }
      }
      break;
    }
    case Output::linear: {
      const T inv_targets = T(1) / static_cast<T>(logits.rows());
      total = (logits - y).squaredNorm() * inv_targets;
      if (dlogits) *dlogits = (T(2) * grad_scale * inv_targets) * (logits - y);
      break;
    }
  }
  return total;
}

template <typename T>
Eigen::Index Head::correct(const Mat<T>& logits, const Mat<T>& y) const {
  Eigen::Index hits = 0;
  for (Eigen::Index j = 0; j < logits.cols(); ++j) {
    Eigen::Index predicted = 0;
    if (kind == Output::sigmoid)
      predicted = logits(0, j) > T(0) ? 1 : 0;
    else
      logits.col(j).maxCoeff(&predicted);
    hits += predicted == static_cast<Eigen::Index>(y(0, j)) ? 1 : 0;
  }
  return hits;
}

Head make_head(std::optional<Output> requested, Task task, int classes, int targets) {
  Head head;
  head.classes = classes;
  head.targets = targets;
  if (!requested)
    head.kind = task == Task::regression ? Output::linear
                : classes == 2           ? Output::sigmoid
                                         : Output::softmax;
  else
    head.kind = *requested;
  const std::string name(name_of(head.kind));
  if (task == Task::regression && head.kind != Output::linear)
    throw ConfigError("model.output", "\"" + name + "\" needs a classification task; the data "
                                      "is regression (use \"linear\" or \"auto\")");
  if (task == Task::classification && head.kind == Output::linear)
    throw ConfigError("model.output", "\"linear\" needs a regression task; the data has " +
                                          std::to_string(classes) + " classes");
  if (task == Task::classification && head.kind == Output::sigmoid && classes != 2)
    throw ConfigError("model.output", "\"sigmoid\" needs two classes; the data has " +
                                          std::to_string(classes) + " (use \"softmax\")");
  return head;
}

template float Head::loss(const Mat<float>&, const Mat<float>&, Mat<float>*, float) const;
template double Head::loss(const Mat<double>&, const Mat<double>&, Mat<double>*, double) const;
template Eigen::Index Head::correct(const Mat<float>&, const Mat<float>&) const;
template Eigen::Index Head::correct(const Mat<double>&, const Mat<double>&) const;

}  // namespace nnlab
