// Hidden-layer activations a = act(z) and their backward dz = da * act'(z), applied to whole
// (units, B) matrices. One small struct with a switch, no class per activation.
#pragma once

#include <cmath>

#include "config.h"
#include "tensor.h"

namespace nnlab {

struct ActivationFn {
  Activation kind = Activation::tanh;
  double negative_slope = 0.01;  // leaky_relu
  double elu_alpha = 1.0;        // elu

  // a = act(z). z, a: (units, B).
  template <typename T>
  void forward(const Mat<T>& z, Mat<T>& a) const {
    const T slope = static_cast<T>(negative_slope), alpha = static_cast<T>(elu_alpha);
    switch (kind) {
      case Activation::sigmoid: a = (T(1) + (-z.array()).exp()).inverse().matrix(); break;
      case Activation::tanh: a = z.array().tanh().matrix(); break;
      case Activation::relu: a = z.cwiseMax(T(0)); break;
      case Activation::leaky_relu:
        a = (z.array() > T(0)).select(z.array(), slope * z.array()).matrix();
        break;
      case Activation::elu:
        a = (z.array() > T(0)).select(z.array(), alpha * (z.array().exp() - T(1))).matrix();
        break;
      case Activation::identity: a = z; break;
    }
  }

  // dz = da * act'(z), using the cached z and a = act(z). All (units, B).
  template <typename T>
  void backward(const Mat<T>& da, const Mat<T>& z, const Mat<T>& a, Mat<T>& dz) const {
    const T slope = static_cast<T>(negative_slope), alpha = static_cast<T>(elu_alpha);
    switch (kind) {
      case Activation::sigmoid: dz = (da.array() * a.array() * (T(1) - a.array())).matrix(); break;
      case Activation::tanh: dz = (da.array() * (T(1) - a.array().square())).matrix(); break;
      case Activation::relu: dz = (z.array() > T(0)).select(da.array(), T(0)).matrix(); break;
      case Activation::leaky_relu:
        dz = (z.array() > T(0)).select(da.array(), slope * da.array()).matrix();
        break;
      case Activation::elu:  // act'(z) = alpha e^z = a + alpha for z <= 0
        dz = (z.array() > T(0)).select(da.array(), da.array() * (a.array() + alpha)).matrix();
        break;
      case Activation::identity: dz = da; break;
    }
  }

  // The fraction of entries whose local derivative act'(z) is below 5% of the activation's
  // largest derivative: saturated sigmoid/tanh units, dead (z <= 0) ReLUs, deep-negative ELUs.
  // Leaky ReLU counts z <= 0 when its slope is below 5%. Identity never saturates.
  template <typename T>
  double saturated_fraction(const Mat<T>& z, const Mat<T>& a) const {
    if (z.size() == 0) return 0.0;
    Eigen::Index count = 0;
    switch (kind) {
      case Activation::sigmoid:  // act' = a(1-a) <= 0.25
        count = (a.array() * (T(1) - a.array()) < T(0.05 * 0.25)).count();
        break;
      case Activation::tanh: count = (T(1) - a.array().square() < T(0.05)).count(); break;
      case Activation::relu: count = (z.array() <= T(0)).count(); break;
      case Activation::leaky_relu:
        count = negative_slope < 0.05 ? (z.array() <= T(0)).count() : 0;
        break;
      case Activation::elu: {
        const T max_derivative = static_cast<T>(std::max(1.0, elu_alpha));
        count = (z.array() <= T(0) && a.array() + static_cast<T>(elu_alpha) <
                                          T(0.05) * max_derivative).count();
        break;
      }
      case Activation::identity: count = 0; break;
    }
    return static_cast<double>(count) / static_cast<double>(z.size());
  }
};

}  // namespace nnlab
