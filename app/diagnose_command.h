// `nnlab diagnose RUN_DIR`: the end-of-run diagnosis (lib/run/diagnosis.h) of any run directory,
// again, on stdout; also printed to stderr at the end of `nnlab train`.
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

namespace nnlab::cli {

struct DiagnoseOptions {
  std::string run_dir;
  bool json = false;
};
CLI::App* setup_diagnose(CLI::App& app, DiagnoseOptions& options);
int run_diagnose(const DiagnoseOptions& options);

// The end of `nnlab train`: the run's diagnosis on stderr (warnings for findings).
void report_diagnosis(const std::filesystem::path& run_dir);

}  // namespace nnlab::cli
