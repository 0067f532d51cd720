// Backprop checked against central finite differences, in float64, on the first training batch:
// for every parameter tensor, the relative error ||g - g_num|| / (||g|| + ||g_num||).
#pragma once

#include <string>
#include <vector>

#include "config.h"

namespace nnlab {

struct GradcheckRow {
  std::string name;              // e.g. "layers.1.W"
  int rows = 0, cols = 0;
  double analytic_norm = 0;      // ||g||, backprop
  double numeric_norm = 0;       // ||g_num||, (L(p + h) - L(p - h)) / 2h per element
  double relative_error = 0;     // ||g - g_num|| / (||g|| + ||g_num||); 0 when both are 0
  double max_abs_error = 0;      // max |g - g_num| over the elements
};

struct GradcheckReport {
  int batch_size = 0;
  double loss = 0;
  std::vector<GradcheckRow> rows;
  double worst() const;
};

// Builds the config's model in float64 (whatever its dtype) and checks every parameter.
GradcheckReport gradcheck(const Config& config, double step = 1e-5);

}  // namespace nnlab
