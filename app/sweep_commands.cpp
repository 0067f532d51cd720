// sweep: reads and checks the sweep file, then lists its runs, runs one (--index, by exec'ing the
// same binary's `train`) or runs them all as child processes, N at a time (-j), each with its own
// log file. summarize: prints the summary table of a directory of runs.
#include "sweep_commands.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/errors.h"
#include "base/files.h"
#include "run/run_lock.h"
#include "sweep/summarize.h"
#include "sweep/sweep.h"
#include "sweep_plan.h"

namespace nnlab::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kMaxJobs = 256;

// The sweep takes SIGINT, SIGTERM, SIGUSR1 and SIGCHLD synchronously: they stay blocked and the
// main loop waits for them with sigtimedwait, so none is missed between two checks.
extern "C" void on_sweep_signal(int) {}

sigset_t sweep_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGCHLD}) sigaddset(&set, sig);
  return set;
}

// The dispositions the sweep found, given back to its runs before they exec.
struct InheritedSignals {
  sigset_t mask;
  bool sigint_ignored = false;  // a background job of a non-interactive shell, nohup
};

// Blocks the sweep's signals (a no-op handler makes sure an inherited SIG_IGN does not discard
// them). An ignored SIGINT stays ignored, by the sweep and its runs, as `nnlab train` does.
InheritedSignals take_signals() {
  InheritedSignals inherited;
  struct sigaction old_int {};
  sigaction(SIGINT, nullptr, &old_int);
  inherited.sigint_ignored = old_int.sa_handler == SIG_IGN;
  struct sigaction action {};
  action.sa_handler = on_sweep_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGCHLD})
    if (sig != SIGINT || !inherited.sigint_ignored) sigaction(sig, &action, nullptr);
  sigset_t set = sweep_signals();
  if (inherited.sigint_ignored) sigdelset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, &inherited.mask);
  return inherited;
}

// Whether process `pid` still needs `sig`: it has a handler for it and none is pending (Linux:
// SigCgt, SigPnd and ShdPnd in /proc/PID/status). A train run drops its SIGINT/SIGTERM handler
// once it has caught one, so a run that received the signal directly (a scheduler or systemd
// signalling every process) is not sent a second one, which would stop it at once; a run still
// starting up (no handler yet) gets it once it has one.
bool needs_signal(pid_t pid, int sig) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) return true;
  char line[256];
  bool caught = true, pending = false;
  const unsigned long long bit = 1ull << (sig - 1);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    auto mask = [&](const char* field) {
      return std::strtoull(line + std::strlen(field), nullptr, 16);
    };
    if (std::strncmp(line, "SigCgt:", 7) == 0) caught = (mask("SigCgt:") & bit) != 0;
    if (std::strncmp(line, "SigPnd:", 7) == 0 && (mask("SigPnd:") & bit) != 0) pending = true;
    if (std::strncmp(line, "ShdPnd:", 7) == 0 && (mask("ShdPnd:") & bit) != 0) pending = true;
  }
  std::fclose(f);
  return caught && !pending;
}

// This binary's absolute path, for the children and the --list lines.
std::string self_path(const char* argv0) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string path(buf, static_cast<std::size_t>(n));
    const std::string deleted = " (deleted)";  // the binary was rebuilt while running
    if (path.size() > deleted.size() && path.ends_with(deleted)) path.resize(path.size() - deleted.size());
    return path;
  }
  if (std::strchr(argv0, '/') != nullptr) return fs::absolute(argv0).lexically_normal().string();
  return argv0;
}

std::string command_line(const std::string& exe, const std::vector<std::string>& args) {
  std::string line = shell_quote(exe);
  for (const auto& a : args) {
    line += ' ';
    line += shell_quote(a);
  }
  return line;
}

std::vector<char*> c_argv(const std::string& exe, std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(exe.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

// --index: the run's train command replaces this process, so its output, exit code and signals
// are exactly train's.
int run_one(const Sweep& sweep, std::size_t index, const std::string& exe,
            const std::vector<std::string>& common_flags, const std::vector<std::string>& train_flags) {
  const SweepRun& run = sweep.runs[index];
  const RunPlan plan = plan_run(sweep.spec, run);
  const fs::path dir = run_dir(sweep.spec, run);
  if (plan.arguments.empty()) {
    spdlog::info("run {} ({}) already {}: nothing to do", index, run.name, name_of(plan.state));
    std::printf("%s\n", dir.c_str());
    return plan.state == RunState::completed ? kCompleted : kDiverged;
  }
  spdlog::info("run {} of {}: {}{}", index, sweep.runs.size(), run.name,
               plan.state == RunState::started ? " (resuming)" : "");
  std::vector<std::string> args = common_flags;
  args.insert(args.end(), plan.arguments.begin(), plan.arguments.end());
  args.insert(args.end(), train_flags.begin(), train_flags.end());
  std::vector<char*> argv = c_argv(exe, args);
  std::fflush(nullptr);
  spdlog::default_logger()->flush();
  ::execv(exe.c_str(), argv.data());
  spdlog::error("cannot run {}: {}", exe, std::strerror(errno));
  return kRuntimeError;
}

struct Tally {
  std::size_t completed = 0, skipped = 0, diverged = 0, failed = 0, interrupted = 0;
};

// -j N: every unfinished run as a child process, N at a time.
int run_local(const Sweep& sweep, int jobs, const std::string& exe,
              const std::vector<std::string>& common_flags,
              const std::vector<std::string>& train_flags) {
  const SweepSpec& spec = sweep.spec;
  const std::size_t total = sweep.runs.size();
  // One -j sweep per directory (each run also locks its own directory, run_lock.h).
  RunLock lock(spec.out, "sweep.lock");
  const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const InheritedSignals inherited = take_signals();
  const sigset_t& child_mask = inherited.mask;
  sigset_t waited = sweep_signals();
  if (inherited.sigint_ignored) sigdelset(&waited, SIGINT);
  spdlog::info("sweep {}: {} runs, {} at a time, in {} (one log per run in logs/)", spec.name,
               total, jobs, spec.out.string());

  struct Child {
    pid_t pid = 0;
    std::size_t run = 0;
    std::chrono::steady_clock::time_point started;
    bool signalled = false;  // the stop signal has reached it (forwarded, or seen caught)
  };
  std::vector<Child> children;
  std::size_t next = 0, done = 0;
  int stop_signal = 0;       // the first SIGINT/SIGTERM
  int stop_count = 0;
  std::chrono::steady_clock::time_point stop_time;
  // A stop signal is forwarded after this grace, so that a run signalled at the same moment by
  // whoever signalled the sweep has already caught its own (and is not sent a second one).
  constexpr auto kGrace = std::chrono::milliseconds(200);
  Tally tally;
  const int width = static_cast<int>(std::to_string(total).size());

  auto log_path = [&](const SweepRun& run) { return spec.out / "logs" / (run.name + ".log"); };
  auto report = [&](const SweepRun& run, const std::string& status, double seconds, bool show_log) {
    ++done;
    const std::string time = seconds >= 0 ? fmt::format("{:8.2f} s", seconds) : std::string(10, ' ');
    const std::string log = show_log ? "  (log: " + log_path(run).string() + ")" : "";
    std::printf("[%*zu/%zu] %-22s %s  %s%s\n", width, done, total, status.c_str(), time.c_str(),
                run.name.c_str(), log.c_str());
    std::fflush(stdout);
  };

  auto start = [&](const SweepRun& run, const RunPlan& plan) {
    const fs::path log = log_path(run);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw IoError("cannot create " + log.string() + ": " + std::strerror(errno));
    std::vector<std::string> args = common_flags;
    args.insert(args.end(), plan.arguments.begin(), plan.arguments.end());
    args.insert(args.end(), train_flags.begin(), train_flags.end());
    const std::string header = "# " + local_time("%Y-%m-%d %H:%M:%S") + " nnlab sweep: " + command_line(exe, args) + "\n";
    if (::write(log_fd, header.data(), header.size()) < 0) {
      ::close(log_fd);
      throw IoError("cannot write " + log.string() + ": " + std::strerror(errno));
    }
    std::vector<char*> argv = c_argv(exe, args);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      // The child: its own process group (a terminal's Ctrl-C reaches only the sweep, which
      // forwards it once), SIGTERM if the sweep dies, output into the log, default signals.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(128 + SIGTERM);
      if (dev_null >= 0) ::dup2(dev_null, STDIN_FILENO);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGCHLD, SIGPIPE}) std::signal(sig, SIG_DFL);
      if (inherited.sigint_ignored) std::signal(SIGINT, SIG_IGN);
      sigprocmask(SIG_SETMASK, &child_mask, nullptr);
      ::execv(exe.c_str(), argv.data());
      const char message[] = "nnlab sweep: cannot exec the nnlab binary\n";
      [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
      ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(log_fd);
    if (pid < 0) throw IoError(std::string("cannot start a run: fork: ") + std::strerror(fork_errno));
    children.push_back({pid, run.index, std::chrono::steady_clock::now(), false});
    spdlog::info("started {}{}", run.name, plan.state == RunState::started ? " (resuming)" : "");
  };

  auto reap = [&] {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(children.begin(), children.end(),
                             [&](const Child& c) { return c.pid == pid; });
      if (it == children.end()) continue;
      const SweepRun& run = sweep.runs[it->run];
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - it->started).count();
      children.erase(it);
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // A stop signal that came after a run's last step ends it by that signal, but the run is
      // whole: its summary.json, not its exit code, says how it ended.
      if (code > 128) {
        const RunState state = run_state(run_dir(sweep.spec, run));
        if (state == RunState::completed) code = kCompleted;
        if (state == RunState::diverged) code = kDiverged;
      }
      if (code == kCompleted) {
        ++tally.completed;
        report(run, "completed", seconds, false);
      } else if (code == kDiverged) {
        ++tally.diverged;
        report(run, "diverged", seconds, true);
      } else if (code > 128) {
        ++tally.interrupted;
        report(run, fmt::format("interrupted ({})", strsignal(code - 128)), seconds, true);
      } else {
        ++tally.failed;
        report(run, fmt::format("failed (exit {})", code), seconds, true);
      }
    }
  };

  while (true) {
    reap();
    if (stop_signal != 0 &&
        (stop_count > 1 || std::chrono::steady_clock::now() - stop_time >= kGrace)) {
      // Once per run: forward the stop signal to a run that still needs it (needs_signal()); a
      // second stop signal reaches every run regardless, which stops them at once.
      for (auto& c : children)
        if (!c.signalled && (stop_count > 1 || needs_signal(c.pid, stop_signal))) {
          ::kill(c.pid, stop_signal);
          c.signalled = true;
        }
    }
    while (stop_signal == 0 && static_cast<int>(children.size()) < jobs && next < total) {
      const SweepRun& run = sweep.runs[next++];
      const RunPlan plan = plan_run(spec, run);
      if (plan.state == RunState::completed || plan.state == RunState::diverged) {
        ++tally.skipped;
        ++(plan.state == RunState::completed ? tally.completed : tally.diverged);
        report(run, "skipped: " + std::string(name_of(plan.state)), -1, false);
        continue;
      }
      start(run, plan);
    }
    if (children.empty()) break;
    // While stopping, look again every 50 ms for runs that have not got the signal yet.
    const bool waiting_for_handlers =
        std::any_of(children.begin(), children.end(), [](const Child& c) { return !c.signalled; }) &&
        stop_signal != 0;
    const timespec timeout{0, 50'000'000};
    siginfo_t info{};
    const int sig = waiting_for_handlers ? sigtimedwait(&waited, &info, &timeout)
                                         : sigwaitinfo(&waited, &info);
    if (sig == SIGINT || sig == SIGTERM) {
      if (stop_signal == 0) {
        stop_signal = sig;
        stop_time = std::chrono::steady_clock::now();
      }
      ++stop_count;
      if (stop_count > 1)
        for (auto& c : children) c.signalled = false;  // forward the second one to every run
    } else if (sig == SIGUSR1) {
      for (const auto& c : children)
        if (needs_signal(c.pid, SIGUSR1)) ::kill(c.pid, SIGUSR1);
    }
  }
  if (dev_null >= 0) ::close(dev_null);

  const std::size_t not_started = total - done;
  std::string line = fmt::format("sweep {}: {} runs: {} completed", spec.name, total, tally.completed);
  if (tally.skipped > 0) line += fmt::format(" ({} skipped: finished before)", tally.skipped);
  line += fmt::format(", {} diverged, {} failed", tally.diverged, tally.failed);
  if (tally.interrupted > 0) line += fmt::format(", {} interrupted", tally.interrupted);
  if (not_started > 0) line += fmt::format(", {} not started", not_started);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);

  if (stop_signal != 0) {
    spdlog::warn("stopped by signal {} ({}); run the same command again to continue", stop_signal,
                 strsignal(stop_signal));
    std::signal(stop_signal, SIG_DFL);
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    std::raise(stop_signal);
    return 128 + stop_signal;
  }
  sigprocmask(SIG_SETMASK, &child_mask, nullptr);
  if (tally.failed > 0 || tally.interrupted > 0) return kRuntimeError;
  if (tally.diverged > 0) return kDiverged;
  return kCompleted;
}

}  // namespace

CLI::App* setup_sweep(CLI::App& app, SweepOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Run every run of SWEEP.json (a base config, a grid and/or list of overrides, seeds), "
      "or list them, count them, or run one");
  cmd->add_option("sweep", options.sweep_file, "Sweep file (JSON)")->required();
  refuse_empty(cmd->add_option("--out", options.out,
                               "Sweep directory (default: the file's \"out\", else runs/NAME)"));
  CLI::Option* list = cmd->add_flag(
      "--list", options.list,
      "Print one `nnlab train ...` command per run, in run order (for GNU parallel, xargs, job "
      "arrays); writes the sweep directory's manifest.json");
  CLI::Option* pending = cmd->add_flag(
      "--pending", options.pending,
      "With --list: only the runs not yet finished, each as this sweep would run it now "
      "(train --resume for a started run)");
  CLI::Option* count = cmd->add_flag("--count", options.count, "Print the number of runs");
  CLI::Option* index =
      non_negative_integer(
          cmd->add_option("--index", options.index,
                          "Run only run I (0-based, the order of --list; for a Slurm array: "
                          "--array=0-(N-1) and --index $SLURM_ARRAY_TASK_ID); its output goes to "
                          "stdout/stderr and its exit code is train's"))
          ->type_name("I");
  CLI::Option* jobs =
      cmd->add_option("-j,--jobs", options.jobs,
                      "Run N runs at a time, each a single-threaded child process logging to "
                      "SWEEP_DIR/logs/RUN.log")
          ->check(CLI::Range(1, kMaxJobs))
          ->capture_default_str()
          ->type_name("N");
  cmd->add_flag("--allow-large", options.allow_large,
                "Pass --allow-large to every run's train (and to the --list lines)");
  pending->needs(list);
  list->excludes(count)->excludes(index)->excludes(jobs);
  count->excludes(index)->excludes(jobs);
  index->excludes(jobs);
  cmd->footer(
      "Exit codes: 0 every run completed; 1 a run failed (an error, or killed); 2 bad sweep "
      "file,\nconfig or command line (nothing is run or created); 3 some runs diverged, the "
      "others completed;\n128+N stopped by signal N (SIGINT/SIGTERM are forwarded to the runs, "
      "which stop cleanly).\nWith --index: the run's own exit code (train's).");
  return cmd;
}

int run_sweep(const SweepOptions& options, const CommonOptions& common, const char* argv0) {
  return guarded([&]() -> int {
    Sweep sweep = expand_sweep(read_sweep_file(options.sweep_file, options.out));
    validate_sweep(sweep);
    const std::size_t total = sweep.runs.size();
    if (options.count) {
      std::printf("%zu\n", total);
      return kCompleted;
    }
    if (options.index >= 0 && static_cast<std::size_t>(options.index) >= total) {
      spdlog::error("--index {} is out of range: the sweep has {} run{} (indices 0 to {})",
                    options.index, total, total == 1 ? "" : "s", total - 1);
      return kBadInput;
    }
    prepare_sweep_dir(sweep);
    const std::string exe = self_path(argv0);
    std::vector<std::string> train_flags;  // after the train arguments
    if (options.allow_large) train_flags.emplace_back("--allow-large");
    if (options.list) {
      for (const auto& run : sweep.runs) {
        std::vector<std::string> args =
            options.pending ? plan_run(sweep.spec, run).arguments
                            : train_arguments(sweep.spec, run, /*force=*/false);
        if (args.empty()) continue;
        args.insert(args.end(), train_flags.begin(), train_flags.end());
        std::printf("%s\n", command_line(exe, args).c_str());
      }
      return kCompleted;
    }
    // -q/-v given to the sweep reach the runs too.
    std::vector<std::string> common_flags;
    if (common.quiet) common_flags.emplace_back("-q");
    if (common.verbose) common_flags.emplace_back("-v");
    if (options.index >= 0)
      return run_one(sweep, static_cast<std::size_t>(options.index), exe, common_flags, train_flags);
    return run_local(sweep, options.jobs, exe, common_flags, train_flags);
  });
}

CLI::App* setup_summarize(CLI::App& app, SummarizeOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "summarize",
      "Print one CSV row per run directory under DIR: the keys that vary, seed, status, final "
      "metrics and first/last-layer gradient norms");
  cmd->add_option("dir", options.dir, "A sweep directory, or any directory holding runs")->required();
  refuse_empty(cmd->add_option("--out", options.out, "Write the CSV to FILE instead of stdout"))
      ->type_name("FILE");
  cmd->add_option("--window", options.window,
                  "Logged steps averaged for the gradient columns (the first K; *_end: the last K)")
      ->check(CLI::Range(1, 1000000000))
      ->capture_default_str()
      ->type_name("K");
  cmd->footer("Exit codes: 0 written; 1 I/O error; 2 DIR is not a directory or a bad option.");
  return cmd;
}

int run_summarize(const SummarizeOptions& options) {
  return guarded([&]() -> int {
    std::error_code ec;
    if (!fs::is_directory(options.dir, ec)) {
      spdlog::error("{}: not a directory", options.dir);
      return kBadInput;
    }
    const SummaryTable table = summarize(options.dir, options.window);
    for (const auto& warning : table.warnings) spdlog::warn("{}", warning);
    if (table.rows.empty())
      spdlog::warn("no run directories (with config.json and summary.json) under {}", options.dir);
    const std::string csv = to_csv(table);
    if (options.out.empty()) {
      std::fwrite(csv.data(), 1, csv.size(), stdout);
      if (std::fflush(stdout) != 0) throw IoError("cannot write the summary to stdout");
    } else {
      write_file_atomic(options.out, csv);
      spdlog::info("{} runs summarized into {}", table.rows.size(), options.out);
    }
    return kCompleted;
  });
}

int run_sweep_runs(const Sweep& sweep, int jobs, const char* argv0,
                   const std::vector<std::string>& common_flags) {
  return run_local(sweep, jobs, self_path(argv0), common_flags, /*train_flags=*/{});
}

std::string nnlab_executable(const char* argv0) { return self_path(argv0); }

}  // namespace nnlab::cli
