// Hidden-layer activations a = act(z) and their backward dz = da * act'(z), applied to whole
// (units, B) matrices. One small struct with a switch, no class per activation.
#pragma once

#include <algorithm>
#include <cmath>

#include "config/config.h"
#include "base/tensor.h"

namespace nnlab {

// Reductions of the logged statistics over every entry of a (rows, cols) matrix or block with
// unit inner stride, in a fixed order (so results are reproducible) and in independent lanes (so
// the compiler vectorises them: a plain running sum in double is one long dependency chain).
namespace stats_detail {
constexpr int kLanes = 16;

// The sum of p[0, n), and in the same loop the number of entries for which pred holds (the
// sum waits on float-to-double conversions and additions; the comparisons go beside them, about
// free; with a predicate that never holds they compile away).
template <typename T, typename Pred>
double sum(const T* p, Eigen::Index n, Pred pred, Eigen::Index& count) {
  double acc[kLanes] = {};
  Eigen::Index i = 0;
  int c = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) {
      acc[k] += static_cast<double>(p[i + k]);
      c += pred(p[i + k]) ? 1 : 0;
    }
  double total = 0;
  for (; i < n; ++i) {
    total += static_cast<double>(p[i]);
    c += pred(p[i]) ? 1 : 0;
  }
  for (double a : acc) total += a;
  count += c;
  return total;
}

template <typename T>
double squared_deviations(const T* p, Eigen::Index n, double mean) {
  double acc[kLanes] = {};
  Eigen::Index i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) {
      const double d = static_cast<double>(p[i + k]) - mean;
      acc[k] += d * d;
    }
  double total = 0;
  for (; i < n; ++i) {
    const double d = static_cast<double>(p[i]) - mean;
    total += d * d;
  }
  for (double a : acc) total += a;
  return total;
}

// f(pointer, length) over the entries of x as contiguous runs: one run for a whole matrix (or
// a block of whole columns), else one per column. Returns the sum of f's results.
template <typename Derived, typename F>
double over_runs(const Eigen::MatrixBase<Derived>& x, F f) {
  const auto& d = x.derived();
  if (d.outerStride() == d.rows() || d.cols() == 1) return f(d.data(), d.size());
  double total = 0;
  for (Eigen::Index j = 0; j < d.cols(); ++j) total += f(d.data() + j * d.outerStride(), d.rows());
  return total;
}
}  // namespace stats_detail

// Mean and population standard deviation of every entry, in double, in two passes (the one-pass
// sqrt(E[x^2] - mean^2) cancels badly when the spread is small against the mean, e.g. for
// saturated units).
// With pred: also the number of entries for which it holds (into `holds`), counted in the first
// pass.
template <typename Derived, typename Pred>
void mean_and_std(const Eigen::MatrixBase<Derived>& x, double& mean, double& std, Pred pred,
                  Eigen::Index& holds) {
  using T = typename Derived::Scalar;
  const double count = static_cast<double>(x.size());
  holds = 0;
  const double m = stats_detail::over_runs(x, [pred, &holds](const T* p, Eigen::Index n) {
                     return stats_detail::sum(p, n, pred, holds);
                   }) /
                   count;
  const double squares = stats_detail::over_runs(x, [m](const T* p, Eigen::Index n) {
    return stats_detail::squared_deviations(p, n, m);
  });
  mean = m;
  std = std::sqrt(squares / count);
}

template <typename Derived>
void mean_and_std(const Eigen::MatrixBase<Derived>& x, double& mean, double& std) {
  Eigen::Index none = 0;
  mean_and_std(x, mean, std, [](typename Derived::Scalar) { return false; }, none);
}

// The number of entries for which pred(x) holds (pred on one entry; vectorisable).
template <typename Derived, typename Pred>
Eigen::Index count_if(const Eigen::MatrixBase<Derived>& x, Pred pred) {
  using T = typename Derived::Scalar;
  return static_cast<Eigen::Index>(stats_detail::over_runs(x, [pred](const T* p, Eigen::Index n) {
    Eigen::Index c = 0;
    for (Eigen::Index i = 0; i < n; ++i) c += pred(p[i]) ? 1 : 0;
    return static_cast<double>(c);
  }));
}

// The same over two matrices of one shape: pred(z, a) on entries at the same position.
template <typename DerivedZ, typename DerivedA, typename Pred>
Eigen::Index count_if(const Eigen::MatrixBase<DerivedZ>& z, const Eigen::MatrixBase<DerivedA>& a,
                      Pred pred) {
  Eigen::Index count = 0;
  const auto& dz = z.derived();
  const auto& da = a.derived();
  for (Eigen::Index j = 0; j < dz.cols(); ++j) {
    const auto* pz = dz.data() + j * dz.outerStride();
    const auto* pa = da.data() + j * da.outerStride();
    int c = 0;
    for (Eigen::Index i = 0; i < dz.rows(); ++i) c += pred(pz[i], pa[i]) ? 1 : 0;
    count += c;
  }
  return count;
}

// Saturation tests of single gate values (see ActivationFn::saturated_fraction): derivative below
// 5% of its maximum. sigmoid' = s (1 - s) <= 1/4; tanh' = 1 - g^2 <= 1.
template <typename T>
inline bool sigmoid_saturated(T s) {
  return s * (T(1) - s) < T(0.05 * 0.25);
}
template <typename T>
inline bool tanh_saturated(T g) {
  return T(1) - g * g < T(0.05);
}

struct ActivationFn {
  Activation kind = Activation::tanh;
  double negative_slope = 0.01;  // leaky_relu
  double elu_alpha = 1.0;        // elu

  // a = act(z). z, a: (units, B) matrices or blocks of one shape (a may be a block to write).
  template <typename DerivedZ, typename DerivedA>
  void forward(const Eigen::MatrixBase<DerivedZ>& z,
               const Eigen::MatrixBase<DerivedA>& a_out) const {
    using T = typename DerivedZ::Scalar;
    auto& a = const_cast<Eigen::MatrixBase<DerivedA>&>(a_out).derived();
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

  // dz = da * act'(z), using the cached z and a = act(z). All (units, B), matrices or blocks.
  template <typename DerivedDA, typename DerivedZ, typename DerivedA, typename DerivedDZ>
  void backward(const Eigen::MatrixBase<DerivedDA>& da, const Eigen::MatrixBase<DerivedZ>& z,
                const Eigen::MatrixBase<DerivedA>& a,
                const Eigen::MatrixBase<DerivedDZ>& dz_out) const {
    using T = typename DerivedZ::Scalar;
    auto& dz = const_cast<Eigen::MatrixBase<DerivedDZ>&>(dz_out).derived();
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
  template <typename DerivedZ, typename DerivedA>
  double saturated_fraction(const Eigen::MatrixBase<DerivedZ>& z,
                            const Eigen::MatrixBase<DerivedA>& a) const {
    using T = typename DerivedZ::Scalar;
    if (z.size() == 0) return 0.0;
    Eigen::Index count = 0;
    switch (kind) {
      case Activation::sigmoid: count = count_if(a, [](T s) { return sigmoid_saturated(s); }); break;
      case Activation::tanh: count = count_if(a, [](T g) { return tanh_saturated(g); }); break;
      case Activation::relu: count = count_if(z, [](T x) { return x <= T(0); }); break;
      case Activation::leaky_relu:
        count = negative_slope < 0.05 ? count_if(z, [](T x) { return x <= T(0); }) : 0;
        break;
      case Activation::elu: {
        const T max_derivative = static_cast<T>(std::max(1.0, elu_alpha));
        const T alpha = static_cast<T>(elu_alpha);
        count = count_if(z, a, [&](T x, T y) {
          return x <= T(0) && y + alpha < T(0.05) * max_derivative;
        });
        break;
      }
      case Activation::identity: count = 0; break;
    }
    return static_cast<double>(count) / static_cast<double>(z.size());
  }

  // mean_and_std(a) and saturated_fraction(z, a) together: for sigmoid and tanh, whose test reads
  // a, the saturated units are counted in the first pass over a (the same numbers, one pass
  // fewer); for the others, one after the other.
  template <typename DerivedZ, typename DerivedA>
  void output_stats(const Eigen::MatrixBase<DerivedZ>& z, const Eigen::MatrixBase<DerivedA>& a,
                    double& mean, double& std, double& saturated) const {
    using T = typename DerivedA::Scalar;
    Eigen::Index count = 0;
    switch (kind) {
      case Activation::sigmoid:
        mean_and_std(a, mean, std, [](T s) { return sigmoid_saturated(s); }, count);
        break;
      case Activation::tanh:
        mean_and_std(a, mean, std, [](T g) { return tanh_saturated(g); }, count);
        break;
      default:
        mean_and_std(a, mean, std);
        saturated = saturated_fraction(z, a);
        return;
    }
    saturated = z.size() == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(z.size());
  }
};

}  // namespace nnlab
