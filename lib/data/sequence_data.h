// Built-in sequence tasks for recurrent nets (seeded, no downloads) and character-level text.
// A sequence set holds one matrix per time step with one column per sequence; the steps that
// carry a target are the same for every sequence of a task.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/tensor.h"

namespace nnlab {

// Made from a DataConfig (whose defaults are the key table's); fields start zeroed.
struct SequenceDataConfig {
  DataKind task = DataKind::adding;  // adding, copy, temporal_order, sine or text
  int length{};             // T: time steps per sequence (adding, temporal_order, sine, text);
                            // copy: the delay between the pattern and its recall
  int train_size{};         // sequences
  int test_size{};          // sequences
  double noise{};           // sine only: N(0, noise^2) added to the inputs
  int pattern_length{};     // copy only: symbols to remember
  int symbols{};            // copy only: alphabet size (excluding the blank and the go marker)
  std::string path;         // text only: the text file (absolute)
  double test_fraction{};   // text only: the last fraction of the text is the test split
};

// A split as generated, in double (base/tensor.h); converted to the model's type for training.
using SequenceSplit = Sequences<double>;

struct SequenceDataset {
  Task task = Task::regression;
  int num_classes = 0;  // classification: per-step classes
  int features = 0;
  int targets = 0;      // regression: values per target step
  std::vector<std::string> class_names;
  SequenceSplit train, test;
  // The test metric of a trivial predictor, for eval.csv and the README: adding: MSE of always
  // answering 1 (about 1/6); copy: 1/symbols (a random guess at the recall steps); text:
  // accuracy of always predicting the most frequent training byte; temporal_order: 1/4
  // (chance); sine: MSE of predicting the current value. On the test split (the training split
  // when there is no test split).
  double baseline = 0;
  std::string baseline_name;  // e.g. "mse_predict_1"
};

SequenceDataset make_sequence_dataset(const SequenceDataConfig& config, std::uint64_t seed);

}  // namespace nnlab
