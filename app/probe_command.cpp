// nnlab probe: flags, the probe, its directory and the table on stdout.
#include "probe_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/errors.h"
#include "base/files.h"
#include "run/probe.h"

namespace nnlab::cli {

namespace {

std::pair<int, int> parse_fit(const std::string& text) {
  const auto colon = text.find(':');
  try {
    if (colon != std::string::npos) {
      std::size_t used_a = 0, used_b = 0;
      const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
      const int from = std::stoi(a, &used_a), to = std::stoi(b, &used_b);
      if (used_a == a.size() && used_b == b.size()) return {from, to};
    }
  } catch (const std::exception&) {
  }
  throw ConfigError("--fit", "expected L1:L2 (two integers), got \"" + text + "\"");
}

// "mean ± se" of a row, or "-" when undefined.
std::string mean_se(const ProbeRow* row) {
  if (row == nullptr || !std::isfinite(row->mean)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g ± %.2g", row->mean, row->se);
  return buf;
}
std::string theory_text(const ProbeRow* row) {
  if (row == nullptr || !row->theory) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", *row->theory);
  return buf;
}

const ProbeRow* find_row(const ProbeResult& r, int layer, int t, const char* quantity) {
  for (const auto& row : r.rows)
    if (row.key.layer == layer && row.key.t == t && row.key.quantity == quantity) return &row;
  return nullptr;
}

void print_table(const ProbeResult& r) {
  if (!r.recurrent) {
    std::printf("%5s  %-22s %10s  %-22s %10s  %-22s %-10s\n", "layer", "ln delta_sq", "theory",
                "q", "theory", "ln grad_W", "saturated");
    int layers = 0;
    for (const auto& k : r.keys) layers = std::max(layers, k.layer);
    for (int l = 1; l <= layers; ++l) {
      const ProbeRow* sat = find_row(r, l, 0, "saturated");
      char s[32] = "-";
      if (sat) std::snprintf(s, sizeof s, "%.3f", sat->mean);
      std::printf("%5d  %-22s %10s  %-22s %10s  %-22s %-10s\n", l,
                  mean_se(find_row(r, l, 0, "ln_delta_sq")).c_str(),
                  theory_text(find_row(r, l, 0, "ln_delta_sq")).c_str(),
                  mean_se(find_row(r, l, 0, "q")).c_str(), theory_text(find_row(r, l, 0, "q")).c_str(),
                  mean_se(find_row(r, l, 0, "ln_grad_W")).c_str(), s);
    }
  } else {
    int top = 0;
    for (const auto& k : r.keys) if (k.t > 0) top = std::max(top, k.layer);
    std::printf("layer %d by time step:\n%5s  %-22s %10s  %-22s %10s\n", top, "t", "ln h_grad",
                "theory", "ln c_grad", "theory");
    for (const auto& k : r.keys) {
      if (k.layer != top || k.t == 0 || k.quantity != "h_grad") continue;
      std::printf("%5d  %-22s %10s  %-22s %10s\n", k.t,
                  mean_se(find_row(r, top, k.t, "ln_h_grad")).c_str(),
                  theory_text(find_row(r, top, k.t, "ln_h_grad")).c_str(),
                  mean_se(find_row(r, top, k.t, "ln_c_grad")).c_str(),
                  theory_text(find_row(r, top, k.t, "ln_c_grad")).c_str());
    }
  }
  if (r.fit) {
    const ProbeFit& f = *r.fit;
    std::printf("fit: slope of %s over %s %d..%d: %.4f ± %.4f (se over %zu seeds; sd %.4f); theory %s\n",
                f.axis == "layer" ? "ln delta_sq" : "ln h_grad^2", f.axis.c_str(), f.begin, f.end,
                f.mean, f.se, f.slopes.size(), f.sd,
                f.theory ? std::to_string(*f.theory).c_str() : "-");
  }
  if (r.theory.empty()) std::printf("theory: none (%s)\n", r.theory_reason.c_str());
  else std::printf("theory: %s\n", r.theory.c_str());
}

}  // namespace

CLI::App* setup_probe(CLI::App& app, ProbeCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "probe", "Gradient statistics at initialisation over many seeds (one forward and backward "
               "pass each, no update), beside the mean-field theory where it is exact");
  cmd->add_option("config", options.config, "Experiment config (JSON)")->required();
  cmd->add_option("--set", options.overrides, "Override a config key: key.path=value; repeatable")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--seeds", options.seeds, "Seeds seed, seed+1, ... (fresh init and batch each)")
      ->capture_default_str();
  cmd->add_option("--batch", options.batch, "Samples per batch (default: train.batch_size)");
  cmd->add_option("--fit", options.fit,
                  "Layers (time steps for recurrent models) L1:L2 of the ln ||delta||^2 slope "
                  "(default: the middle half)");
  refuse_empty(cmd->add_option("--out", options.out, "Directory to write (default: log.dir/NAME-probe-TIME)"));
  cmd->add_flag("--force", options.force, "Write into a non-empty --out directory");
  cmd->add_option("-j,--jobs", options.threads, "Threads over seeds")->capture_default_str();
  add_allow_large(cmd, options.allow_large);
  cmd->footer(kExitCodesHelp);
  return cmd;
}

int run_probe_command(const ProbeCommandOptions& options, int argc, char** argv) {
  return guarded([&] {
    Config config = load_config(options.config, options.overrides);
    ProbeOptions probe;
    probe.seeds = options.seeds;
    if (options.batch != 0) probe.batch = options.batch;
    if (!options.fit.empty()) probe.fit = parse_fit(options.fit);
    probe.threads = options.threads;
    Config as_probed = config;  // one batch of the probe's size per seed
    if (probe.batch) as_probed.train.batch_size = std::clamp(*probe.batch, 1, 10'000'000);
    check_fits(as_probed, {}, options.allow_large);
    namespace fs = std::filesystem;
    if (!options.out.empty() && fs::exists(options.out) && !options.force &&
        (!fs::is_directory(options.out) || !fs::is_empty(options.out)))
      throw ConfigError("--out", options.out + " exists and is not an empty directory (--force "
                                               "writes into it)");
    const auto t0 = std::chrono::steady_clock::now();
    const ProbeResult result = run_probe(config, probe);  // throws before anything is created
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fs::path dir;
    if (!options.out.empty()) {
      dir = options.out;
      fs::create_directories(dir);
    } else {
      dir = create_unique_dir(config.log.dir, config.name + "-probe-" + local_time("%Y%m%d-%H%M%S"));
    }
    nlohmann::json meta;
    meta["command_line"] = std::vector<std::string>(argv, argv + argc);
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    meta["host"] = host;
    meta["threads"] = probe.threads;
    meta["wall_time_seconds"] = seconds;
    write_probe(dir, result, meta);
    print_table(result);
    spdlog::info("{} seeds in {:.3f} s", result.seeds.size(), seconds);
    std::printf("%s\n", dir.c_str());
    return static_cast<int>(kCompleted);
  });
}

}  // namespace nnlab::cli
