// The nnlab side of the benchmark (bench/run.py): trains a config through the real run path
// (build_experiment + run_experiment: the one training loop, RunLogger writing every CSV file
// into a temporary run directory) and times the training steps only, not data generation,
// evaluation or the files written before and after the loop.
//
// Usage: nnlab_bench CONFIG [--set KEY=VALUE]... [--warmup N] [--steps N] [--keep]
// Prints one JSON object on stdout:
//   {"steps": N, "ms_per_step": mean, "ms_median": median, "ms_min": min,
//    "cpu_ms_per_step": mean thread CPU time, "allocations_per_step": mean heap allocations,
//    "peak_rss_kb": K, "rss_before_training_kb": K0, "run_dir": "..." (with --keep)}
// (CPU time is less disturbed than wall time by other processes on a busy machine.)
// Heap allocations are counted by this program's own malloc/calloc/realloc/memalign family,
// which forwards to glibc's: every allocation of the process (library, libstdc++, OpenBLAS)
// goes through them. The step loop is meant to allocate nothing.
//
// A step's time is the interval between two consecutive calls of this program's observer, which
// the trainer calls after RunLogger has written the step's rows: so each interval holds exactly
// one optimizer update, the gathering of the next batch, its forward, loss, backward, gradient
// norms, clipping and logging. Intervals that contain an evaluation (at the end of an epoch) are
// dropped, as are the first --warmup ones.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "heap_count.h"


namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

template <typename T>
class StepTimer final : public nnlab::TrainObserver<T> {
 public:
  StepTimer(long warmup, long steps) : warmup_(warmup), steps_(steps) {
    times_ms_.reserve(static_cast<std::size_t>(steps));
  }
  void on_step(const nnlab::StepInfo&, nnlab::Model<T>&) override {
    const Clock::time_point now = Clock::now();
    const double cpu = thread_cpu_ms();
    const long allocations = heap_allocations();
    if (have_last_ && !eval_since_last_) {
      if (skipped_ < warmup_) {
        ++skipped_;
      } else if (!done()) {
        times_ms_.push_back(std::chrono::duration<double, std::milli>(now - last_).count());
        cpu_ms_ += cpu - last_cpu_;
        allocations_ += allocations - last_allocations_;
      }
    }
    last_ = now;
    last_cpu_ = cpu;
    last_allocations_ = allocations;
    have_last_ = true;
    eval_since_last_ = false;
  }
  void on_eval(const nnlab::EvalInfo&) override { eval_since_last_ = true; }
  bool done() const { return static_cast<long>(times_ms_.size()) >= steps_; }
  const std::vector<double>& times_ms() const { return times_ms_; }
  double cpu_ms() const { return cpu_ms_; }
  long allocations() const { return allocations_; }

 private:
  long warmup_, steps_, skipped_ = 0;
  std::vector<double> times_ms_;
  double cpu_ms_ = 0, last_cpu_ = 0;
  long allocations_ = 0, last_allocations_ = 0;
  Clock::time_point last_;
  bool have_last_ = false, eval_since_last_ = false;
};

long rss_kb() {  // current resident set, from /proc/self/statm (pages)
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // kilobytes on Linux
}

template <typename T>
int run(const nnlab::Config& config, long warmup, long steps, bool keep) {
  nnlab::Experiment<T> experiment = nnlab::build_experiment<T>(config);
  std::string tmpl = (std::filesystem::temp_directory_path() / "nnlab-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw nnlab::IoError("cannot create a temporary directory");
  const std::filesystem::path dir = tmpl;
  const long rss_before = rss_kb();

  StepTimer<T> timer(warmup, steps);
  nnlab::TrainOptions options;
  options.stop_requested = [&timer] { return timer.done(); };
  const nnlab::TrainResult result =
      nnlab::run_experiment(experiment, dir, options, {&timer}, nlohmann::json::object());
  const long peak = peak_rss_kb();
  if (!keep) std::filesystem::remove_all(dir);
  if (result.status == nnlab::RunStatus::diverged) {
    std::fprintf(stderr, "error: the run diverged at step %ld\n", result.diverged_step);
    return 3;
  }
  std::vector<double> t = timer.times_ms();
  if (static_cast<long>(t.size()) < steps) {
    std::fprintf(stderr, "error: only %zu timed steps (train.epochs too small?)\n", t.size());
    return 1;
  }
  double sum = 0;
  for (double x : t) sum += x;
  std::sort(t.begin(), t.end());
  const std::size_t n = t.size();
  const double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  nlohmann::json out;
  out["steps"] = n;
  out["ms_per_step"] = sum / static_cast<double>(n);
  out["ms_median"] = median;
  out["ms_min"] = t.front();
  out["cpu_ms_per_step"] = timer.cpu_ms() / static_cast<double>(n);
  out["allocations_per_step"] = static_cast<double>(timer.allocations()) / static_cast<double>(n);
  out["peak_rss_kb"] = peak;
  out["rss_before_training_kb"] = rss_before;
  if (keep) out["run_dir"] = dir.string();
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: nnlab_bench CONFIG [--set KEY=VALUE]... [--warmup N] [--steps N] [--keep]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> overrides;
  long warmup = 5, steps = 50;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--set" && has_value) {
      overrides.emplace_back(argv[++i]);
    } else if (arg == "--warmup" && has_value) {
      warmup = std::atol(argv[++i]);
    } else if (arg == "--steps" && has_value) {
      steps = std::atol(argv[++i]);
    } else if (arg == "--keep") {
      keep = true;
    } else if (config_path.empty() && !arg.starts_with("-")) {
      config_path = arg;
    } else {
      return usage();
    }
  }
  if (config_path.empty() || warmup < 0 || steps < 1) return usage();
  try {
    namespace fs = std::filesystem;
    nlohmann::json doc = nnlab::read_config_file(config_path);
    // Enough epochs for any step count: the timer stops the run.
    nnlab::apply_override(doc, "train.epochs=10000000");
    for (const auto& assignment : overrides) nnlab::apply_override(doc, assignment);
    nnlab::ConfigContext context;
    context.base_dir = fs::absolute(fs::path(config_path)).parent_path();
    context.default_name = fs::path(config_path).stem().string();
    const nnlab::Config config = nnlab::parse_config(doc, context);
    return config.dtype == nnlab::DType::float64 ? run<double>(config, warmup, steps, keep)
                                                 : run<float>(config, warmup, steps, keep);
  } catch (const nnlab::ConfigError& e) {
    for (const auto& issue : e.issues())
      std::fprintf(stderr, "error: %s: %s\n", issue.path.c_str(), issue.message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
