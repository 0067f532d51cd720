// nnlab's command line: `train`, `validate`, `gradcheck`, `sweep`, `summarize` and the key
// table's `explain`, `docs`, `schema` and `completion` subcommands.
// Each is a trio of an options struct, a setup function that declares its flags and a run
// function; main wires them and maps errors to exit codes (see cli.h).
#include <fcntl.h>

#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli.h"
#include "cli_hints.h"
#include "config_commands.h"
#include "commands.h"
#include "diagnose_command.h"
#include "predict_command.h"
#include "probe_command.h"
#include "sweep_commands.h"
#include "lab_command.h"
#include "base/version.h"

int main(int argc, char** argv) {
  using namespace nnlab::cli;
  // A closed stdin/stdout/stderr (`2>&-`) would hand its number to the next file opened, and log
  // lines would land in a CSV file: keep 0-2 taken, by /dev/null.
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
      return kRuntimeError;
  CLI::App app{"nnlab: train neural networks from a JSON config and log how gradients flow"};
  app.set_version_flag("--version", std::string("nnlab ") + nnlab::kVersion + " (" + nnlab::kCommit + ")");
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
  ExplainOptions explain;
  SchemaOptions schema;
  CompletionOptions completion;
  CLI::App* explain_cmd = setup_explain(app, explain);
  CLI::App* docs_cmd = setup_docs(app);
  CLI::App* schema_cmd = setup_schema(app, schema);
  CLI::App* completion_cmd = setup_completion(app, completion);
  DiagnoseOptions diagnose;
  CLI::App* diagnose_cmd = setup_diagnose(app, diagnose);
  LabOptions lab;
  CLI::App* lab_cmd = setup_lab(app, lab);
  PredictOptions predict;
  CLI::App* predict_cmd = setup_predict(app, predict);
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
    return report_command_line_error(app, e, argc, argv);
  }
  setup_logging(common);
  if (train_cmd->parsed()) return run_train(train, common, argc, argv);
  if (validate_cmd->parsed()) return run_validate(validate);
  if (gradcheck_cmd->parsed()) return run_gradcheck(gradcheck);
  if (sweep_cmd->parsed()) return run_sweep(sweep, common, argv[0]);
  if (summarize_cmd->parsed()) return run_summarize(summarize);
  if (explain_cmd->parsed()) return run_explain(explain);
  if (docs_cmd->parsed()) return run_docs();
  if (schema_cmd->parsed()) return run_schema(schema);
  if (completion_cmd->parsed()) return run_completion(completion, app);
  if (diagnose_cmd->parsed()) return run_diagnose(diagnose);
  if (lab_cmd->parsed()) return run_lab(lab, common, argv[0]);
  if (predict_cmd->parsed()) return run_predict(predict);
  if (probe_cmd->parsed()) return run_probe_command(probe, argc, argv);
  return kBadInput;
}
