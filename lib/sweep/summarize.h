// `nnlab summarize`: one CSV row per run directory under a directory (a sweep's, or any), with the
// config keys that vary, the final figures from summary.json and gradient-norm figures streamed
// from grad_norms.csv. The columns are a contract (README "Sweeps"):
//   run, label, <key columns>, seed, status, steps, epochs, train_loss, train_accuracy, test_loss,
//   test_accuracy, layers, first_layer_grad, last_layer_grad, first_layer_delta,
//   last_layer_delta, first_layer_grad_end, last_layer_grad_end, wall_time_seconds
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnlab {

// Figures of one grad_norms.csv. "W" is the layer's weight matrix (W_ih for a recurrent layer);
// means are over the first (or, for *_end, the last) `window` logged steps that have the row.
struct GradNormFigures {
  int layers = 0;                 // the highest layer number (depth + 1); 0 without rows
  std::size_t logged_steps = 0;
  std::optional<double> first_layer_grad, last_layer_grad;
  std::optional<double> first_layer_delta, last_layer_delta;
  std::optional<double> first_layer_grad_end, last_layer_grad_end;
};

// Reads grad_norms.csv in one pass, keeping only `window` steps in memory. Throws IoError when
// the file cannot be read or its header lacks step, layer, param or grad_norm.
GradNormFigures grad_norm_figures(const std::filesystem::path& csv, int window);

// Directories at or under `dir` holding both config.json and summary.json, sorted by their path
// relative to `dir` ("." for `dir` itself).
std::vector<std::filesystem::path> find_run_dirs(const std::filesystem::path& dir);

struct SummaryTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // fields as text; "" = not applicable
  std::vector<std::string> warnings;           // runs skipped (unreadable files)
};

// The table for every run under `dir`. Key columns: the keys of dir/manifest.json (a sweep's, in
// sweep order), then every other config key whose value differs between the runs (sorted);
// never "seed", which has its own column, nor "label" (the second column: config.json's label).
// Rows are sorted by the key columns (numbers by value), then seed, then path. Throws IoError
// when `dir` is not a directory.
SummaryTable summarize(const std::filesystem::path& dir, int window);

// The value at a dotted config path (numeric segments index arrays), or nullptr.
const nlohmann::json* at_path(const nlohmann::json& doc, const std::string& path);

// RFC 4180 CSV: fields holding a comma, a quote or a line break are quoted.
std::string to_csv(const SummaryTable& table);

}  // namespace nnlab
