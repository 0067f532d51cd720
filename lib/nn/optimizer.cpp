// SGD, momentum, Nesterov momentum and Adam, as torch.optim defines them.
#include "nn/optimizer.h"

#include <cmath>
#include <stdexcept>

#include "base/errors.h"

namespace nnlab {

template <typename T>
Optimizer<T>::Optimizer(const TrainConfig& config, const std::vector<Param<T>>& params)
    : kind_(config.optimizer),
      lr_(config.lr ? *config.lr
                     : throw ConfigError("train.lr", "not set (parse_config sets it)")),
      momentum_(config.momentum),
      beta1_(config.beta1),
      beta2_(config.beta2),
      eps_(config.eps),
      weight_decay_(config.weight_decay) {
  for (const auto& p : params) {
    g_.push_back(Mat<T>::Zero(p.value.rows(), p.value.cols()));
    if (kind_ != OptimizerKind::sgd) m_.push_back(Mat<T>::Zero(p.value.rows(), p.value.cols()));
    if (kind_ == OptimizerKind::adam) v_.push_back(Mat<T>::Zero(p.value.rows(), p.value.cols()));
    if (p.value.size() > diff_.size()) diff_.resize(p.value.size(), 1);
  }
}

template <typename T>
void Optimizer<T>::set_state(const OptimizerState<T>& state) {
  auto same_shapes = [](const std::vector<Mat<T>>& a, const std::vector<Mat<T>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].rows() != b[i].rows() || a[i].cols() != b[i].cols()) return false;
    return true;
  };
  if (!same_shapes(state.m, m_) || !same_shapes(state.v, v_))
    throw std::invalid_argument("optimizer state does not match the optimizer's parameters");
  steps_ = state.steps;
  m_ = state.m;
  v_ = state.v;
}

template <typename T>
void Optimizer<T>::step(std::vector<Param<T>>& params, T grad_scale,
                        std::vector<double>* update_norms) {
  ++steps_;
  const T lr = static_cast<T>(lr_), mu = static_cast<T>(momentum_), wd = static_cast<T>(weight_decay_);
  const T b1 = static_cast<T>(beta1_), b2 = static_cast<T>(beta2_), eps = static_cast<T>(eps_);
  // Adam's bias corrections, in double for accuracy at large step counts.
  const T correction1 = static_cast<T>(1.0 - std::pow(beta1_, static_cast<double>(steps_)));
  const T correction2 = static_cast<T>(1.0 - std::pow(beta2_, static_cast<double>(steps_)));
  for (std::size_t i = 0; i < params.size(); ++i) {
    Mat<T>& value = params[i].value;
    Eigen::Map<Mat<T>> diff(diff_.data(), value.rows(), value.cols());  // aligned: diff_'s start
    if (kind_ == OptimizerKind::sgd && wd == T(0)) {  // one pass over memory, the same values
      if (update_norms == nullptr) {
        value -= lr * (grad_scale * params[i].grad);
        continue;
      }
      // The same operations as the line above, one at a time, and the update as made. That
      // both give the same weights (GCC may fuse a multiply and an add into one FMA at -O2 and
      // above, in either path) is tested: tests/test_training.cpp, "log.every changes no number".
      T* __restrict v = value.data();
      const T* __restrict g = params[i].grad.data();
      T* __restrict d = diff.data();
      const Eigen::Index n = value.size();
      for (Eigen::Index k = 0; k < n; ++k) {
        const T old = v[k];
        const T scaled = grad_scale * g[k];
        const T delta = lr * scaled;
        const T now = old - delta;
        v[k] = now;
        d[k] = now - old;
      }
      (*update_norms)[i] = static_cast<double>(diff.norm());
      continue;
    }
    if (update_norms != nullptr) diff = value;  // the old value, until after the update
    Mat<T>& g = g_[i];
    g = grad_scale * params[i].grad;
    if (wd != T(0)) g += wd * value;
    switch (kind_) {
      case OptimizerKind::sgd: value -= lr * g; break;
      case OptimizerKind::momentum:  // v = mu v + g; p -= lr v
        m_[i] = mu * m_[i] + g;
        value -= lr * m_[i];
        break;
      case OptimizerKind::nesterov:  // v = mu v + g; p -= lr (g + mu v)
        m_[i] = mu * m_[i] + g;
        value -= lr * (g + mu * m_[i]);
        break;
      case OptimizerKind::adam:
        m_[i] = b1 * m_[i] + (T(1) - b1) * g;
        v_[i] = b2 * v_[i] + (T(1) - b2) * g.cwiseProduct(g);
        value.array() -= (lr / correction1) * m_[i].array() /
                         ((v_[i].array() / correction2).sqrt() + eps);
        break;
    }
    if (update_norms != nullptr) {
      diff = value - diff;
      (*update_norms)[i] = static_cast<double>(diff.norm());
    }
  }
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace nnlab
