// nnlab's command line: `train`, `validate`, `gradcheck`, `sweep` and `summarize` subcommands.
// Each is a trio of an options struct, a setup function that declares its flags and a run
// function; main wires them and maps errors to exit codes (see cli.h).
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli.h"
#include "commands.h"
#include "probe_command.h"
#include "sweep_commands.h"

int main(int argc, char** argv) {
  using namespace nnlab::cli;
  CLI::App app{"nnlab: train neural networks from a JSON config and log how gradients flow"};
  app.set_version_flag("--version", std::string("nnlab ") + NNLAB_VERSION + " (" + NNLAB_COMMIT + ")");
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  CommonOptions common;
  app.add_flag("-q,--quiet", common.quiet, "Only warnings and errors on stderr");
  app.add_flag("-v,--verbose", common.verbose, "Debug messages on stderr");
  app.fallthrough();

  TrainOptions train;
  ValidateOptions validate;
  GradcheckOptions gradcheck;
  CLI::App* train_cmd = setup_train(app, train);
  CLI::App* validate_cmd = setup_validate(app, validate);
  CLI::App* gradcheck_cmd = setup_gradcheck(app, gradcheck);
  SweepOptions sweep;
  SummarizeOptions summarize;
  CLI::App* sweep_cmd = setup_sweep(app, sweep);
  CLI::App* summarize_cmd = setup_summarize(app, summarize);
  ProbeCommandOptions probe;
  CLI::App* probe_cmd = setup_probe(app, probe);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kBadInput;
  }
  setup_logging(common);
  if (train_cmd->parsed()) return run_train(train, common, argc, argv);
  if (validate_cmd->parsed()) return run_validate(validate);
  if (gradcheck_cmd->parsed()) return run_gradcheck(gradcheck);
  if (sweep_cmd->parsed()) return run_sweep(sweep, common, argv[0]);
  if (summarize_cmd->parsed()) return run_summarize(summarize);
  if (probe_cmd->parsed()) return run_probe_command(probe, argc, argv);
  return kBadInput;
}
