// Logging set-up and config loading for every subcommand.
#include "cli.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <limits>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "base/errors.h"

namespace nnlab::cli {

void setup_logging(const CommonOptions& options) {
  const char* no_color = std::getenv("NO_COLOR");
  const bool color = isatty(STDERR_FILENO) && (no_color == nullptr || *no_color == '\0');
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      color ? spdlog::color_mode::automatic : spdlog::color_mode::never);
  auto logger = std::make_shared<spdlog::logger>("nnlab", sink);
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(options.quiet     ? spdlog::level::warn
                    : options.verbose ? spdlog::level::debug
                                      : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  nlohmann::json doc = read_config_file(path);
  std::vector<ConfigIssue> issues;
  for (const auto& assignment : overrides) {
    try {
      apply_override(doc, assignment);
    } catch (const ConfigError& e) {
      issues.insert(issues.end(), e.issues().begin(), e.issues().end());
    }
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  ConfigContext context;
  context.base_dir = fs::absolute(fs::path(path)).parent_path();
  context.default_name = fs::path(path).stem().string();
  return parse_config(doc, context);
}

RunEstimate check_fits(const Config& config, const std::filesystem::path& writes_to,
                       bool allow_large) {
  const RunEstimate estimate = estimate_run(config);
  spdlog::debug("estimated memory {}, logs {}, checkpoint {}",
                human_bytes(static_cast<double>(estimate.memory())),
                human_bytes(static_cast<double>(estimate.logs)),
                human_bytes(static_cast<double>(estimate.checkpoint) / 2));
  if (allow_large) return estimate;
  MachineLimits limits;
  if (writes_to.empty()) {
    limits.memory = machine_limits(".").memory;
    limits.disk_free = std::numeric_limits<std::uint64_t>::max();
  } else {
    limits = machine_limits(writes_to);
  }
  check_feasible(config, estimate, limits);
  return estimate;
}

CLI::Option* refuse_empty(CLI::Option* option) {
  return option->check(CLI::Validator(
      [](std::string& value) { return value.empty() ? std::string("an empty path") : std::string(); },
      ""));
}

namespace {
// A check that `accept(x)` holds for the option's value read as a number (an integer when
// `integer`), else "expected WHAT, got VALUE".
CLI::Option* number_check(CLI::Option* option, const char* what, bool integer,
                          bool (*accept)(double)) {
  return option->check(CLI::Validator(
      [what, integer, accept](std::string& value) {
        double x = 0;
        bool ok = false;
        const char* first = value.data();
        const char* last = first + value.size();
        if (integer) {
          long long n = 0;
          const auto [end, ec] = std::from_chars(first, last, n);
          ok = ec == std::errc() && end == last;
          x = static_cast<double>(n);
        } else {
          const auto [end, ec] = std::from_chars(first, last, x);
          ok = ec == std::errc() && end == last && std::isfinite(x);
        }
        return ok && accept(x) ? std::string() : "expected " + std::string(what) + ", got " + value;
      },
      ""));
}
}  // namespace

CLI::Option* positive_number(CLI::Option* option) {
  return number_check(option, "a number > 0", false, [](double x) { return x > 0; });
}
CLI::Option* non_negative_number(CLI::Option* option) {
  return number_check(option, "a number >= 0", false, [](double x) { return x >= 0; });
}
CLI::Option* non_negative_integer(CLI::Option* option) {
  return number_check(option, "an integer >= 0", true, [](double x) { return x >= 0; });
}

void add_allow_large(CLI::App* cmd, bool& allow_large) {
  cmd->add_flag("--allow-large", allow_large,
                "Go on even when the estimated memory or disk use exceeds this machine's "
                "(docs/run-safety.md)");
}

void report_config_error(const std::exception& error) {
  if (const auto* config_error = dynamic_cast<const ConfigError*>(&error)) {
    for (const auto& issue : config_error->issues())
      spdlog::error("{}: {}", issue.path.empty() ? "config" : issue.path, issue.message);
    return;
  }
  spdlog::error("{}", error.what());
}

std::string local_time(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {
    report_config_error(e);
    return kBadInput;
  } catch (const DataError& e) {
    spdlog::error("data: {}", e.what());
    return kBadInput;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kRuntimeError;
  }
}

}  // namespace nnlab::cli
