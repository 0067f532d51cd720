// `nnlab predict RUN_DIR [DATA.csv | --grid [N]] [--both] [--out FILE]`: a trained run's
// predictions as CSV (lib/run/predict.h), on stdout or into a file.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli.h"

namespace nnlab::cli {

struct PredictOptions {
  std::string run_dir;
  std::string data;       // a CSV of features; empty: the run's own data
  int grid = 0;           // > 0: an N x N grid (--grid alone: 100)
  bool both = false;      // the run's own data: the test split too
  std::string out;        // default: stdout
};
CLI::App* setup_predict(CLI::App& app, PredictOptions& options);
int run_predict(const PredictOptions& options);

}  // namespace nnlab::cli
