// Eigen types used throughout nnlab. Activations are stored feature-major with one column per
// sample, so a layer is z = W a + b exactly as in the chapter: W is (out, in), a is (in, B).
#pragma once

#include <vector>

#include <Eigen/Core>

namespace nnlab {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// N sequences of `steps()` time steps, samples as columns: x[t] is (features, N); y[t] holds the
// targets at step t, (1, N) class indices or (targets, N) values, and has no columns when step t
// has no target. An MLP's samples are sequences of one step. The one container of data in nnlab:
// a data set's split (Samples, SequenceSplit) and a model's batch (Batch) are this.
template <typename T>
struct Sequences {
  std::vector<Mat<T>> x;
  std::vector<Mat<T>> y;
  int size() const { return x.empty() ? 0 : static_cast<int>(x.front().cols()); }
  int steps() const { return static_cast<int>(x.size()); }
};

}  // namespace nnlab
