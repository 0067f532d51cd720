// The nnlab side of bench/probe.sh: runs `nnlab probe`'s library call (run_probe) on a config and
// reports per seed its thread CPU time and heap allocations, so that "no heap allocation per seed
// once warm" is measured, not assumed. One thread (-j 1), seeds after the first two only.
//
// Usage: nnlab_probe_bench CONFIG [--seeds N] [--set KEY=VALUE]...
// Prints one JSON object: {"seeds": N, "cpu_ms_per_seed": mean over warm seeds,
//   "allocations_per_seed": mean over warm seeds, "cpu_ms_total": run_probe's whole CPU time}
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "heap_count.h"
#include "run/probe.h"


namespace {
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: nnlab_probe_bench CONFIG [--seeds N] [--set KEY=VALUE]...\n");
    return 2;
  }
  try {
    nlohmann::json doc = nnlab::read_config_file(argv[1]);
    nnlab::ProbeOptions options;
    options.seeds = 100;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string flag = argv[i];
      if (flag == "--seeds") options.seeds = std::atoi(argv[i + 1]);
      else if (flag == "--set") nnlab::apply_override(doc, argv[i + 1]);
      else throw std::invalid_argument("unknown option " + flag);
    }
    const nnlab::Config config = nnlab::parse_config(doc, {".", "bench"});
    std::vector<double> cpu(static_cast<std::size_t>(options.seeds));
    std::vector<long> allocations(static_cast<std::size_t>(options.seeds));
    double last = 0;
    long last_allocations = 0;
    options.on_seed = [&](int i) {
      const double now = thread_cpu_ms();
      const long a = heap_allocations();
      cpu[static_cast<std::size_t>(i)] = now - last;
      allocations[static_cast<std::size_t>(i)] = a - last_allocations;
      last = thread_cpu_ms();
      last_allocations = heap_allocations();
    };
    const double t0 = thread_cpu_ms();
    last = t0;
    last_allocations = heap_allocations();
    nnlab::run_probe(config, options);
    const double total = thread_cpu_ms() - t0;
    double cpu_sum = 0;
    long alloc_sum = 0;
    int warm = 0;
    for (int i = 2; i < options.seeds; ++i, ++warm) {
      cpu_sum += cpu[static_cast<std::size_t>(i)];
      alloc_sum += allocations[static_cast<std::size_t>(i)];
    }
    std::printf("{\"seeds\": %d, \"cpu_ms_per_seed\": %.3f, \"allocations_per_seed\": %.3f, "
                "\"cpu_ms_total\": %.1f}\n",
                options.seeds, warm ? cpu_sum / warm : 0.0,
                warm ? static_cast<double>(alloc_sum) / warm : 0.0, total);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
