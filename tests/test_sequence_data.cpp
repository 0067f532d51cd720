// Tests of lib/data/sequence_data: per task the shapes, which steps carry targets, one-hot inputs,
// the task's rule (adding sums, copy recall, temporal order labels, sine's next sample, text's
// consecutive bytes), determinism, the documented baselines, and the text task's errors.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "base/errors.h"
#include "data/sequence_data.h"

using namespace nnlab;

namespace {

const std::string kShippedText = std::string(NNLAB_SOURCE_DIR) + "/data/text/us_constitution.txt";

SequenceDataConfig task_config(DataKind task, int length, int train = 64, int test = 32) {
  SequenceDataConfig c;
  c.task = task;
  c.length = length;
  c.train_size = train;
  c.test_size = test;
  c.pattern_length = 5;
  c.symbols = 8;
  return c;
}

bool same_split(const SequenceSplit& a, const SequenceSplit& b) {
  if (a.x.size() != b.x.size() || a.y.size() != b.y.size()) return false;
  for (std::size_t t = 0; t < a.x.size(); ++t) {
    if (a.x[t].rows() != b.x[t].rows() || a.x[t].cols() != b.x[t].cols() || a.x[t] != b.x[t])
      return false;
    if (a.y[t].rows() != b.y[t].rows() || a.y[t].cols() != b.y[t].cols() || a.y[t] != b.y[t])
      return false;
  }
  return true;
}

bool same_data(const SequenceDataset& a, const SequenceDataset& b) {
  return same_split(a.train, b.train) && same_split(a.test, b.test) && a.baseline == b.baseline;
}

// Every x[t] has `features` rows and n columns; y[t] has one row and n columns exactly at the
// steps in `targeted`, none elsewhere.
void check_shapes(const SequenceSplit& s, int steps, int features, int n,
                  const std::vector<int>& targeted) {
  REQUIRE(s.steps() == steps);
  REQUIRE(s.y.size() == s.x.size());
  CHECK(s.size() == n);
  for (int t = 0; t < steps; ++t) {
    CAPTURE(t);
    const auto step = static_cast<std::size_t>(t);
    CHECK(s.x[step].rows() == features);
    CHECK(s.x[step].cols() == n);
    CHECK(s.y[step].rows() == 1);
    const bool has = std::find(targeted.begin(), targeted.end(), t) != targeted.end();
    CHECK(s.y[step].cols() == (has ? n : 0));
  }
}

std::vector<int> step_range(int from, int to) {
  std::vector<int> steps;
  for (int t = from; t < to; ++t) steps.push_back(t);
  return steps;
}

// The index of the 1 in a one-hot column; fails the test when the column is not one-hot.
int hot(const Mat<double>& x, Eigen::Index i) {
  int index = -1, ones = 0;
  for (Eigen::Index f = 0; f < x.rows(); ++f) {
    const double v = x(f, i);
    REQUIRE((v == 0.0 || v == 1.0));
    if (v == 1.0) {
      index = static_cast<int>(f);
      ++ones;
    }
  }
  REQUIRE(ones == 1);
  return index;
}

void check_one_hot(const SequenceSplit& s) {
  for (const auto& x : s.x)
    for (Eigen::Index i = 0; i < x.cols(); ++i) hot(x, i);
}

void check_labels(const SequenceSplit& s, int classes) {
  for (const auto& y : s.y)
    for (Eigen::Index i = 0; i < y.cols(); ++i) {
      REQUIRE(y(0, i) == std::floor(y(0, i)));
      REQUIRE(y(0, i) >= 0);
      REQUIRE(y(0, i) < classes);
    }
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("nnlab_test_sequence_data_" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

SequenceDataConfig text_config(const std::string& path, int length, double test_fraction = 0.1) {
  SequenceDataConfig c;
  c.task = DataKind::text;
  c.path = path;
  c.length = length;
  c.train_size = 0;
  c.test_size = 0;
  c.test_fraction = test_fraction;
  return c;
}

}  // namespace

TEST_CASE("sequence_data: adding") {
  const int steps = 20;
  const SequenceDataset d = make_sequence_dataset(task_config(DataKind::adding, steps), 11);

  SUBCASE("shapes: two features, one value at the last step only") {
    CHECK(d.task == Task::regression);
    CHECK(d.features == 2);
    CHECK(d.targets == 1);
    CHECK(d.num_classes == 0);
    check_shapes(d.train, steps, 2, 64, {steps - 1});
    check_shapes(d.test, steps, 2, 32, {steps - 1});
  }

  SUBCASE("values in [0, 1), one marker in each half, target = sum of the marked values") {
    for (const SequenceSplit* s : {&d.train, &d.test}) {
      for (int i = 0; i < s->size(); ++i) {
        CAPTURE(i);
        std::vector<int> marked;
        for (int t = 0; t < steps; ++t) {
          const auto& x = s->x[static_cast<std::size_t>(t)];
          CHECK(x(0, i) >= 0.0);
          CHECK(x(0, i) < 1.0);
          CHECK((x(1, i) == 0.0 || x(1, i) == 1.0));
          if (x(1, i) == 1.0) marked.push_back(t);
        }
        REQUIRE(marked.size() == 2);
        CHECK(marked[0] < steps / 2);
        CHECK(marked[1] >= steps / 2);
        const double sum = s->x[static_cast<std::size_t>(marked[0])](0, i) +
                           s->x[static_cast<std::size_t>(marked[1])](0, i);
        CHECK(s->y.back()(0, i) == sum);
      }
    }
  }

  SUBCASE("markers reach every step of their half") {
    const SequenceDataset big =
        make_sequence_dataset(task_config(DataKind::adding, 7, 2000, 0), 5);
    std::set<int> seen;
    for (int t = 0; t < 7; ++t)
      for (int i = 0; i < big.train.size(); ++i)
        if (big.train.x[static_cast<std::size_t>(t)](1, i) == 1.0) seen.insert(t);
    CHECK(seen.size() == 7u);  // first half [0, 3), second half [3, 7)
  }

  SUBCASE("determinism") {
    const auto config = task_config(DataKind::adding, steps);
    CHECK(same_data(d, make_sequence_dataset(config, 11)));
    CHECK_FALSE(same_data(d, make_sequence_dataset(config, 12)));
    CHECK_FALSE(same_split(d.train, d.test));
  }

  SUBCASE("baseline: MSE of answering 1 on the test set, about 1/6") {
    CHECK(d.baseline_name == "mse_predict_1");
    const Mat<double>& y = d.test.y.back();
    double total = 0;
    for (Eigen::Index i = 0; i < y.cols(); ++i) total += (y(0, i) - 1.0) * (y(0, i) - 1.0);
    CHECK(d.baseline == doctest::Approx(total / static_cast<double>(y.cols())).epsilon(1e-12));

    const SequenceDataset big =
        make_sequence_dataset(task_config(DataKind::adding, 10, 10, 5000), 3);
    CHECK(std::abs(big.baseline - 1.0 / 6.0) < 0.02);
  }

  SUBCASE("too short") {
    CHECK_THROWS_WITH_AS(make_sequence_dataset(task_config(DataKind::adding, 1), 1),
                         "data.length: must be at least 2 for the adding task (one marked step "
                         "in each half); got 1",
                         ConfigError);
  }
}

TEST_CASE("sequence_data: copy") {
  SequenceDataConfig config = task_config(DataKind::copy, 10);
  config.pattern_length = 4;
  config.symbols = 6;
  const int p = 4, delay = 10, symbols = 6, steps = 2 * p + delay;
  const int blank = symbols, go = symbols + 1;
  const SequenceDataset d = make_sequence_dataset(config, 21);

  SUBCASE("shapes: 2P + delay steps, S + 2 features, targets at the recall steps only") {
    CHECK(d.task == Task::classification);
    CHECK(d.features == symbols + 2);
    CHECK(d.num_classes == symbols + 1);
    CHECK(d.targets == 1);
    REQUIRE(d.class_names.size() == static_cast<std::size_t>(symbols + 1));
    CHECK(d.class_names[0] == "0");
    CHECK(d.class_names[static_cast<std::size_t>(blank)] == "blank");
    check_shapes(d.train, steps, symbols + 2, 64, step_range(p + delay, steps));
    check_shapes(d.test, steps, symbols + 2, 32, step_range(p + delay, steps));
  }

  SUBCASE("one-hot inputs: pattern, blanks, go at the end of the delay, blanks") {
    for (const SequenceSplit* s : {&d.train, &d.test}) {
      check_one_hot(*s);
      check_labels(*s, symbols);  // recall targets are data symbols, never blank
      for (int i = 0; i < s->size(); ++i) {
        CAPTURE(i);
        for (int t = 0; t < steps; ++t) {
          CAPTURE(t);
          const int symbol = hot(s->x[static_cast<std::size_t>(t)], i);
          if (t < p)
            CHECK(symbol < symbols);
          else if (t == p + delay - 1)
            CHECK(symbol == go);
          else
            CHECK(symbol == blank);
        }
      }
    }
  }

  SUBCASE("the recall targets are the pattern") {
    for (const SequenceSplit* s : {&d.train, &d.test})
      for (int i = 0; i < s->size(); ++i)
        for (int k = 0; k < p; ++k)
          CHECK(s->y[static_cast<std::size_t>(p + delay + k)](0, i) ==
                hot(s->x[static_cast<std::size_t>(k)], i));
  }

  SUBCASE("every symbol appears") {
    std::set<int> seen;
    for (int k = 0; k < p; ++k)
      for (int i = 0; i < d.train.size(); ++i)
        seen.insert(hot(d.train.x[static_cast<std::size_t>(k)], i));
    CHECK(seen.size() == static_cast<std::size_t>(symbols));
  }

  SUBCASE("determinism") {
    CHECK(same_data(d, make_sequence_dataset(config, 21)));
    CHECK_FALSE(same_data(d, make_sequence_dataset(config, 22)));
  }

  SUBCASE("baseline: chance of a uniform guess at the recall steps") {
    CHECK(d.baseline == doctest::Approx(1.0 / symbols));
    CHECK(d.baseline_name == "recall_chance");
  }

  SUBCASE("delay of one: the go marker right after the pattern") {
    config.length = 1;
    const SequenceDataset one = make_sequence_dataset(config, 2);
    check_shapes(one.train, 2 * p + 1, symbols + 2, 64, step_range(p + 1, 2 * p + 1));
    for (int i = 0; i < one.train.size(); ++i)
      CHECK(hot(one.train.x[static_cast<std::size_t>(p)], i) == go);
  }
}

TEST_CASE("sequence_data: temporal_order") {
  const int steps = 50;
  const SequenceDataConfig config = task_config(DataKind::temporal_order, steps, 400, 100);
  const SequenceDataset d = make_sequence_dataset(config, 31);

  SUBCASE("shapes: six one-hot features, four classes at the last step only") {
    CHECK(d.task == Task::classification);
    CHECK(d.features == 6);
    CHECK(d.num_classes == 4);
    CHECK(d.class_names == std::vector<std::string>{"XX", "XY", "YX", "YY"});
    check_shapes(d.train, steps, 6, 400, {steps - 1});
    check_shapes(d.test, steps, 6, 100, {steps - 1});
    check_one_hot(d.train);
    check_one_hot(d.test);
    check_labels(d.train, 4);
  }

  SUBCASE("X/Y at one step of [0.1T, 0.2T) and one of [0.5T, 0.6T); the label names them") {
    std::vector<int> label_counts(4, 0);
    for (const SequenceSplit* s : {&d.train, &d.test}) {
      for (int i = 0; i < s->size(); ++i) {
        CAPTURE(i);
        std::vector<int> relevant_steps, relevant;
        for (int t = 0; t < steps; ++t) {
          const int symbol = hot(s->x[static_cast<std::size_t>(t)], i);
          if (symbol < 2) {
            relevant_steps.push_back(t);
            relevant.push_back(symbol);
          }
        }
        REQUIRE(relevant.size() == 2);
        CHECK(relevant_steps[0] >= 5);
        CHECK(relevant_steps[0] < 10);
        CHECK(relevant_steps[1] >= 25);
        CHECK(relevant_steps[1] < 30);
        const int label = static_cast<int>(s->y.back()(0, i));
        CHECK(label == 2 * relevant[0] + relevant[1]);
        ++label_counts[static_cast<std::size_t>(label)];
      }
    }
    for (int count : label_counts) CHECK(count > 80);  // 500 sequences, 125 expected per class
  }

  SUBCASE("short sequences still have two distinct relevant steps") {
    for (int length : {2, 3, 5, 9}) {
      CAPTURE(length);
      const SequenceDataset small =
          make_sequence_dataset(task_config(DataKind::temporal_order, length, 50, 0), 4);
      for (int i = 0; i < small.train.size(); ++i) {
        int relevant = 0;
        for (const auto& x : small.train.x) relevant += hot(x, i) < 2;
        CHECK(relevant == 2);
      }
    }
  }

  SUBCASE("determinism") {
    CHECK(same_data(d, make_sequence_dataset(config, 31)));
    CHECK_FALSE(same_data(d, make_sequence_dataset(config, 32)));
  }

  SUBCASE("baseline") {
    CHECK(d.baseline == 0.25);
    CHECK(d.baseline_name == "chance");
  }
}

TEST_CASE("sequence_data: sine") {
  const int steps = 30;
  SequenceDataConfig config = task_config(DataKind::sine, steps);
  const SequenceDataset clean = make_sequence_dataset(config, 41);
  config.noise = 0.3;
  const SequenceDataset noisy = make_sequence_dataset(config, 41);

  SUBCASE("shapes: one feature, a target at every step") {
    CHECK(clean.task == Task::regression);
    CHECK(clean.features == 1);
    CHECK(clean.targets == 1);
    check_shapes(clean.train, steps, 1, 64, step_range(0, steps));
    check_shapes(noisy.test, steps, 1, 32, step_range(0, steps));
  }

  SUBCASE("without noise, the target of step t is the input of step t + 1") {
    for (const SequenceSplit* s : {&clean.train, &clean.test})
      for (int i = 0; i < s->size(); ++i) {
        for (int t = 0; t + 1 < steps; ++t)
          CHECK(s->y[static_cast<std::size_t>(t)](0, i) ==
                s->x[static_cast<std::size_t>(t + 1)](0, i));
        for (int t = 0; t < steps; ++t) {
          CHECK(std::abs(s->y[static_cast<std::size_t>(t)](0, i)) <= 1.0);
          // |Δ sin(ωt + φ)| <= ω < 0.5
          const double before = s->x[static_cast<std::size_t>(t)](0, i);
          CHECK(std::abs(s->y[static_cast<std::size_t>(t)](0, i) - before) < 0.5);
        }
      }
  }

  SUBCASE("noise is added to the inputs only, with the configured spread") {
    CHECK(same_split(SequenceSplit{{}, clean.train.y}, SequenceSplit{{}, noisy.train.y}));
    double total = 0, squares = 0;
    long n = 0;
    for (int i = 0; i < noisy.train.size(); ++i)
      for (int t = 1; t < steps; ++t) {
        const double e = noisy.train.x[static_cast<std::size_t>(t)](0, i) -
                         noisy.train.y[static_cast<std::size_t>(t - 1)](0, i);
        total += e;
        squares += e * e;
        ++n;
      }
    const double mean = total / static_cast<double>(n);
    CHECK(std::abs(mean) < 0.05);
    CHECK(std::sqrt(squares / static_cast<double>(n) - mean * mean) ==
          doctest::Approx(0.3).epsilon(0.05));
  }

  SUBCASE("frequencies in [0.1, 0.5) rad/step") {
    // s_{t+1} + s_{t-1} = 2 cos(ω) s_t recovers ω; use the step where |s_t| is largest.
    double lowest = 1, highest = 0;
    for (int i = 0; i < clean.train.size(); ++i) {
      int best = 1;
      for (int t = 1; t + 1 < steps; ++t)
        if (std::abs(clean.train.x[static_cast<std::size_t>(t)](0, i)) >
            std::abs(clean.train.x[static_cast<std::size_t>(best)](0, i)))
          best = t;
      const auto t = static_cast<std::size_t>(best);
      const double omega = std::acos((clean.train.y[t](0, i) + clean.train.x[t - 1](0, i)) /
                                     (2 * clean.train.x[t](0, i)));
      CHECK(omega >= 0.1 - 1e-9);
      CHECK(omega < 0.5 + 1e-9);
      lowest = std::min(lowest, omega);
      highest = std::max(highest, omega);
    }
    CHECK(lowest < 0.15);
    CHECK(highest > 0.45);
  }

  SUBCASE("determinism") {
    CHECK(same_data(noisy, make_sequence_dataset(config, 41)));
    CHECK_FALSE(same_data(noisy, make_sequence_dataset(config, 42)));
  }

  SUBCASE("baseline: MSE of predicting the clean current value, independent of the noise") {
    CHECK(clean.baseline_name == "mse_predict_current");
    double total = 0;
    for (int i = 0; i < clean.test.size(); ++i)
      for (int t = 0; t < steps; ++t) {
        const double e = clean.test.y[static_cast<std::size_t>(t)](0, i) -
                         clean.test.x[static_cast<std::size_t>(t)](0, i);
        total += e * e;
      }
    CHECK(clean.baseline == doctest::Approx(total / (steps * clean.test.size())).epsilon(1e-12));
    CHECK(noisy.baseline == doctest::Approx(clean.baseline).epsilon(1e-12));
    CHECK(clean.baseline > 0.0);
  }
}

TEST_CASE("sequence_data: text") {
  TempDir dir;

  SUBCASE("vocabulary: the sorted distinct bytes, with printable names") {
    const std::string path = dir.write("v.txt", "ba\nc\tab\\a\xc3\xa9 zzzzzzzzzzzz");
    const SequenceDataset d = make_sequence_dataset(text_config(path, 3, 0.0), 1);
    CHECK(d.task == Task::classification);
    CHECK(d.class_names == std::vector<std::string>{"\\t", "\\n", " ", "\\\\", "a", "b", "c", "z",
                                                    "\\xa9", "\\xc3"});
    CHECK(d.num_classes == 10);
    CHECK(d.features == 10);
    CHECK(d.test.size() == 0);
  }

  SUBCASE("inputs and targets are consecutive bytes of the text, in order") {
    const std::string text = read_file(kShippedText);
    REQUIRE(text.size() > 5000);
    const int length = 50;
    const SequenceDataset d = make_sequence_dataset(text_config(kShippedText, length), 1);

    std::set<unsigned char> distinct(text.begin(), text.end());
    const std::vector<unsigned char> vocabulary(distinct.begin(), distinct.end());
    REQUIRE(d.num_classes == static_cast<int>(vocabulary.size()));
    CHECK(d.features == d.num_classes);
    CHECK(d.class_names[static_cast<std::size_t>(
              std::find(vocabulary.begin(), vocabulary.end(), '\n') - vocabulary.begin())] ==
          "\\n");

    const std::size_t n_test = static_cast<std::size_t>(std::llround(text.size() * 0.1));
    const std::size_t n_train = text.size() - n_test;
    check_shapes(d.train, length, d.features, static_cast<int>(n_train / (length + 1)),
                 step_range(0, length));
    check_shapes(d.test, length, d.features, static_cast<int>(n_test / (length + 1)),
                 step_range(0, length));
    check_one_hot(d.train);
    check_labels(d.test, d.num_classes);

    auto check_split = [&](const SequenceSplit& s, std::size_t offset) {
      for (int i = 0; i < s.size(); ++i) {
        const std::size_t start = offset + static_cast<std::size_t>(i) * (length + 1);
        for (int t = 0; t < length; ++t) {
          const auto step = static_cast<std::size_t>(t);
          CHECK(vocabulary[static_cast<std::size_t>(hot(s.x[step], i))] ==
                static_cast<unsigned char>(text[start + step]));
          CHECK(vocabulary[static_cast<std::size_t>(s.y[step](0, i))] ==
                static_cast<unsigned char>(text[start + step + 1]));
        }
      }
    };
    check_split(d.train, 0);
    check_split(d.test, n_train);
  }

  SUBCASE("train_size and test_size keep the first sequences") {
    SequenceDataConfig config = text_config(kShippedText, 20);
    const SequenceDataset all = make_sequence_dataset(config, 1);
    config.train_size = 5;
    config.test_size = 3;
    const SequenceDataset capped = make_sequence_dataset(config, 1);
    REQUIRE(capped.train.size() == 5);
    REQUIRE(capped.test.size() == 3);
    for (int t = 0; t < 20; ++t) {
      const auto step = static_cast<std::size_t>(t);
      CHECK(capped.train.x[step] == all.train.x[step].leftCols(5));
      CHECK(capped.test.y[step] == all.test.y[step].leftCols(3));
    }
  }

  SUBCASE("baseline: test accuracy of the most frequent training byte") {
    const SequenceDataset d = make_sequence_dataset(text_config(kShippedText, 50), 1);
    CHECK(d.baseline_name == "accuracy_most_frequent");
    const auto space = std::find(d.class_names.begin(), d.class_names.end(), " ");
    REQUIRE(space != d.class_names.end());
    const double index = static_cast<double>(space - d.class_names.begin());
    std::vector<long> counts(static_cast<std::size_t>(d.num_classes), 0);
    for (const auto& y : d.train.y)
      for (Eigen::Index i = 0; i < y.cols(); ++i) ++counts[static_cast<std::size_t>(y(0, i))];
    CHECK(std::max_element(counts.begin(), counts.end()) - counts.begin() == index);
    long hits = 0, total = 0;
    for (const auto& y : d.test.y)
      for (Eigen::Index i = 0; i < y.cols(); ++i) {
        hits += y(0, i) == index;
        ++total;
      }
    CHECK(d.baseline == doctest::Approx(static_cast<double>(hits) / total).epsilon(1e-12));
    CHECK(d.baseline > 0.1);
    CHECK(d.baseline < 0.25);
  }

  SUBCASE("the same text whatever the seed") {
    const auto config = text_config(kShippedText, 30);
    CHECK(same_data(make_sequence_dataset(config, 1), make_sequence_dataset(config, 2)));
  }

  SUBCASE("errors") {
    const std::string missing = (dir.path / "missing.txt").string();
    CHECK_THROWS_WITH_AS(
        make_sequence_dataset(text_config(missing, 10), 1),
        ("data.path: cannot read " + missing + ": No such file or directory").c_str(), ConfigError);
    CHECK_THROWS_WITH_AS(
        make_sequence_dataset(text_config(dir.path.string(), 10), 1),
        ("data.path: cannot read " + dir.path.string() + ": is a directory").c_str(), ConfigError);
    const std::string empty = dir.write("empty.txt", "");
    CHECK_THROWS_WITH_AS(make_sequence_dataset(text_config(empty, 10), 1),
                         ("data.path: " + empty + ": the file is empty").c_str(), ConfigError);

    const std::string short_text = dir.write("short.txt", "0123456789");  // 9 train, 1 test bytes
    CHECK_THROWS_WITH_AS(make_sequence_dataset(text_config(short_text, 10), 1),
                         ("data.length: " + short_text +
                          ": the training text (9 of 10 bytes; data.test_fraction takes the rest) "
                          "is too short for one sequence of length + 1 = 11 bytes; lower "
                          "data.test_fraction or data.length, or use a longer text")
                             .c_str(),
                         ConfigError);
    try {
      make_sequence_dataset(text_config(short_text, 10), 1);
    } catch (const ConfigError& e) {
      REQUIRE(e.issues().size() == 1);
      CHECK(e.issues()[0].path == "data.length");
    }
    // 100 bytes: 90 train, 10 test; length 10 fits the training text but not the test text.
    const std::string hundred = dir.write("hundred.txt", std::string(100, 'a'));
    CHECK_THROWS_WITH_AS(make_sequence_dataset(text_config(hundred, 10), 1),
                         ("data.length: " + hundred +
                          ": the test text (10 bytes) is too short for one sequence of length + 1 "
                          "= 11 bytes; lower data.length, raise data.test_fraction or set it to 0")
                             .c_str(),
                         ConfigError);
    // A text long enough for a sequence, all but 1 byte of it given to the test split: the
    // refusal is at data.test_fraction.
    try {
      make_sequence_dataset(text_config(hundred, 10, 0.99), 1);
      FAIL("a 1-byte training text was accepted");
    } catch (const ConfigError& e) {
      REQUIRE(e.issues().size() == 1);
      CHECK(e.issues()[0].path == "data.test_fraction");
      CHECK(e.issues()[0].message.find("(1 of 100 bytes; data.test_fraction takes the rest)") !=
            std::string::npos);
    }
    const SequenceDataset no_test = make_sequence_dataset(text_config(hundred, 10, 0.0), 1);
    CHECK(no_test.train.size() == 9);
    CHECK(no_test.test.size() == 0);
    CHECK(no_test.baseline == 1.0);  // measured on the training split when there is no test
  }
}
