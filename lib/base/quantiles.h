// Exact quantiles of a tensor's entries for grad_quantiles.csv (log.quantiles), with numpy's
// default definition, so that np.quantile(x, q) on the same numbers gives the same values.
//
// Definition (numpy method="linear", Hyndman & Fan type 7): for the n entries sorted,
// x(0) <= ... <= x(n-1), and a level q in [0, 1], h = (n - 1) q, k = floor(h),
//   Q(q) = x(k) + (h - k) (x(k+1) - x(k))   (x(k) when k = n - 1).
// Any NaN entry makes every quantile NaN (as numpy). Selection with std::nth_element on a
// scratch buffer kept between calls (min and max in the copying pass, the other order statistics
// by recursive multiple selection, about n log2(14) comparisons): no sort, and no allocation once
// the buffer has grown to the largest tensor.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace nnlab {

// The levels of grad_quantiles.csv, in column order: min, p01, p05, p25, p50, p75, p95, p99, max.
inline constexpr std::array<double, 9> kQuantileLevels = {0.0,  0.01, 0.05, 0.25, 0.5,
                                                          0.75, 0.95, 0.99, 1.0};
inline constexpr const char* kQuantileColumns = "min,p01,p05,p25,p50,p75,p95,p99,max";
using Quantiles = std::array<double, kQuantileLevels.size()>;

// The median of x (the mean of the two middle values for an even count); NaN when x is empty.
double median(std::vector<double> x);

class QuantileScratch {
 public:
  // Quantiles of data[0 .. n) (of |data[i]| with absolute), at kQuantileLevels; n > 0.
  template <typename T>
  Quantiles compute(const T* data, std::size_t n, bool absolute);

 private:
  std::vector<double> buffer_;
};

}  // namespace nnlab
