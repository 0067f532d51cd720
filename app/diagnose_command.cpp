// `nnlab diagnose RUN_DIR [--json]` and the diagnosis printed at the end of `nnlab train`.
#include "diagnose_command.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli.h"
#include "run/diagnosis.h"
#include "base/errors.h"
#include "base/json_io.h"

namespace nnlab::cli {

CLI::App* setup_diagnose(CLI::App& app, DiagnoseOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "diagnose", "Print the diagnosis of a run directory (vanishing/exploding gradients, dead or "
                  "saturated layers, update ratio, trivial loss; docs/diagnostics.md)");
  cmd->add_option("RUN_DIR", options.run_dir, "A run directory (config.json, summary.json, CSVs)")
      ->required();
  cmd->add_flag("--json", options.json, "Print the diagnosis as JSON (as in summary.json)");
  cmd->footer("Exit codes: 0 diagnosed (findings or none); 1 a CSV file of the run cannot be "
              "read;\n2 not a run directory, or a bad command line.");
  return cmd;
}

int run_diagnose(const DiagnoseOptions& options) {
  const std::filesystem::path dir = options.run_dir;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "config.json", ec) ||
      !std::filesystem::is_regular_file(dir / "summary.json", ec)) {
    spdlog::error("{}: not a run directory (no config.json and summary.json)", dir.string());
    return kBadInput;
  }
  // Present but not JSON objects (cut short, or not nnlab's): bad input too, not an I/O error.
  for (const char* file : {"config.json", "summary.json"})
    if (!read_json_object(dir / file)) {
      spdlog::error("{}: not a run directory ({} is not a JSON object)", dir.string(), file);
      return kBadInput;
    }
  return guarded([&] {
    const Diagnosis d = diagnose_run(dir);
    if (options.json) {
      std::printf("%s\n", to_json(d).dump(2).c_str());
    } else {
      for (const auto& line : describe(d)) std::printf("%s\n", line.c_str());
    }
    return std::fflush(stdout) == 0 ? kCompleted : kRuntimeError;
  });
}

void report_diagnosis(const std::filesystem::path& run_dir) {
  try {
    const Diagnosis d = diagnose_run(run_dir);
    for (const auto& line : describe(d)) {
      if (d.findings.empty() || line.rfind("not checked: ", 0) == 0)
        spdlog::info("diagnosis: {}", line);
      else
        spdlog::warn("diagnosis: {}", line);
    }
  } catch (const std::exception& error) {
    spdlog::warn("diagnosis: not available: {}", error.what());
  }
}

}  // namespace nnlab::cli
