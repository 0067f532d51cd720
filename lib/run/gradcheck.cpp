// Finite-difference gradient check of a whole model through the training loss.
#include "run/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "run/experiment.h"

namespace nnlab {

namespace {

// Compares each parameter's backprop gradient with fourth-order central differences of
// loss_at(false) and appends one row per tensor.
template <typename LossAt>
void check_tensors(Model<double>& model, const std::vector<Mat<double>>& analytic, double loss,
                   LossAt& loss_at, double step, StepRange range, bool name_chunk,
                   std::vector<GradcheckRow>& rows) {
  auto& params = model.params();
  constexpr double eps = std::numeric_limits<double>::epsilon();
  // The rounding noise of one evaluation of L, in the same units as the samples below: at least
  // one rounding of L; at most 1e4 of them (anything larger is the loss's curvature at a large
  // --step, not rounding, and must not excuse the quotient's truncation error).
  const double least = eps * std::max(1.0, std::abs(loss)), most = 1e4 * least;
  std::vector<Mat<double>> numeric;
  std::vector<double> noise;  // per tensor: the norm over its elements of sigma_L / h
  for (std::size_t i = 0; i < params.size(); ++i) {
    Mat<double>& value = params[i].value;
    numeric.emplace_back(value.rows(), value.cols());
    // Per element, the fourth difference L(p-2h) - 4 L(p-h) + 6 L(p) - 4 L(p+h) + L(p+2h)
    // cancels every cubic and leaves h^4 L'''' (negligible at the default step): a sample of
    // the rounding noise of L with sqrt(70) times its standard deviation. Measured per tensor,
    // as perturbing some parameters (a bias before batch norm) rounds more than others.
    double samples = 0, inverse_squares = 0;
    for (Eigen::Index k = 0; k < value.size(); ++k) {
      // Fourth-order central difference: error O(h^4) instead of O(h^2), so that curved
      // losses (batch norm over a small batch) are checked as tightly as flat ones.
      const double saved = value(k);
      // A step relative to the element's size, rounded so that saved + h is exact.
      const double h = (saved + step * std::max(1.0, std::abs(saved))) - saved;
      double f[4];
      const double offsets[4] = {-2, -1, 1, 2};
      for (int m = 0; m < 4; ++m) {
        value(k) = saved + offsets[m] * h;
        f[m] = loss_at(false);
      }
      value(k) = saved;
      numeric.back()(k) = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
      const double sample = f[0] - 4 * f[1] + 6 * loss - 4 * f[2] + f[3];
      samples += sample * sample / 70;
      inverse_squares += 1 / (h * h);
    }
    const double sigma =
        value.size() > 0 ? std::clamp(std::sqrt(samples / static_cast<double>(value.size())),
                                      least, most)
                         : least;
    noise.push_back(sigma * std::sqrt(inverse_squares));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Mat<double>& value = params[i].value;
    GradcheckRow row;
    row.name = params[i].name;
    if (name_chunk)
      row.name += " t" + std::to_string(range.begin + 1) + "-" + std::to_string(range.end);
    row.rows = static_cast<int>(value.rows());
    row.cols = static_cast<int>(value.cols());
    row.step = step;
    row.analytic_norm = analytic[i].norm();
    row.numeric_norm = numeric[i].norm();
    const double denominator = row.analytic_norm + row.numeric_norm;
    row.abs_error = (analytic[i] - numeric[i]).norm();
    row.relative_error = denominator == 0 ? 0 : row.abs_error / denominator;
    row.max_abs_error = (analytic[i] - numeric[i]).cwiseAbs().maxCoeff();
    // The quotient's weights (1, -8, 8, -1) / 12h carry sqrt(130) / 12 ~ 0.95 of L's noise.
    row.noise = kGradcheckNoiseFactor * 0.95 * noise[i];
    if (!std::isfinite(row.relative_error)) row.relative_error = INFINITY;
    if (!std::isfinite(row.abs_error)) row.abs_error = INFINITY;
    rows.push_back(row);
  }
}

}  // namespace

bool GradcheckRow::passed(double rel_tol, double abs_tol) const {
  // NaN compares false: a non-finite gradient never passes.
  return abs_error <= std::max({rel_tol * (analytic_norm + numeric_norm), noise, abs_tol});
}

double GradcheckReport::worst(double rel_tol) const {
  double w = 0;
  for (const auto& r : rows)
    if (!r.noise_limited(rel_tol)) w = std::max(w, r.relative_error);
  return w;
}

bool GradcheckReport::passed(double rel_tol, double abs_tol) const {
  for (const auto& r : rows)
    if (!r.passed(rel_tol, abs_tol)) return false;
  return true;
}

GradcheckReport gradcheck(const Config& config, const GradcheckOptions& options) {
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
  report.step = options.step;
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
      if (options.after_backward) options.after_backward(model);
      std::vector<Mat<double>> analytic;
      for (const auto& p : model.params()) analytic.push_back(p.grad);
      std::vector<GradcheckRow> rows;
      check_tensors(model, analytic, loss, loss_at, options.step, range, ranges.size() > 1, rows);
      // A ReLU kink closer than 2h to some sample's pre-activation makes the quotient wrong, not
      // backprop. Such an error vanishes at a smaller step; backprop's does not depend on the
      // step. So a failing tensor is checked again at step / 10 and step / 100, and passes if it
      // passes there with an error at least ten times smaller than at the larger step.
      for (const double factor : {0.1, 0.01}) {
        bool failing = false;
        for (const auto& r : rows) failing |= !r.passed(options.tolerance, options.abs_tolerance);
        if (!failing) break;
        std::vector<GradcheckRow> again;
        check_tensors(model, analytic, loss, loss_at, options.step * factor, range,
                      ranges.size() > 1, again);
        for (std::size_t i = 0; i < rows.size(); ++i)
          if (!rows[i].passed(options.tolerance, options.abs_tolerance) &&
              again[i].passed(options.tolerance, options.abs_tolerance) &&
              again[i].abs_error <= 0.1 * rows[i].abs_error)
            rows[i] = again[i];
      }
      report.rows.insert(report.rows.end(), rows.begin(), rows.end());
    }
    loss_at(false);  // carry the state into the next chunk
  }
  return report;
}

std::string format_gradcheck(const GradcheckReport& report, double rel_tol, double abs_tol) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %-8s %14s %14s %11s %11s %11s %11s\n", "tensor",
                "shape", "|g| backprop", "|g| numeric", "rel_error", "abs_error", "noise",
                "max_abs");
  out += line;
  int limited = 0;
  for (const auto& r : report.rows) {
    const std::string shape = std::to_string(r.rows) + "x" + std::to_string(r.cols);
    const bool passed = r.passed(rel_tol, abs_tol), noisy = r.noise_limited(rel_tol);
    std::snprintf(line, sizeof line, "%-22s %-8s %14.6e %14.6e %11.3e %11.3e %11.3e %11.3e%s\n",
                  r.name.c_str(), shape.c_str(), r.analytic_norm, r.numeric_norm,
                  r.relative_error, r.abs_error, r.noise, r.max_abs_error,
                  !passed ? "  FAIL" : noisy ? "  (noise-limited)" : "");
    out += line;
    // Passed at a smaller step, with an error at least ten times smaller: the larger step's
    // error was the differences' (a ReLU kink within 2h, or truncation), not backprop's.
    if (passed && r.step < report.step) {
      out.pop_back();
      std::snprintf(line, sizeof line, "  (retried at step %.0e)\n", r.step);
      out += line;
    }
    limited += passed && noisy ? 1 : 0;
  }
  char atol_text[64] = "";
  if (abs_tol > 0) std::snprintf(atol_text, sizeof atol_text, ", atol %.1e", abs_tol);
  const bool all_limited = limited > 0 && limited == static_cast<int>(report.rows.size());
  char worst_text[64];
  if (all_limited)
    std::snprintf(worst_text, sizeof worst_text, "every tensor noise-limited");
  else
    std::snprintf(worst_text, sizeof worst_text, "worst relative error %.3e", report.worst(rel_tol));
  std::snprintf(line, sizeof line, "batch %d, loss %.17g, step %.1e; %s (tol %.1e%s): %s\n",
                report.batch_size, report.loss, report.step, worst_text, rel_tol, atol_text,
                report.passed(rel_tol, abs_tol) ? "ok" : "FAILED");
  out += line;
  if (limited > 0) {
    std::snprintf(line, sizeof line,
                  "%d tensor(s) noise-limited: the rounding noise of their differences is "
                  "above %.1e of their gradients, so they were checked only to that noise "
                  "(noise column)%s\n",
                  limited, rel_tol,
                  report.step < 1e-3 ? "; a smooth net has 100x less noise at --step 1e-3" : "");
    out += line;
  }
  return out;
}

}  // namespace nnlab
