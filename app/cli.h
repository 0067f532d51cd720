// Shared pieces of the command-line front end: exit codes, logging set-up, and loading a config
// file with its --set overrides into a checked Config.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/feasibility.h"

namespace CLI {
class App;
class Option;
}

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
    "weights file; 3 diverged (NaN/Inf); 4 gradcheck above tolerance; 5 a lab disagrees with\n"
    "the chapter; 128+N killed by signal N (SIGINT/SIGTERM stop cleanly, write summary.json with\n"
    "status \"interrupted\", then re-raise).";

struct CommonOptions {
  bool quiet = false;
  bool verbose = false;
};

void setup_logging(const CommonOptions& options);

// Reads CONFIG, applies every "key.path=value" in order, and parses the result strictly.
// Throws ConfigError listing every problem.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

// The run's estimate (lib/config/feasibility.h); unless allow_large, refuses a config whose run
// would not fit this machine: ConfigError at the key behind it (exit 2), before anything is
// allocated or created. The memory always; the disk too when `writes_to` (the run directory, or
// where it would be created) is given. train, validate, probe and gradcheck call it.
RunEstimate check_fits(const Config& config, const std::filesystem::path& writes_to,
                       bool allow_large);

// Refuses an empty value of a path option (`--out ''` would otherwise mean "not given").
CLI::Option* refuse_empty(CLI::Option* option);

// Checks of numeric options whose refusal names the bound and the value given (CLI11's own
// PositiveNumber prints its range up to 1.8e308 in 300 digits): a finite number > 0, a finite
// number >= 0, an integer >= 0.
CLI::Option* positive_number(CLI::Option* option);
CLI::Option* non_negative_number(CLI::Option* option);
CLI::Option* non_negative_integer(CLI::Option* option);

// The --allow-large flag of the commands that call check_fits.
void add_allow_large(CLI::App* cmd, bool& allow_large);

// Prints a ConfigError (one line per problem) to stderr.
void report_config_error(const std::exception& error);

// The current local time in strftime's `format`, e.g. "%Y%m%d-%H%M%S".
std::string local_time(const char* format);

// Runs body (returning an exit code), mapping the library's errors to exit codes: bad input
// (ConfigError, DataError) to kBadInput, anything else to kRuntimeError, each reported on stderr.
int guarded(const std::function<int()>& body);

}  // namespace nnlab::cli
