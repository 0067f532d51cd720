// Weight initialisation schemes. W is (fan_out, fan_in) as in z = W a + b.
#pragma once

#include "config/config.h"
#include "base/rng.h"
#include "base/tensor.h"

namespace nnlab {

struct InitSpec {
  InitScheme scheme = InitScheme::xavier_normal;
  double gain = 1.0;
  double scale = 0.0;  // normal: std; uniform: half-width
};

// Fills w in place, drawing from rng in column-major order. The scale of each scheme, times gain:
//   xavier_uniform U(-a, a), a = sqrt(6 / (fan_in + fan_out));  xavier_normal N(0, 2 / (fan_in + fan_out))
//   he_uniform     U(-a, a), a = sqrt(6 / fan_in);              he_normal     N(0, 2 / fan_in)
//   lecun_uniform  U(-a, a), a = sqrt(3 / fan_in);              lecun_normal  N(0, 1 / fan_in)
//   standard       U(-a, a), a = 1 / sqrt(fan_in)   (Glorot & Bengio's "standard" initialisation)
//   orthogonal     a (semi-)orthogonal matrix from the QR of a Gaussian matrix (Saxe et al.)
//   normal         N(0, scale^2);  uniform  U(-scale, scale)
void init_weights(Mat<double>& w, const InitSpec& spec, Rng& rng);
// The same draws rounded to float (allocates nothing except for orthogonal).
void init_weights(Mat<float>& w, const InitSpec& spec, Rng& rng);

}  // namespace nnlab
