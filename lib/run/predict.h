// Applying a trained run to data: loads RUN_DIR's config.json and weights.json, rebuilds its
// model in the run's dtype, and computes the model's outputs (class probabilities or values) on
// the run's own splits, on the features of a CSV file, or on a grid over a 2-D input range.
// MLP runs only: recurrent runs (sequence tasks) are refused with a ConfigError.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/tensor.h"

namespace nnlab {

enum class PredictSource {
  train,  // the run's training split, in the order training used (data_train.csv's)
  both,   // the training split, then the test split
  file,   // the feature columns of a CSV file (standardised as the training data was)
  grid,   // an N x N grid over the training features' range (2-D tasks), 5% margin each side
};

struct PredictRequest {
  PredictSource source = PredictSource::train;
  std::filesystem::path data;  // PredictSource::file
  int grid = 100;              // PredictSource::grid: points per axis, >= 2
};

struct PredictSplit {
  std::string name;            // "train", "test", the file's path, or "grid"
  Mat<double> x;               // (features, N) in the data's own units (before standardisation)
  Mat<double> outputs;         // classification: (classes, N) probabilities; regression:
                               // (targets, N) values
  std::vector<int> predicted;  // classification: the predicted class index per sample
  Mat<double> y;               // the run's own splits: (1, N) class indices or (targets, N)
                               // values; empty otherwise
  double loss = 0, accuracy = 0;  // own splits: the model's evaluation (trainer's evaluate())
};

struct Predictions {
  Task task = Task::classification;
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;  // classification: per class index
  std::vector<PredictSplit> splits;
};

// Throws ConfigError for a run directory that is not one (no config.json or weights.json), a
// recurrent run, a grid for a task without exactly 2 features; DataError for a CSV whose
// columns are not the run's features (names and order; a "target" column or the training
// target's column is ignored).
Predictions predict_run(const std::filesystem::path& run_dir, const PredictRequest& request);

// The predictions as CSV: the features, then `split` (with several splits) and `target` (own
// splits), then p_0..p_{K-1}, `predicted` and `predicted_label` (classification) or
// prediction (prediction1.. for several targets). Numbers in shortest round-trip form.
std::string predictions_csv(const Predictions& predictions);

}  // namespace nnlab
