// Mean-field theory of signal propagation at initialisation (Poole et al. 2016, Schoenholz et al.
// 2017): for a fully connected net with i.i.d. zero-mean weights of variance sigma_w^2 / fan_in and
// constant biases b, in the infinite-width limit each pre-activation z(l)_i of a sample is
// Gaussian, N(b, v(l)), with
//   v(1) = sigma_w^2(1) ||x||^2 / n0,   v(l+1) = sigma_w^2(l+1) E[act(b + sqrt(v(l)) xi)^2],
// and the backward pass multiplies E||delta||^2 by chi(l) = sigma_w^2(l+1) E[act'(b + sqrt(v(l)) xi)^2]
// from layer l+1 to layer l (xi ~ N(0, 1)). Expectations by Gauss-Hermite quadrature (narrow
// Gaussians) or composite Gauss-Legendre (wide ones), closed forms for relu, leaky relu, identity.
#pragma once

#include <optional>
#include <vector>

#include "nn/activation.h"
#include "nn/init.h"

namespace nnlab {

// Probabilists' Gauss-Hermite rule: sum_k weight_k f(node_k) ~ E[f(xi)], xi ~ N(0, 1); exact for
// polynomials of degree < 2n. Nodes and weights by Golub-Welsch.
struct GaussHermite {
  explicit GaussHermite(int n);
  std::vector<double> nodes, weights;
};

// E[act(m + s xi)^2] and E[act'(m + s xi)^2], xi ~ N(0, 1); `rule` is used for s <= 1/2.
double expected_act_sq(const ActivationFn& act, double m, double s, const GaussHermite& rule);
double expected_deriv_sq(const ActivationFn& act, double m, double s, const GaussHermite& rule);

// sigma_w^2 = fan_in Var(W_ij) of the scheme and gain for a (fan_out, fan_in) matrix (every
// normal and uniform scheme, of any gain); nullopt for orthogonal (not i.i.d.).
std::optional<double> weight_variance_scale(const InitSpec& init, int fan_in, int fan_out);

struct MeanFieldPrediction {
  std::vector<double> q;          // [l-1], l = 1..L: E[mean over units and samples of z(l)^2]
  std::vector<double> chi;        // [l-1], l = 1..L-1: E||delta(l)||^2 / E||delta(l+1)||^2
  std::vector<double> log_delta;  // [l-1], l = 1..L: ln E||delta(l)||^2 - ln E||delta(L)||^2
};

// The prediction for L = sigma_w2.size() layers (the last one linear, the output), constant
// biases `bias`, and the data's per-sample q(0) = ||x||^2 / n0 (one entry per sample; the
// recursion runs per sample and q, chi are averaged over samples, weighting each sample's
// backward product equally).
MeanFieldPrediction mean_field_mlp(const ActivationFn& act, const std::vector<double>& sigma_w2,
                                   double bias, const std::vector<double>& q0);

}  // namespace nnlab
