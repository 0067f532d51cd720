// Finite-difference gradient check of a whole model through the training loss.
#include "gradcheck.h"

#include <algorithm>
#include <cmath>

#include "experiment.h"

namespace nnlab {

namespace {

// Compares each parameter's backprop gradient with fourth-order central differences of
// loss_at(false) and appends one row per tensor.
template <typename LossAt>
void check_tensors(Model<double>& model, const std::vector<Mat<double>>& analytic,
                   LossAt& loss_at, double step, StepRange range, bool name_chunk,
                   std::vector<GradcheckRow>& rows) {
  auto& params = model.params();
  for (std::size_t i = 0; i < params.size(); ++i) {
    Mat<double>& value = params[i].value;
    Mat<double> numeric(value.rows(), value.cols());
    for (Eigen::Index k = 0; k < value.size(); ++k) {
      // Fourth-order central difference: error O(h^4) instead of O(h^2), so that curved
      // losses (batch norm over a small batch) are checked as tightly as flat ones.
      const double saved = value(k);
      double f[4];
      const double offsets[4] = {-2, -1, 1, 2};
      for (int m = 0; m < 4; ++m) {
        value(k) = saved + offsets[m] * step;
        f[m] = loss_at(false);
      }
      value(k) = saved;
      numeric(k) = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * step);
    }
    GradcheckRow row;
    row.name = params[i].name;
    if (name_chunk)
      row.name += " t" + std::to_string(range.begin + 1) + "-" + std::to_string(range.end);
    row.rows = static_cast<int>(value.rows());
    row.cols = static_cast<int>(value.cols());
    row.analytic_norm = analytic[i].norm();
    row.numeric_norm = numeric.norm();
    const double denominator = row.analytic_norm + row.numeric_norm;
    row.abs_error = (analytic[i] - numeric).norm();
    row.relative_error = denominator == 0 ? 0 : row.abs_error / denominator;
    row.max_abs_error = (analytic[i] - numeric).cwiseAbs().maxCoeff();
    if (!std::isfinite(row.relative_error)) row.relative_error = INFINITY;
    rows.push_back(row);
  }
}

}  // namespace

double GradcheckReport::scale() const {
  double s = 1;
  for (const auto& r : rows) s = std::max(s, r.analytic_norm);
  return s;
}

double GradcheckReport::worst(double abs_tol) const {
  double w = 0;
  for (const auto& r : rows)
    if (r.analytic_norm > abs_tol * scale()) w = std::max(w, r.relative_error);
  return w;
}

bool GradcheckReport::passed(double rel_tol, double abs_tol) const {
  for (const auto& r : rows)
    if (!r.passed(rel_tol, abs_tol, scale())) return false;
  return true;
}

GradcheckReport gradcheck(const Config& config, double step) {
  Config c = config;
  c.dtype = DType::float64;
  Experiment<double> e = build_experiment<double>(c);
  Model<double>& model = *e.model;
  const int n = e.train.size();
  const int batch_size = c.train.batch_size == 0 ? n : std::min(c.train.batch_size, n);
  Batch<double> batch;
  for (int t = 0; t < e.train.steps(); ++t) {
    const auto step = static_cast<std::size_t>(t);
    batch.x.push_back(e.train.x[step].leftCols(batch_size));
    batch.y.push_back(e.train.y[step].cols() > 0 ? e.train.y[step].leftCols(batch_size)
                                                  : e.train.y[step]);
  }
  GradcheckReport report;
  report.batch_size = batch_size;
  // One check per truncated-BPTT chunk (one chunk for an MLP or full BPTT). The chunk's
  // initial state is held fixed while its parameters are perturbed: truncation means no
  // gradient reaches anything before the chunk, and finite differences then agree only if
  // backprop really stops at the boundary.
  const std::vector<StepRange> ranges = chunks(batch.steps(), c.train.truncation);
  model.reset_state(batch_size);
  for (const StepRange range : ranges) {
    const std::vector<Mat<double>> initial_state = model.state();
    auto loss_at = [&](bool with_grad) {
      model.set_state(initial_state);
      if (initial_state.empty()) model.reset_state(batch_size);
      model.forward(batch, range, /*training=*/true);
      long count = 0;
      return chunk_loss(model, e.head, batch, range, with_grad, count);
    };
    if (chunk_has_target(batch.y, range)) {
      const double loss = loss_at(true);
      if (report.rows.empty()) report.loss = loss;
      model.backward(batch, range);
      std::vector<Mat<double>> analytic;
      for (const auto& p : model.params()) analytic.push_back(p.grad);
      check_tensors(model, analytic, loss_at, step, range,
                    ranges.size() > 1, report.rows);
    }
    loss_at(false);  // carry the state into the next chunk
  }
  return report;
}

}  // namespace nnlab
