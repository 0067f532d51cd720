// Weight initialisation schemes; see init.h for the formulas.
#include "nn/init.h"

#include <cmath>
#include <type_traits>

#include <Eigen/QR>

namespace nnlab {

namespace {
// Values are drawn in double and rounded to T, so a float matrix holds exactly the rounded
// values of the double one.
template <typename T>
void fill_uniform(Mat<T>& w, double half_width, Rng& rng) {
  for (Eigen::Index j = 0; j < w.cols(); ++j)
    for (Eigen::Index i = 0; i < w.rows(); ++i)
      w(i, j) = static_cast<T>(rng.uniform(-half_width, half_width));
}
template <typename T>
void fill_normal(Mat<T>& w, double stddev, Rng& rng) {  // column by column, as fill_uniform
  rng.normals(w.data(), static_cast<std::size_t>(w.size()), stddev);
}

// Orthogonal init as in Saxe et al. (and torch.nn.init.orthogonal_): QR of a Gaussian matrix of
// the taller orientation, signs fixed by R's diagonal so the result is uniformly distributed.
void fill_orthogonal(Mat<double>& w, double gain, Rng& rng) {
  const Eigen::Index rows = w.rows(), cols = w.cols();
  const bool tall = rows >= cols;
  Mat<double> g(tall ? rows : cols, tall ? cols : rows);
  fill_normal(g, 1.0, rng);
  Eigen::HouseholderQR<Mat<double>> qr(g);
  Mat<double> q = qr.householderQ() * Mat<double>::Identity(g.rows(), g.cols());
  const Mat<double> r = qr.matrixQR().topRows(g.cols()).template triangularView<Eigen::Upper>();
  for (Eigen::Index k = 0; k < g.cols(); ++k)
    if (r(k, k) < 0) q.col(k) *= -1.0;
  w = gain * (tall ? q : Mat<double>(q.transpose()));
}

template <typename T>
void init_weights_as(Mat<T>& w, const InitSpec& spec, Rng& rng) {
  const double fan_out = static_cast<double>(w.rows()), fan_in = static_cast<double>(w.cols());
  const double g = spec.gain;
  switch (spec.scheme) {
    case InitScheme::xavier_uniform: fill_uniform(w, g * std::sqrt(6.0 / (fan_in + fan_out)), rng); break;
    case InitScheme::xavier_normal: fill_normal(w, g * std::sqrt(2.0 / (fan_in + fan_out)), rng); break;
    case InitScheme::he_uniform: fill_uniform(w, g * std::sqrt(6.0 / fan_in), rng); break;
    case InitScheme::he_normal: fill_normal(w, g * std::sqrt(2.0 / fan_in), rng); break;
    case InitScheme::lecun_uniform: fill_uniform(w, g * std::sqrt(3.0 / fan_in), rng); break;
    case InitScheme::lecun_normal: fill_normal(w, g * std::sqrt(1.0 / fan_in), rng); break;
    case InitScheme::standard: fill_uniform(w, g / std::sqrt(fan_in), rng); break;
    case InitScheme::orthogonal:
      if constexpr (std::is_same_v<T, double>) {
        fill_orthogonal(w, g, rng);
      } else {
        Mat<double> q(w.rows(), w.cols());
        fill_orthogonal(q, g, rng);
        w = q.cast<T>();
      }
      break;
    case InitScheme::normal: fill_normal(w, g * spec.scale, rng); break;
    case InitScheme::uniform: fill_uniform(w, g * spec.scale, rng); break;
    case InitScheme::identity:  // no draw: gain * I (ones on the diagonal of a rectangle)
      w.setIdentity();
      w *= static_cast<T>(g);
      break;
  }
}

}  // namespace

void init_weights(Mat<double>& w, const InitSpec& spec, Rng& rng) { init_weights_as(w, spec, rng); }
void init_weights(Mat<float>& w, const InitSpec& spec, Rng& rng) { init_weights_as(w, spec, rng); }

}  // namespace nnlab
