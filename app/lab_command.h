// `nnlab lab list` and `nnlab lab run NAME`: the chapter's claims as labs (lib/lab/lab.h), run as a
// sweep, summarized, drawn and judged. docs/labs.md documents them.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli.h"

namespace nnlab::cli {

inline constexpr int kLabDisagrees = 5;  // exit code: the measurement disagrees with the chapter

struct LabOptions {
  std::string name;        // a lab name (labs/NAME.json) or a lab file path
  std::string out;         // default: runs/labs/NAME (NAME-quick with --quick)
  int jobs = 1;
  bool quick = false;      // the lab's "quick" replacements: a few seconds, for CI
  bool no_plots = false;   // print the plot commands instead of running them
  CLI::App* list_cmd = nullptr;
  CLI::App* run_cmd = nullptr;
};
CLI::App* setup_lab(CLI::App& app, LabOptions& options);
int run_lab(const LabOptions& options, const CommonOptions& common, const char* argv0);

}  // namespace nnlab::cli
