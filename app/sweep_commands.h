// `nnlab sweep` and `nnlab summarize`: options, setup and run, as the other subcommands.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "sweep/sweep.h"

namespace nnlab::cli {

struct SweepOptions {
  std::string sweep_file;
  std::string out;         // replaces the sweep file's "out"
  bool list = false;       // print one `nnlab train ...` line per run
  bool pending = false;    // with --list: only unfinished runs, as the sweep would run them now
  bool count = false;      // print the number of runs
  long long index = -1;    // run only this run (0-based, --list order)
  int jobs = 1;            // runs at a time, each a child process
  bool allow_large = false;  // passed to every run's train (skips its feasibility check)
};
CLI::App* setup_sweep(CLI::App& app, SweepOptions& options);
int run_sweep(const SweepOptions& options, const CommonOptions& common, const char* argv0);

struct SummarizeOptions {
  std::string dir;
  std::string out;         // default: stdout
  int window = 10;         // logged steps averaged for the gradient figures
};
CLI::App* setup_summarize(CLI::App& app, SummarizeOptions& options);
int run_summarize(const SummarizeOptions& options);

// Runs every unfinished run of a checked sweep (its directory prepared), N at a time, as
// `nnlab sweep -j N` does (also used by `nnlab lab run`). Returns sweep's exit code.
int run_sweep_runs(const Sweep& sweep, int jobs, const char* argv0,
                   const std::vector<std::string>& common_flags);
// This binary's absolute path.
std::string nnlab_executable(const char* argv0);

}  // namespace nnlab::cli
