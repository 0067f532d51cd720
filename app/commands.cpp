// train, validate and gradcheck: flags, then calls into the library, then exit codes.
#include "commands.h"
#include "diagnose_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "base/errors.h"
#include "run/experiment.h"
#include "config/feasibility.h"
#include "base/files.h"
#include "run/run_dir.h"
#include "run/gradcheck.h"
#include "progress.h"
#include "run/run_lock.h"
#include "sweep/sweep.h"
#include "base/rng.h"

namespace nnlab::cli {

namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_checkpoint_request{false};

extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig);
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

extern "C" void on_checkpoint_signal(int) { g_checkpoint_request.store(true); }

// SIGUSR1 (a scheduler's warning before its time limit): checkpoint after the current step and
// go on. Installed before anything else so that an early SIGUSR1 does not kill the process.
void install_checkpoint_signal() {
  struct sigaction action {};
  action.sa_handler = on_checkpoint_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, nullptr);
}

// Refuses (ConfigError at `key`) a directory to be created where a file stands: the path itself
// or its nearest existing ancestor is not a directory. Checked before anything is created.
void check_creatable_dir(const std::filesystem::path& dir, const std::string& key) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(dir, ec);
  while (!p.empty() && !std::filesystem::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  if (!p.empty() && std::filesystem::exists(p, ec) && !std::filesystem::is_directory(p, ec))
    throw ConfigError(key, dir.string() + " cannot be a directory: " + p.string() +
                               " is a file");
}

void add_config_options(CLI::App* cmd, std::string& config, std::vector<std::string>& overrides) {
  cmd->add_option("config", config, "Experiment config (JSON)")->required();
  cmd->add_option("--set", overrides,
                  "Override a config key: key.path=value (value read as JSON, else a string); "
                  "repeatable")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
}

// The rest of the end-of-run line: accuracy, the test split, and how much weaker the first
// layer's gradient was than the output layer's at the last logged step.
template <typename T>
std::string final_summary(const EvalInfo& e, const Progress<T>& progress) {
  std::string out;
  if (e.classification) out += fmt::format(" acc {:.4f}", e.train_accuracy);
  if (e.has_test) {
    out += fmt::format(", test loss {:.6g}", e.test_loss);
    if (e.classification) out += fmt::format(" acc {:.4f}", e.test_accuracy);
  }
  if (progress.ratio_step() > 0)
    out += fmt::format("; |dL/dW| layer 1/last {:.3g} (step {})", progress.grad_ratio(),
                       progress.ratio_step());
  return out;
}

template <typename T>
int train_as(const Config& config, const TrainOptions& options, const CommonOptions& common,
             const nlohmann::json& meta) {
  Experiment<T> experiment = build_experiment<T>(config);  // throws before anything is created
  for (const auto& warning : experiment.data.warnings) spdlog::warn("{}", warning);
  std::filesystem::path dir;
  RunLock lock;  // held until the process ends: one writer per run directory
  const bool resume = !options.resume.empty();
  if (resume) {
    dir = options.resume;
    lock = RunLock(dir);
    remove_left_temporaries(dir);  // of a write that a kill -9 cut
    // Under the lock: another process may have finished the run since run_train looked.
    const std::string status = recorded_status(dir);
    if (status == "completed" || status == "diverged") {
      spdlog::info("{} has already {}; nothing to resume", dir.string(), status);
      std::printf("%s\n", dir.c_str());
      return static_cast<int>(status == "completed" ? kCompleted : kDiverged);
    }
  } else if (!options.out.empty()) {
    dir = options.out;
    lock = prepare_run_dir(dir, options.force);
  } else {
    dir = create_unique_dir(config.log.dir, config.name + "-" + local_time("%Y%m%d-%H%M%S"));
    lock = RunLock(dir);
  }
  spdlog::info("run directory: {}", dir.string());

  // An ignored SIGINT stays ignored (a background job of a non-interactive shell, nohup).
  if (std::signal(SIGINT, on_stop_signal) == SIG_IGN) std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, on_stop_signal);
  nnlab::TrainOptions train_options;
  train_options.stop_requested = [] { return g_stop_signal.load() != 0; };
  train_options.checkpoint_requested = [] { return g_checkpoint_request.exchange(false); };
  // Updates per epoch: batches x truncated-BPTT chunks that hold a target.
  const long batches =
      config.train.batch_size == 0
          ? 1
          : (experiment.train.size() + config.train.batch_size - 1) / config.train.batch_size;
  long updating_chunks = 0;
  for (const StepRange range : chunks(experiment.train.steps(), config.train.truncation))
    updating_chunks += chunk_has_target(experiment.train.y, range) ? 1 : 0;
  const long steps_per_epoch = batches * updating_chunks;
  Progress<T> progress(*experiment.model, steps_per_epoch * config.train.epochs,
                       config.train.epochs, common.quiet);
  const TrainResult result =
      run_experiment(experiment, dir, train_options, {&progress}, meta, resume);
  progress.finish();
  std::printf("%s\n", dir.c_str());
  std::fflush(stdout);
  if (result.status != RunStatus::interrupted) report_diagnosis(dir);
  if (const int sig = g_stop_signal.load(); sig != 0 && result.status != RunStatus::interrupted) {
    // The signal came after the last step: the run is whole, but whoever sent it (a shell loop,
    // a scheduler) must still see it.
    spdlog::warn("signal {} after the last step; the run is {}", sig, name_of(result.status));
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return 128 + sig;
  }
  switch (result.status) {
    case RunStatus::completed:
      spdlog::info("completed {} steps; final train loss {:.6g}{}", result.steps,
                   result.last_eval.train_loss, final_summary(result.last_eval, progress));
      return kCompleted;
    case RunStatus::diverged:
      spdlog::error("diverged at step {}: {}{}", result.diverged_step,
                    result.in_final_evaluation
                        ? "its update left a non-finite loss in the final evaluation"
                    : result.loss_nonfinite ? "non-finite loss"
                                            : "non-finite gradient",
                    result.first_nonfinite_layer > 0
                        ? " (first non-finite gradient: " + result.first_nonfinite_param + ")"
                        : std::string());
      return kDiverged;
    case RunStatus::interrupted: {
      const int sig = g_stop_signal.load();
      spdlog::warn("interrupted by signal {} after step {}; logs, checkpoint and summary are "
                   "complete (continue with: nnlab train --resume {})", sig, result.steps,
                   dir.string());
      std::signal(sig, SIG_DFL);
      std::raise(sig);
      return 128 + sig;
    }
  }
  return kRuntimeError;
}

nlohmann::json run_meta(const Config& config, int argc, char** argv) {
  nlohmann::json meta;
  std::vector<std::string> args(argv, argv + argc);
  meta["command_line"] = args;
  std::error_code ec;
  meta["cwd"] = std::filesystem::current_path(ec).string();
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  meta["host"] = host;
  meta["pid"] = static_cast<long>(getpid());
  meta["threads"] = Eigen::nbThreads();
  meta["seed"] = config.seed;
  meta["seeds"] = {{"data", data_seed(config)},
                   {"init", derive_seed(config.seed, "init")},
                   {"shuffle", derive_seed(config.seed, "shuffle")}};
  meta["name"] = config.name;
  nlohmann::json slurm;
  for (const auto& [key, variable] :
       {std::pair{"job_id", "SLURM_JOB_ID"}, {"array_job_id", "SLURM_ARRAY_JOB_ID"},
        {"array_task_id", "SLURM_ARRAY_TASK_ID"}, {"job_name", "SLURM_JOB_NAME"},
        {"node", "SLURMD_NODENAME"}})
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0')
      slurm[key] = value;
  if (!slurm.empty()) meta["slurm"] = slurm;
  return meta;
}

}  // namespace

CLI::App* setup_train(CLI::App& app, TrainOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "train", "Train the model of CONFIG and write a run directory (its path on stdout)");
  cmd->add_option("config", options.config, "Experiment config (JSON)");
  CLI::Option* set = cmd->add_option("--set", options.overrides,
                  "Override a config key: key.path=value (value read as JSON, else a string); "
                  "repeatable")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  CLI::Option* out = refuse_empty(cmd->add_option(
      "--out", options.out, "Run directory (default: a new one under log.dir named after the run)"));
  CLI::Option* force = cmd->add_flag(
      "--force", options.force, "With --out: overwrite the run files of a non-empty directory");
  add_allow_large(cmd, options.allow_large);
  cmd->add_option("--resume", options.resume,
                  "Continue the run in RUN_DIR from its last checkpoint (instead of CONFIG): rows "
                  "logged after the checkpoint are dropped, and the result is the same as an "
                  "uninterrupted run's")
      ->type_name("RUN_DIR")
      ->excludes(set)
      ->excludes(out)
      ->excludes(force);
  cmd->footer(kExitCodesHelp);
  return cmd;
}

int run_train(const TrainOptions& options, const CommonOptions& common, int argc, char** argv) {
  install_checkpoint_signal();
  // The run's results are its files: a reader of stdout or stderr that has gone (`| head -c0`)
  // makes a write fail with EPIPE, never kills the run or turns a completed one into an error.
  std::signal(SIGPIPE, SIG_IGN);
  return guarded([&] {
    Config config;
    if (!options.resume.empty()) {
      if (!options.config.empty())
        throw ConfigError("--resume", "takes the config from the run directory; give no CONFIG");
      const std::filesystem::path dir = options.resume;
      check_no_symlinks(dir);
      if (!std::filesystem::is_regular_file(dir / "config.json"))
        throw ConfigError("--resume", dir.string() + " is not a run directory (no config.json)");
      const std::string status = recorded_status(dir);
      if (status == "completed" || status == "diverged") {
        spdlog::info("{} has already {}; nothing to resume", dir.string(), status);
        std::printf("%s\n", dir.c_str());
        return static_cast<int>(status == "completed" ? kCompleted : kDiverged);
      }
      config = load_config((dir / "config.json").string(), {});
    } else {
      if (options.config.empty())
        throw ConfigError("CONFIG", "give a config file to train, or --resume RUN_DIR");
      config = load_config(options.config, options.overrides);
      // A run whose directory nnlab names is named after its --set overrides too (unless one of
      // them is the name). With --out (sweeps, scripts) the caller names it; nothing changes.
      const bool named = std::any_of(options.overrides.begin(), options.overrides.end(),
                                     [](const std::string& o) { return o.rfind("name=", 0) == 0; });
      if (options.out.empty() && !named) config.name = default_run_name(config.name, options.overrides);
      // Before anything is allocated or created (a resumed run was checked when it started).
      if (options.out.empty())
        check_creatable_dir(config.log.dir, "log.dir");
      else
        check_creatable_dir(std::filesystem::path(options.out).parent_path(), "--out");
      const RunEstimate estimate =
          check_fits(config, options.out.empty() ? config.log.dir : options.out, options.allow_large);
      if (estimate.logs > kLargeLogBytes)
        spdlog::warn("this run will write about {} of logs ({} steps, per-layer rows every {}); "
                     "raise log.every to write less", human_bytes(static_cast<double>(estimate.logs)),
                     format_count(estimate.steps), config.log.every);
    }
    const nlohmann::json meta = run_meta(config, argc, argv);
    return config.dtype == DType::float64 ? train_as<double>(config, options, common, meta)
                                          : train_as<float>(config, options, common, meta);
  });
}

CLI::App* setup_validate(CLI::App& app, ValidateOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check CONFIG (with --set overrides, data and weights file) without running; "
                  "print the resolved config on stdout");
  add_config_options(cmd, options.config, options.overrides);
  add_allow_large(cmd, options.allow_large);
  cmd->footer(kExitCodesHelp);
  return cmd;
}

int run_validate(const ValidateOptions& options) {
  return guarded([&] {
    const Config config = load_config(options.config, options.overrides);
    check_fits(config, config.log.dir, options.allow_large);  // as train would, before building
    Config resolved = config;
    std::vector<std::string> warnings;
    if (config.dtype == DType::float64) {
      auto experiment = build_experiment<double>(config);
      resolved = experiment.config;
      warnings = experiment.data.warnings;
    } else {
      auto experiment = build_experiment<float>(config);
      resolved = experiment.config;
      warnings = experiment.data.warnings;
    }
    for (const auto& warning : warnings) spdlog::warn("{}", warning);
    std::printf("%s\n", to_json(resolved).dump(2).c_str());
    spdlog::info("{}: ok", options.config);
    return static_cast<int>(kCompleted);
  });
}

CLI::App* setup_gradcheck(CLI::App& app, GradcheckOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "gradcheck",
      "Check backprop against central finite differences (float64, first training batch) for "
      "every parameter tensor; exit 4 when a tensor's error exceeds --tol, its rounding noise and "
      "--atol");
  add_config_options(cmd, options.config, options.overrides);
  positive_number(cmd->add_option(
                      "--tol", options.tolerance,
                      "Largest accepted relative error ||g - g_num|| / (||g|| + ||g_num||) of a "
                      "tensor (errors below the printed rounding noise always pass)"))
      ->capture_default_str();
  non_negative_number(cmd->add_option("--atol", options.abs_tolerance,
                                      "A tensor also passes when ||g - g_num|| <= atol"))
      ->capture_default_str();
  positive_number(cmd->add_option("--step", options.step,
                                  "Relative finite-difference step: p moves by step * max(1, |p|)"))
      ->capture_default_str();
  add_allow_large(cmd, options.allow_large);
  cmd->footer(kExitCodesHelp);
  return cmd;
}

int run_gradcheck(const GradcheckOptions& options) {
  return guarded([&] {
    const Config config = load_config(options.config, options.overrides);
    Config as_checked = config;  // gradcheck builds the model in float64 whatever the dtype
    as_checked.dtype = DType::float64;
    check_fits(as_checked, {}, options.allow_large);
    nnlab::GradcheckOptions check;
    check.step = options.step;
    check.tolerance = options.tolerance;
    check.abs_tolerance = options.abs_tolerance;
    const GradcheckReport report = gradcheck(config, check);
    std::fputs(format_gradcheck(report, options.tolerance, options.abs_tolerance).c_str(), stdout);
    const bool ok = report.passed(options.tolerance, options.abs_tolerance);
    return ok ? static_cast<int>(kCompleted) : static_cast<int>(kGradcheckFailed);
  });
}

}  // namespace nnlab::cli
