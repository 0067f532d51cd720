// `nnlab probe CONFIG`: gradient statistics at initialisation over many seeds, beside the theory
// (lib/run/probe.h, docs/probe.md).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"

namespace nnlab::cli {

struct ProbeCommandOptions {
  std::string config;
  std::vector<std::string> overrides;
  int seeds = 20;
  int batch = 0;          // 0 = the config's train.batch_size
  std::string fit;        // "L1:L2"
  std::string out;
  bool force = false;
  int threads = 1;
  bool allow_large = false;  // skip the memory check
};
CLI::App* setup_probe(CLI::App& app, ProbeCommandOptions& options);
int run_probe_command(const ProbeCommandOptions& options, int argc, char** argv);

}  // namespace nnlab::cli
