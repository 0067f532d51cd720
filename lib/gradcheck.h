// Backprop checked against (fourth-order) central finite differences, in float64, on the first training batch:
// for every parameter tensor, the relative error ||g - g_num|| / (||g|| + ||g_num||) and the
// absolute error ||g - g_num||.
#pragma once

#include <string>
#include <vector>

#include "config.h"

namespace nnlab {

struct GradcheckRow {
  std::string name;              // e.g. "layers.1.W"
  int rows = 0, cols = 0;
  double analytic_norm = 0;      // ||g||, backprop
  double numeric_norm = 0;       // ||g_num||, fourth-order central differences with step h:
                                 // (L(p-2h) - 8 L(p-h) + 8 L(p+h) - L(p+2h)) / 12h per element
  double relative_error = 0;     // ||g - g_num|| / (||g|| + ||g_num||); 0 when both are 0
  double abs_error = 0;          // ||g - g_num||
  double max_abs_error = 0;      // max |g - g_num| over the elements
  // Within tolerance: a small relative error, or, for a gradient that is (near) zero such as
  // the bias before batch norm, where the relative error only measures rounding noise, an
  // absolute error small against the scale of the model's gradients (see GradcheckReport).
  bool passed(double rel_tol, double abs_tol, double scale) const {
    return relative_error <= rel_tol || abs_error <= abs_tol * scale;
  }
};

struct GradcheckReport {
  int batch_size = 0;
  double loss = 0;  // of the first chunk that has a target
  std::vector<GradcheckRow> rows;
  // Rounding noise in finite differences grows with the size of the loss's sensitivities, so
  // absolute errors are judged against max(1, the largest ||g|| of any tensor).
  double scale() const;
  // The largest relative error among tensors whose gradient is not (near) zero, i.e. whose
  // ||g|| exceeds abs_tol * scale().
  double worst(double abs_tol) const;
  bool passed(double rel_tol, double abs_tol) const;
  bool passed(const GradcheckRow& row, double rel_tol, double abs_tol) const {
    return row.passed(rel_tol, abs_tol, scale());
  }
};

// Builds the config's model in float64 (whatever its dtype) and checks every parameter. With
// train.truncation, every chunk of the first batch is checked on its own with its initial
// state held fixed, and rows are named "layers.1.W_hh t4-6".
GradcheckReport gradcheck(const Config& config, double step = 1e-5);

}  // namespace nnlab
