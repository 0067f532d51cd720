// Data sets: the built-in seeded generators and the CSV loader, both producing one Dataset with a
// training and a test split. Samples are columns, as everywhere in nnlab.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "tensor.h"

namespace nnlab {

struct Dataset {
  Task task = Task::classification;
  int num_classes = 0;                   // classification: >= 2; regression: 0
  std::vector<std::string> feature_names;
  std::vector<std::string> class_names;  // classification: one per class index
  Mat<double> x_train;                   // (features, N_train)
  Mat<double> y_train;                   // classification: (1, N_train) class indices 0..K-1;
                                         // regression: (targets, N_train)
  Mat<double> x_test;                    // (features, N_test)
  Mat<double> y_test;                    // as y_train, N_test columns
  std::vector<std::string> warnings;     // what a user should know (app/ prints them)

  int features() const { return static_cast<int>(x_train.rows()); }
  int targets() const { return static_cast<int>(y_train.rows()); }
};

// Builds the data set a config asks for, drawing from `seed` (the data stream's seed).
// A CSV that cannot be read or parsed throws ConfigError naming the data.* key at fault.
Dataset make_dataset(const DataConfig& config, std::uint64_t seed);

// The bytes of a data file (data.path); a missing, unreadable or directory path throws
// ConfigError on "data.path".
std::string read_data_file(const std::string& path);

// The task and number of classes a built-in generator produces, known without generating it.
// For csv, both are known only after loading; returns false.
bool generator_task(const DataConfig& config, Task& task, int& num_classes);

}  // namespace nnlab
