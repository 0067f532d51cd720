// Backprop checked against fourth-order central finite differences, in float64, on the first
// training batch: per parameter tensor, ||g - g_num|| against both the gradient's size and the
// rounding noise that finite differences cannot resolve. The defaults are defined here, once
// (the command line's --help and docs/gradcheck.md show these values).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "nn/model.h"

namespace nnlab {

// The relative step: element p is moved by h = step * max(1, |p|). Fourth-order differences
// have truncation error O(h^4), rounding error O(eps |L| / h) (judged by the noise floor below),
// and, at a ReLU kink closer than 2h, an error as large as the gradient. Measured on the shipped
// configs: 1e-3 fails a saturated LSTM (truncation) and ReLU nets (kinks), 1e-4 still fails
// wine.json on 2 seeds of 6 (kinks: unstandardised features up to 1680 move z by 2h |x|), 3e-5
// and below pass every config and seed tried; 1e-5 keeps a margin of 3 on kinks. Rounding then
// limits the smallest gradients that can be checked (see GradcheckRow::noise).
inline constexpr double kGradcheckStep = 1e-5;
// The largest accepted relative error ||g - g_num|| / (||g|| + ||g_num||) of a tensor.
inline constexpr double kGradcheckTolerance = 1e-6;
// The margin over the rounding noise that a difference quotient carries (see
// GradcheckRow::noise): a correct backprop's error is about 1 such noise per element.
inline constexpr double kGradcheckNoiseFactor = 10;

struct GradcheckRow {
  std::string name;              // e.g. "layers.1.W"
  int rows = 0, cols = 0;
  double analytic_norm = 0;      // ||g||, backprop
  double numeric_norm = 0;       // ||g_num||, fourth-order central differences with step h:
                                 // (L(p-2h) - 8 L(p-h) + 8 L(p+h) - L(p+2h)) / 12h per element
  double relative_error = 0;     // ||g - g_num|| / (||g|| + ||g_num||); 0 when both are 0
  double abs_error = 0;          // ||g - g_num||
  double max_abs_error = 0;      // max |g - g_num| over the elements
  // The resolution of g_num: kGradcheckNoiseFactor times the quotient's rounding noise,
  // 0.95 sigma_L ||(1 / h_k)_k||, with sigma_L the rounding noise of the loss measured per tensor
  // from the same evaluations (fourth differences), clamped to [1, 1e4] eps max(1, |L|).
  // Differences below it are rounding, not backprop; a gradient below it (deep sigmoid layers, a
  // bias followed by batch norm) can only be checked to this resolution.
  double noise = 0;
  double step = 0;  // the relative step of this row: smaller than the report's after a kink

  // Within tolerance: ||g - g_num|| <= max(rel_tol (||g|| + ||g_num||), noise, abs_tol).
  bool passed(double rel_tol, double abs_tol = 0) const;
  // The noise is above rel_tol (||g|| + ||g_num||): the tensor is checked only to the relative
  // error noise / (||g|| + ||g_num||) (a gradient too small for finite differences at this step).
  bool noise_limited(double rel_tol) const { return noise > rel_tol * (analytic_norm + numeric_norm); }
};

struct GradcheckReport {
  int batch_size = 0;
  double loss = 0;  // of the first chunk that has a target
  double step = 0;  // the relative step used
  std::vector<GradcheckRow> rows;
  // The largest relative error among tensors that are not noise-limited.
  double worst(double rel_tol = kGradcheckTolerance) const;
  bool passed(double rel_tol, double abs_tol = 0) const;
  bool passed(const GradcheckRow& row, double rel_tol, double abs_tol = 0) const {
    return row.passed(rel_tol, abs_tol);
  }
};

struct GradcheckOptions {
  double step = kGradcheckStep;
  // The rule a failing tensor is checked again by, at step / 10 and step / 100 (a ReLU kink):
  // it passes when it passes there with an error at least ten times smaller.
  double tolerance = kGradcheckTolerance;
  double abs_tolerance = 0;
  // A test seam: called on the model after each backward, before the comparison (a test
  // corrupts a gradient here to see the check fail).
  std::function<void(Model<double>&)> after_backward;
};

// Builds the config's model in float64 (whatever its dtype) and checks every parameter. With
// train.truncation, every chunk of the first batch is checked on its own with its initial
// state held fixed, and rows are named "layers.1.W_hh t4-6".
GradcheckReport gradcheck(const Config& config, const GradcheckOptions& options = {});

// The report as a table, one line per tensor with "  FAIL" at the end of each failing line,
// then a summary line ending in "ok" or "FAILED".
std::string format_gradcheck(const GradcheckReport& report, double rel_tol, double abs_tol = 0);

}  // namespace nnlab
