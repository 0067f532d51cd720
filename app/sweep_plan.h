// The command lines of a sweep's runs: what `nnlab sweep` starts, and --list prints, for each run
// of lib/sweep's expansion. They name `nnlab train`'s flags, so they belong to the command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sweep/sweep.h"

namespace nnlab {

// The arguments after the nnlab binary that train a run from scratch:
//   train BASE --set k=v ... --out RUN_DIR [--force]
std::vector<std::string> train_arguments(const SweepSpec& spec, const SweepRun& run, bool force);

// What the sweep does with a run now, from its directory's state: nothing when it is finished
// (empty arguments), `train --resume RUN_DIR` when it was started, else train_arguments with
// --force.
struct RunPlan {
  RunState state = RunState::absent;
  std::vector<std::string> arguments;
};
RunPlan plan_run(const SweepSpec& spec, const SweepRun& run);

// Single-quotes a word for a POSIX shell unless it is made only of safe characters.
std::string shell_quote(std::string_view word);

}  // namespace nnlab
