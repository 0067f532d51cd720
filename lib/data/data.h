// Data sets: the built-in seeded generators and the CSV loader, both producing one Dataset with a
// training and a test split. Samples are columns, as everywhere in nnlab.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/tensor.h"

namespace nnlab {

struct Dataset {
  Task task = Task::classification;
  int num_classes = 0;                   // classification: >= 2; regression: 0
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;  // classification: one per class index
  std::string target_name;               // CSV data: the target column's name
  Mat<double> x_train;                   // (features, N_train)
  Mat<double> y_train;                   // classification: (1, N_train) class indices 0..K-1;
                                         // regression: (targets, N_train)
  Mat<double> x_test;                    // (features, N_test)
  Mat<double> y_test;                    // as y_train, N_test columns
  std::vector<std::string> warnings;     // what a user should know (app/ prints them)

  int features() const { return static_cast<int>(x_train.rows()); }
  int targets() const { return static_cast<int>(y_train.rows()); }
};

// The training split's standardisation (data.standardize): per feature, x -> (x - mean) / scale.
struct FeatureScaling {
  Vec<double> mean, scale;  // (features)
  void apply(Mat<double>& x) const;
};
FeatureScaling feature_scaling(const Mat<double>& x_train);

// The feature columns of a CSV file as (features, N), in the order of `feature_names`. The file
// must have every one of them, in that order; other columns are refused (DataError) unless
// named in `ignored` (a target column).
Mat<double> read_features(const std::string& path, const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& ignored);

// Builds the data set a config asks for, drawing from `seed` (the data stream's seed).
// A CSV that cannot be read or parsed throws ConfigError naming the data.* key at fault.
Dataset make_dataset(const DataConfig& config, std::uint64_t seed);

// The bytes of a data file (data.path); a missing, unreadable or directory path throws
// ConfigError on "data.path".
std::string read_data_file(const std::string& path);

}  // namespace nnlab
