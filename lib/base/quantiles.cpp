// Exact quantiles by multiple selection (see quantiles.h for the definition).
#include "base/quantiles.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnlab {

double median(std::vector<double> x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t m = x.size() / 2;
  std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(m), x.end());
  const double hi = x[m];
  if (x.size() % 2) return hi;
  return (*std::max_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(m)) + hi) / 2;
}

namespace {

// Puts the order statistic x(i) at position i for every i in [first, last) (sorted, unique,
// within [lo, hi)): one nth_element at the middle index, then each side on its own part, so the
// cost is about n log2(#indices) rather than n per index.
void multiselect(double* x, std::size_t lo, std::size_t hi, const std::size_t* first,
                 const std::size_t* last) {
  if (first == last || hi - lo < 2) return;
  const std::size_t* mid = first + (last - first) / 2;
  std::nth_element(x + lo, x + *mid, x + hi);
  multiselect(x, lo, *mid, first, mid);
  multiselect(x, *mid + 1, hi, mid + 1, last);
}

}  // namespace

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
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = absolute ? std::abs(static_cast<double>(data[i])) : static_cast<double>(data[i]);
    nan |= std::isnan(v);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    x[i] = v;
  }
  if (nan) {
    out.fill(std::numeric_limits<double>::quiet_NaN());
    return out;
  }
  // The order statistics the levels need: x(k) and, when interpolating, x(k+1); the extremes
  // x(0) and x(n-1) are the min and max found above.
  std::array<std::size_t, 2 * kQuantileLevels.size()> wanted{};
  std::size_t count = 0;
  const auto want = [&](std::size_t i) {
    if (i > 0 && i + 1 < n) wanted[count++] = i;
  };
  for (double level : kQuantileLevels) {
    const double h = static_cast<double>(n - 1) * level;
    const auto k = static_cast<std::size_t>(std::floor(h));
    want(k);
    if (h > static_cast<double>(k)) want(k + 1);
  }
  std::sort(wanted.begin(), wanted.begin() + static_cast<std::ptrdiff_t>(count));
  count = static_cast<std::size_t>(
      std::unique(wanted.begin(), wanted.begin() + static_cast<std::ptrdiff_t>(count)) -
      wanted.begin());
  multiselect(x, 0, n, wanted.data(), wanted.data() + count);
  const auto order = [&](std::size_t i) { return i == 0 ? lo : i + 1 == n ? hi : x[i]; };
  for (std::size_t j = 0; j < kQuantileLevels.size(); ++j) {
    const double h = static_cast<double>(n - 1) * kQuantileLevels[j];
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double t = h - static_cast<double>(k);
    const double a = order(k);
    if (t == 0 || k + 1 >= n) {
      out[j] = a;
      continue;
    }
    const double b = order(k + 1);
    // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
    const double d = b - a;
    out[j] = t < 0.5 ? a + d * t : b - d * (1 - t);
  }
  return out;
}

template Quantiles QuantileScratch::compute(const float*, std::size_t, bool);
template Quantiles QuantileScratch::compute(const double*, std::size_t, bool);

}  // namespace nnlab
