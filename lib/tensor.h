// Eigen types used throughout nnlab. Activations are stored feature-major with one column per
// sample, so a layer is z = W a + b exactly as in the chapter: W is (out, in), a is (in, B).
#pragma once

#include <Eigen/Core>

namespace nnlab {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

}  // namespace nnlab
