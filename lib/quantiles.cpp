// Exact quantiles by successive selection (see quantiles.h for the definition).
#include "quantiles.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnlab {

template <typename T>
Quantiles QuantileScratch::compute(const T* data, std::size_t n, bool absolute) {
  Quantiles out;
  if (n == 0) {
    out.fill(std::numeric_limits<double>::quiet_NaN());
    return out;
  }
  if (buffer_.size() < n) buffer_.resize(n);  // grows once, to the largest tensor
  double* x = buffer_.data();
  bool nan = false;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(data[i]);
    nan |= std::isnan(v);
    x[i] = absolute ? std::abs(v) : v;
  }
  if (nan) {
    out.fill(std::numeric_limits<double>::quiet_NaN());
    return out;
  }
  // Levels ascend, so each selection only searches to the right of the previous one: after
  // nth_element at k, every entry right of k is >= x[k].
  std::size_t from = 0;
  for (std::size_t j = 0; j < kQuantileLevels.size(); ++j) {
    const double h = static_cast<double>(n - 1) * kQuantileLevels[j];
    const auto k = static_cast<std::size_t>(std::floor(h));
    std::nth_element(x + from, x + k, x + n);
    const double a = x[k];
    const double t = h - static_cast<double>(k);
    if (k + 1 >= n || t == 0) {
      out[j] = a;
      from = k;
      continue;
    }
    const double b = *std::min_element(x + k + 1, x + n);  // x(k+1)
    // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
    const double d = b - a;
    out[j] = t < 0.5 ? a + d * t : b - d * (1 - t);
    from = k;
  }
  return out;
}

template Quantiles QuantileScratch::compute(const float*, std::size_t, bool);
template Quantiles QuantileScratch::compute(const double*, std::size_t, bool);

}  // namespace nnlab
