// The subcommands, each as options + setup + run (CLI11's own example layout).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"

namespace nnlab::cli {

struct TrainOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  bool force = false;
  std::string resume;  // a run directory to continue
  bool allow_large = false;  // skip the feasibility check (lib/feasibility.h)
};
CLI::App* setup_train(CLI::App& app, TrainOptions& options);
int run_train(const TrainOptions& options, const CommonOptions& common, int argc, char** argv);

struct ValidateOptions {
  std::string config;
  std::vector<std::string> overrides;
};
CLI::App* setup_validate(CLI::App& app, ValidateOptions& options);
int run_validate(const ValidateOptions& options);

struct GradcheckOptions {
  std::string config;
  std::vector<std::string> overrides;
  double tolerance = 1e-6;
  double abs_tolerance = 1e-9;
  double step = 1e-6;
};
CLI::App* setup_gradcheck(CLI::App& app, GradcheckOptions& options);
int run_gradcheck(const GradcheckOptions& options);

}  // namespace nnlab::cli
