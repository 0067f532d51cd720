// The subcommands, each as options + setup + run (CLI11's own example layout).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "run/gradcheck.h"

namespace nnlab::cli {

struct TrainOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  bool force = false;
  std::string resume;  // a run directory to continue
  bool allow_large = false;  // skip the feasibility check (lib/config/feasibility.h)
};
CLI::App* setup_train(CLI::App& app, TrainOptions& options);
int run_train(const TrainOptions& options, const CommonOptions& common, int argc, char** argv);

struct ValidateOptions {
  std::string config;
  std::vector<std::string> overrides;
  bool allow_large = false;  // skip the feasibility check, as train --allow-large
};
CLI::App* setup_validate(CLI::App& app, ValidateOptions& options);
int run_validate(const ValidateOptions& options);

struct GradcheckOptions {
  std::string config;
  std::vector<std::string> overrides;
  double tolerance = kGradcheckTolerance;  // defaults defined once, in lib/run/gradcheck.h
  double abs_tolerance = 0;
  double step = kGradcheckStep;
  bool allow_large = false;  // skip the memory check
};
CLI::App* setup_gradcheck(CLI::App& app, GradcheckOptions& options);
int run_gradcheck(const GradcheckOptions& options);

}  // namespace nnlab::cli
