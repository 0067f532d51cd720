// Shared pieces of the command-line front end: exit codes, logging set-up, and loading a config
// file with its --set overrides into a checked Config.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"

namespace nnlab::cli {

enum ExitCode : int {
  kCompleted = 0,
  kRuntimeError = 1,   // I/O or other failure while running
  kBadInput = 2,       // bad command line, config, data or weights file
  kDiverged = 3,       // the loss or a gradient became NaN/Inf
  kGradcheckFailed = 4 // nnlab gradcheck: an error above --tol
};

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 completed; 1 runtime or I/O error; 2 bad command line, config, data or\n"
    "weights file; 3 diverged (NaN/Inf); 4 gradcheck above tolerance; 128+N killed by signal N\n"
    "(SIGINT/SIGTERM stop cleanly, write summary.json with status \"interrupted\", then re-raise).";

struct CommonOptions {
  bool quiet = false;
  bool verbose = false;
};

void setup_logging(const CommonOptions& options);

// Reads CONFIG, applies every "key.path=value" in order, and parses the result strictly.
// Throws ConfigError listing every problem.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

// Prints a ConfigError (one line per problem) to stderr.
void report_config_error(const std::exception& error);

// The current local time in strftime's `format`, e.g. "%Y%m%d-%H%M%S".
std::string local_time(const char* format);

// Runs body (returning an exit code), mapping the library's errors to exit codes: bad input
// (ConfigError, DataError) to kBadInput, anything else to kRuntimeError, each reported on stderr.
int guarded(const std::function<int()>& body);

}  // namespace nnlab::cli
