// The sequence tasks for recurrent nets: adding, copy, temporal order and sine drawn from one
// seeded stream (training sequences first, then test), and character-level text cut from a file
// in order. Feature layouts, class indices and baselines are documented per task below.
#include "data/sequence_data.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "data/data.h"
#include "base/errors.h"
#include "base/rng.h"

namespace nnlab {

namespace {

// An empty split of `steps` steps: x[t] is (features, n) zeros; y[t] is (rows, n) at the steps
// in `targeted`, (rows, 0) elsewhere.
SequenceSplit empty_split(int steps, int features, int rows, int n,
                          const std::vector<bool>& targeted) {
  SequenceSplit s;
  for (int t = 0; t < steps; ++t) {
    s.x.push_back(Mat<double>::Zero(features, n));
    s.y.push_back(Mat<double>::Zero(rows, targeted[static_cast<std::size_t>(t)] ? n : 0));
  }
  return s;
}

std::vector<bool> only_last(int steps) {
  std::vector<bool> targeted(static_cast<std::size_t>(steps), false);
  targeted.back() = true;
  return targeted;
}

// The split a baseline is measured on: the test split, or the training split when there is no
// test split (test_size 0), so that the number is still defined.
const SequenceSplit& baseline_split(const SequenceDataset& d) {
  return d.test.size() > 0 ? d.test : d.train;
}

void require_length(const SequenceDataConfig& config, int minimum, const std::string& why) {
  if (config.length < minimum)
    throw ConfigError("data.length", "must be at least " + std::to_string(minimum) + " for " + why +
                                         "; got " + std::to_string(config.length));
}

// ---- adding --------------------------------------------------------------------------------
// Features (2): row 0 the value ~ U[0, 1), row 1 the marker (1.0 at the two marked steps, else
// 0.0). One marked step uniform in [0, T/2), the other uniform in [T/2, T) (T/2 rounded down).
// Regression, one value, at the last step only: the sum of the two marked values.
// Draws per sequence: T values in step order, then the first position, then the second.

void fill_adding(int length, Rng& rng, SequenceSplit& s) {
  const int half = length / 2;
  const auto last = static_cast<std::size_t>(length - 1);
  for (int i = 0; i < s.size(); ++i) {
    for (auto& x : s.x) x(0, i) = rng.uniform();
    const auto first = static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(half)));
    const auto second = static_cast<std::size_t>(
        half + static_cast<int>(rng.below(static_cast<std::uint64_t>(length - half))));
    s.x[first](1, i) = 1.0;
    s.x[second](1, i) = 1.0;
    s.y[last](0, i) = s.x[first](0, i) + s.x[second](0, i);
  }
}

void make_adding(const SequenceDataConfig& config, Rng& rng, SequenceDataset& d) {
  require_length(config, 2, "the adding task (one marked step in each half)");
  const int steps = config.length;
  d.task = Task::regression;
  d.features = 2;
  d.targets = 1;
  for (auto [split, n] : {std::pair{&d.train, config.train_size}, {&d.test, config.test_size}}) {
    *split = empty_split(steps, 2, 1, n, only_last(steps));
    fill_adding(steps, rng, *split);
  }
  // The sum of two U[0,1) values has mean 1 and variance 1/6, so answering 1 scores about 1/6.
  const Mat<double>& y = baseline_split(d).y.back();
  d.baseline = y.size() > 0 ? (y.array() - 1.0).square().mean() : 0.0;
  d.baseline_name = "mse_predict_1";
}

// ---- copy ----------------------------------------------------------------------------------
// With P = pattern_length, D = length (the delay) and S = symbols, a sequence has 2P + D steps:
// P data symbols, then D blanks of which the last is the go marker, then P blanks.
// Input features (S + 2, one-hot): 0 … S-1 the data symbols, S blank, S + 1 go.
// Classes (S + 1): 0 … S-1 the data symbols, S blank. Targets only at the last P steps (the
// recall steps), where they are the pattern; every other step has none. nnlab's accuracy is then
// the recall accuracy, and the blank class, kept for the task's usual output alphabet, is never a
// target. Draws per sequence: the P pattern symbols.

void make_copy(const SequenceDataConfig& config, Rng& rng, SequenceDataset& d) {
  if (config.pattern_length < 1)
    throw ConfigError("data.pattern_length",
                      "must be at least 1; got " + std::to_string(config.pattern_length));
  if (config.symbols < 2)
    throw ConfigError("data.symbols", "must be at least 2; got " + std::to_string(config.symbols));
  require_length(config, 1, "the copy task (the go marker takes the last step of the delay)");
  const int p = config.pattern_length, delay = config.length, symbols = config.symbols;
  const int blank = symbols, go = symbols + 1;
  const int steps = 2 * p + delay;
  d.task = Task::classification;
  d.features = symbols + 2;
  d.num_classes = symbols + 1;
  d.targets = 1;
  for (int c = 0; c < symbols; ++c) d.class_names.push_back(std::to_string(c));
  d.class_names.push_back("blank");
  std::vector<bool> targeted(static_cast<std::size_t>(steps), false);
  for (int t = p + delay; t < steps; ++t) targeted[static_cast<std::size_t>(t)] = true;
  for (auto [split, n] : {std::pair{&d.train, config.train_size}, {&d.test, config.test_size}}) {
    SequenceSplit& s = *split = empty_split(steps, d.features, 1, n, targeted);
    for (int i = 0; i < n; ++i) {
      for (int t = 0; t < p; ++t) {
        const int symbol = static_cast<int>(rng.below(static_cast<std::uint64_t>(symbols)));
        s.x[static_cast<std::size_t>(t)](symbol, i) = 1.0;
        s.y[static_cast<std::size_t>(p + delay + t)](0, i) = symbol;
      }
      for (int t = p; t < steps; ++t)
        s.x[static_cast<std::size_t>(t)](t == p + delay - 1 ? go : blank, i) = 1.0;
    }
  }
  // Not "always blank": with a target at every step that would score (P + D) / (2P + D), high
  // and meaningless; at the recall steps it scores 0, and the most frequent symbol only a little
  // over chance. The honest reference is a uniform guess among the S data symbols: 1/S.
  d.baseline = 1.0 / symbols;
  d.baseline_name = "recall_chance";
}

// ---- temporal_order ------------------------------------------------------------------------
// Features (6, one-hot): 0 X, 1 Y (the relevant symbols), 2 … 5 the distractors a, b, c, d.
// X or Y at t1 in [⌊T/10⌋, ⌊T/5⌋) and at t2 in [⌊T/2⌋, ⌊6T/10⌋) (each range widened to its
// first step when empty, so any T >= 2 works); a uniform distractor at every other step.
// Classes (4), at the last step only: XX 0, XY 1, YX 2, YY 3 (= 2 * first + second, X = 0).
// Draws per sequence: t1, t2, the first symbol, the second, then the distractors in step order.

void make_temporal_order(const SequenceDataConfig& config, Rng& rng, SequenceDataset& d) {
  require_length(config, 2, "the temporal order task (two relevant steps)");
  const int steps = config.length;
  const int lo1 = steps / 10, hi1 = std::max(lo1 + 1, steps / 5);
  const int lo2 = steps / 2, hi2 = std::max(lo2 + 1, 6 * steps / 10);
  d.task = Task::classification;
  d.features = 6;
  d.num_classes = 4;
  d.targets = 1;
  d.class_names = {"XX", "XY", "YX", "YY"};
  for (auto [split, n] : {std::pair{&d.train, config.train_size}, {&d.test, config.test_size}}) {
    SequenceSplit& s = *split = empty_split(steps, 6, 1, n, only_last(steps));
    for (int i = 0; i < n; ++i) {
      const int t1 = lo1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(hi1 - lo1)));
      const int t2 = lo2 + static_cast<int>(rng.below(static_cast<std::uint64_t>(hi2 - lo2)));
      const int first = static_cast<int>(rng.below(2));
      const int second = static_cast<int>(rng.below(2));
      for (int t = 0; t < steps; ++t) {
        const int symbol = t == t1 ? first : t == t2 ? second : 2 + static_cast<int>(rng.below(4));
        s.x[static_cast<std::size_t>(t)](symbol, i) = 1.0;
      }
      s.y.back()(0, i) = 2 * first + second;
    }
  }
  d.baseline = 0.25;
  d.baseline_name = "chance";
}

// ---- sine ----------------------------------------------------------------------------------
// Next-step prediction. Per sequence s_t = sin(ω t + φ), t = 0 … T, ω ~ U[0.1, 0.5) rad/step,
// φ ~ U[0, 2π). Feature (1): s_t + noise·N(0,1), t = 0 … T-1. Regression, one value, at every
// step: the clean s_{t+1}. Draws per sequence: ω, φ, then T normals (drawn even when noise is 0,
// so noise only scales).

void make_sine(const SequenceDataConfig& config, Rng& rng, SequenceDataset& d) {
  require_length(config, 1, "the sine task");
  if (!(config.noise >= 0))
    throw ConfigError("data.noise", "must be >= 0; got " + std::to_string(config.noise));
  const int steps = config.length;
  d.task = Task::regression;
  d.features = 1;
  d.targets = 1;
  const std::vector<bool> every(static_cast<std::size_t>(steps), true);
  // The baseline predicts "no change": the clean current value s_t as s_{t+1}, at every step.
  std::array<double, 2> squared_change{};  // summed (s_{t+1} - s_t)^2: train, test
  int which = 0;
  for (auto [split, n] : {std::pair{&d.train, config.train_size}, {&d.test, config.test_size}}) {
    SequenceSplit& s = *split = empty_split(steps, 1, 1, n, every);
    for (int i = 0; i < n; ++i) {
      const double omega = rng.uniform(0.1, 0.5);
      const double phi = rng.uniform(0.0, 2.0 * std::numbers::pi);
      for (int t = 0; t < steps; ++t) {
        const auto step = static_cast<std::size_t>(t);
        const double current = std::sin(omega * t + phi);
        s.x[step](0, i) = current + config.noise * rng.normal();
        s.y[step](0, i) = std::sin(omega * (t + 1) + phi);
        squared_change[static_cast<std::size_t>(which)] += std::pow(s.y[step](0, i) - current, 2);
      }
    }
    ++which;
  }
  const bool on_test = d.test.size() > 0;
  const double count = static_cast<double>(steps) * (on_test ? d.test.size() : d.train.size());
  d.baseline = count > 0 ? squared_change[on_test ? 1 : 0] / count : 0.0;
  d.baseline_name = "mse_predict_current";
}

// ---- text ----------------------------------------------------------------------------------
// Character-level language modelling over BYTES: the file is read as raw bytes and each byte is
// one symbol (a UTF-8 character outside ASCII is several symbols). Vocabulary: the sorted
// distinct bytes of the whole file; features and classes are both its indices (one-hot inputs).
// The first (1 - test_fraction) of the file is the training text, the rest (round(n ×
// test_fraction) bytes) the test text. Each is cut from its start into as many non-overlapping
// windows of length + 1 bytes as fit: inputs are the first `length` bytes, the target of every
// step is the byte after its input. Sequence k+1 starts right after sequence k's last target.
// train_size / test_size > 0 keep only the first so many sequences.
// The sequences are kept in text order, never randomised: consecutive sequences are consecutive
// text, which a recurrent net run over the text in order (carrying its state from one truncated-
// BPTT chunk to the next) can use; and the test text stays a later stretch that training never
// saw. The seed is not used: the same file gives the same data.

std::string read_bytes(const std::string& path) {
  if (path.empty()) throw ConfigError("data.path", "required for the text task");
  return read_data_file(path);
}

// A byte as a printable name: itself for printable ASCII, "\n", "\t", "\r" and "\\" for those,
// "\xNN" for every other byte (other control characters and the bytes of non-ASCII UTF-8, which
// are not valid UTF-8 on their own).
std::string byte_name(unsigned char b) {
  switch (b) {
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    case '\r':
      return "\\r";
    case '\\':
      return "\\\\";
    default:
      break;
  }
  if (b >= 0x20 && b < 0x7f) return std::string(1, static_cast<char>(b));
  char buffer[5];
  std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(b));
  return buffer;
}

SequenceSplit cut_text(std::string_view text, int length, int cap, int vocabulary,
                       const std::array<int, 256>& index) {
  const std::size_t window = static_cast<std::size_t>(length) + 1;
  int n = static_cast<int>(std::min<std::size_t>(text.size() / window, 10'000'000));
  if (cap > 0) n = std::min(n, cap);
  SequenceSplit s = empty_split(length, vocabulary, 1, n,
                                std::vector<bool>(static_cast<std::size_t>(length), true));
  for (int i = 0; i < n; ++i) {
    const std::size_t start = static_cast<std::size_t>(i) * window;
    for (int t = 0; t < length; ++t) {
      const std::size_t at = start + static_cast<std::size_t>(t);
      const auto step = static_cast<std::size_t>(t);
      s.x[step](index[static_cast<unsigned char>(text[at])], i) = 1.0;
      s.y[step](0, i) = index[static_cast<unsigned char>(text[at + 1])];
    }
  }
  return s;
}

void make_text(const SequenceDataConfig& config, SequenceDataset& d) {
  if (!(config.test_fraction >= 0.0 && config.test_fraction < 1.0))
    throw ConfigError("data.test_fraction",
                      "must be in [0, 1); got " + std::to_string(config.test_fraction));
  require_length(config, 1, "the text task");
  const std::string text = read_bytes(config.path);
  if (text.empty()) throw ConfigError("data.path", config.path + ": the file is empty");

  std::array<bool, 256> present{};
  for (unsigned char c : text) present[c] = true;
  std::array<int, 256> index{};
  index.fill(-1);
  for (int b = 0; b < 256; ++b) {
    if (!present[static_cast<std::size_t>(b)]) continue;
    index[static_cast<std::size_t>(b)] = static_cast<int>(d.class_names.size());
    d.class_names.push_back(byte_name(static_cast<unsigned char>(b)));
  }
  const int vocabulary = static_cast<int>(d.class_names.size());
  d.task = Task::classification;
  d.features = vocabulary;
  d.num_classes = vocabulary;
  d.targets = 1;

  const std::size_t n_test = static_cast<std::size_t>(
      std::llround(static_cast<double>(text.size()) * config.test_fraction));
  const std::size_t n_train = text.size() - n_test;
  const std::string_view all(text);
  const std::size_t window = static_cast<std::size_t>(config.length) + 1;
  if (n_train < window)
    throw ConfigError(
        n_test > 0 && text.size() >= window ? "data.test_fraction" : "data.length",
        config.path + ": the training text (" + std::to_string(n_train) + " of " +
            std::to_string(text.size()) + " bytes; data.test_fraction takes the rest) is too "
            "short for one sequence of length + 1 = " + std::to_string(window) +
            " bytes; lower data.test_fraction or data.length, or use a longer text");
  if (n_test > 0 && n_test < window)
    throw ConfigError(
        "data.length",
        config.path + ": the test text (" + std::to_string(n_test) +
            " bytes) is too short for one sequence of length + 1 = " + std::to_string(window) +
            " bytes; lower data.length, raise data.test_fraction or set it to 0");
  d.train = cut_text(all.substr(0, n_train), config.length, config.train_size, vocabulary, index);
  d.test = cut_text(all.substr(n_train), config.length, config.test_size, vocabulary, index);

  // The most frequent target of the training split (the smallest index on a tie), and how often
  // it is right on the baseline split.
  std::vector<long> counts(static_cast<std::size_t>(vocabulary), 0);
  for (const auto& y : d.train.y)
    for (Eigen::Index i = 0; i < y.cols(); ++i) ++counts[static_cast<std::size_t>(y(0, i))];
  const auto mode =
      static_cast<double>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  long hits = 0, total = 0;
  for (const auto& y : baseline_split(d).y) {
    hits += (y.array() == mode).count();
    total += y.size();
  }
  d.baseline = total > 0 ? static_cast<double>(hits) / static_cast<double>(total) : 0.0;
  d.baseline_name = "accuracy_most_frequent";
}

}  // namespace

SequenceDataset make_sequence_dataset(const SequenceDataConfig& config, std::uint64_t seed) {
  if (config.train_size < 0)
    throw ConfigError("data.train_size", "must be >= 0; got " + std::to_string(config.train_size));
  if (config.test_size < 0)
    throw ConfigError("data.test_size", "must be >= 0; got " + std::to_string(config.test_size));
  SequenceDataset d;
  Rng rng(seed);
  switch (config.task) {
    case DataKind::adding:
      make_adding(config, rng, d);
      break;
    case DataKind::copy:
      make_copy(config, rng, d);
      break;
    case DataKind::temporal_order:
      make_temporal_order(config, rng, d);
      break;
    case DataKind::sine:
      make_sine(config, rng, d);
      break;
    case DataKind::text:
      make_text(config, d);
      break;
    case DataKind::xor_:
    case DataKind::circles:
    case DataKind::moons:
    case DataKind::spirals:
    case DataKind::blobs:
    case DataKind::csv:
      throw std::invalid_argument("make_sequence_dataset: " + std::string(name_of(config.task)) +
                                  " is not a sequence task");
  }
  return d;
}

}  // namespace nnlab
