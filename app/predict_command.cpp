// nnlab predict: flags, then lib/run/predict, then the CSV and a line per split on stderr.
#include "predict_command.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "base/errors.h"
#include "base/files.h"
#include "run/predict.h"

namespace nnlab::cli {

CLI::App* setup_predict(CLI::App& app, PredictOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Apply a trained MLP run to data: predictions as CSV (probabilities and class, or values) "
      "for the run's training split (default), a CSV of its features, or a grid over a 2-D "
      "task's inputs");
  cmd->add_option("run_dir", options.run_dir, "A finished run directory (config.json, weights.json)")
      ->required();
  CLI::Option* data = cmd->add_option(
      "data", options.data,
      "CSV with the training features' columns (same names and order; a target column is "
      "ignored), standardised as the training data was");
  CLI::Option* grid = cmd->add_option("--grid", options.grid,
                                      "An N x N grid over the training inputs' range (2-D tasks)")
                          ->expected(0, 1)
                          ->default_str("100")
                          ->type_name("[N]");
  CLI::Option* both = cmd->add_flag("--both", options.both,
                                    "The run's own data: the test split after the training split");
  grid->excludes(data);
  both->excludes(data)->excludes(grid);
  refuse_empty(cmd->add_option("--out", options.out, "Write the CSV to FILE (default: stdout)"))
      ->type_name("FILE");
  cmd->footer(kExitCodesHelp);
  return cmd;
}

int run_predict(const PredictOptions& options) {
  return guarded([&] {
    PredictRequest request;
    if (!options.data.empty()) {
      request.source = PredictSource::file;
      request.data = options.data;
    } else if (options.grid != 0) {
      request.source = PredictSource::grid;
      request.grid = options.grid;
    } else {
      request.source = options.both ? PredictSource::both : PredictSource::train;
    }
    const Predictions p = predict_run(options.run_dir, request);
    const std::string csv = predictions_csv(p);
    if (options.out.empty()) {
      std::fwrite(csv.data(), 1, csv.size(), stdout);
      if (std::fflush(stdout) != 0) throw IoError("cannot write the predictions to stdout");
    } else if (std::error_code ec; std::filesystem::exists(options.out, ec) &&
                                   !std::filesystem::is_regular_file(options.out, ec)) {
      // A device or pipe (/dev/stdout, a FIFO) is written into, never renamed over.
      std::ofstream out(options.out, std::ios::binary);
      if (!(out << csv) || !out.flush()) throw IoError("cannot write " + options.out);
    } else {
      write_file_atomic(options.out, csv);
    }
    for (const PredictSplit& s : p.splits) {
      if (s.y.size() == 0) {
        spdlog::info("{}: {} predictions", s.name, s.x.cols());
      } else if (p.task == Task::classification) {
        spdlog::info("{}: {} samples, loss {:.17g}, accuracy {:.17g}", s.name, s.x.cols(), s.loss,
                     s.accuracy);
      } else {
        spdlog::info("{}: {} samples, loss {:.17g}", s.name, s.x.cols(), s.loss);
      }
    }
    return static_cast<int>(kCompleted);
  });
}

}  // namespace nnlab::cli
