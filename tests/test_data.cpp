// Tests of lib/data/data: the seeded generators (shapes, balance, determinism, geometry), the CSV
// loader (shipped data sets, labels, task detection, split, standardisation) and its errors.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "config/config.h"
#include "data/data.h"
#include "base/errors.h"

using namespace nnlab;

namespace {

const std::string kDataDir = std::string(NNLAB_SOURCE_DIR) + "/data/";

DataConfig generator_config(DataKind type, int train = 101, int test = 37) {
  DataConfig c = default_config().data;
  c.type = type;
  c.train_size = train;
  c.test_size = test;
  return c;
}

DataConfig csv_config(const std::string& path, const std::string& target = "") {
  DataConfig c = default_config().data;
  c.type = DataKind::csv;
  c.path = path;
  c.target = target;
  return c;
}

// How many samples of each class a (1, N) label row holds.
std::vector<int> class_counts(const Mat<double>& y, int k) {
  std::vector<int> counts(static_cast<std::size_t>(k), 0);
  for (Eigen::Index i = 0; i < y.cols(); ++i) {
    const double label = y(0, i);
    REQUIRE(label == std::floor(label));
    REQUIRE(label >= 0);
    REQUIRE(label < k);
    ++counts[static_cast<std::size_t>(label)];
  }
  return counts;
}

// A scratch directory for CSV files, unique per process (ctest runs suites in parallel).
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("nnlab_test_data_" + std::to_string(::getpid()));
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

}  // namespace

TEST_CASE("generators: shapes, class balance and determinism") {
  struct Case {
    DataKind kind;
    int features;
    int classes;  // 0: regression
  };
  for (const Case& c :
       {Case{DataKind::xor_, 2, 2}, Case{DataKind::circles, 2, 2}, Case{DataKind::moons, 2, 2},
        Case{DataKind::spirals, 2, 2}, Case{DataKind::blobs, 2, 3}, Case{DataKind::sine, 1, 0}}) {
    CAPTURE(name_of(c.kind));
    const DataConfig config = generator_config(c.kind);
    const Dataset d = make_dataset(config, 7);

    SUBCASE("shapes and names") {
      CHECK(d.features() == c.features);
      CHECK(d.targets() == 1);
      CHECK(d.x_train.cols() == 101);
      CHECK(d.y_train.cols() == 101);
      CHECK(d.x_test.rows() == c.features);
      CHECK(d.x_test.cols() == 37);
      CHECK(d.y_test.cols() == 37);
      CHECK(d.num_classes == c.classes);
      CHECK(d.task == (c.classes == 0 ? Task::regression : Task::classification));
      CHECK(d.feature_names.size() == static_cast<std::size_t>(c.features));
      CHECK(d.feature_names.front() == "x1");
      CHECK(d.class_names.size() == static_cast<std::size_t>(c.classes));
      if (c.classes > 0) CHECK(d.class_names.back() == std::to_string(c.classes - 1));
      CHECK(d.x_train.allFinite());
      CHECK(d.y_train.allFinite());
    }

    SUBCASE("labels are balanced in each split: sample i has class i % K") {
      if (c.classes == 0) return;
      for (Eigen::Index i = 0; i < d.y_train.cols(); ++i)
        CHECK(d.y_train(0, i) == static_cast<double>(i % c.classes));
      for (const Mat<double>* y : {&d.y_train, &d.y_test}) {
        const auto counts = class_counts(*y, c.classes);
        const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
        CHECK(*hi - *lo <= 1);
      }
    }

    SUBCASE("same seed gives identical data, another seed different data") {
      const Dataset again = make_dataset(config, 7);
      CHECK(again.x_train == d.x_train);
      CHECK(again.y_train == d.y_train);
      CHECK(again.x_test == d.x_test);
      CHECK(again.y_test == d.y_test);
      const Dataset other = make_dataset(config, 8);
      CHECK(other.x_train != d.x_train);
      CHECK(other.x_test != d.x_test);
    }

    SUBCASE("train and test come from one stream, train first") {
      DataConfig longer = config;
      longer.test_size = 100;
      const Dataset more = make_dataset(longer, 7);
      CHECK(more.x_train == d.x_train);
      CHECK(more.x_test.leftCols(37) == d.x_test);
    }
  }
}

TEST_CASE("generators: geometry without noise") {
  auto noiseless = [](DataKind kind) {
    DataConfig c = generator_config(kind, 200, 50);
    c.noise = 0.0;
    return make_dataset(c, 3);
  };

  SUBCASE("moons lie exactly on their arcs") {
    const Dataset d = noiseless(DataKind::moons);
    for (Eigen::Index i = 0; i < d.x_train.cols(); ++i) {
      const double x = d.x_train(0, i), y = d.x_train(1, i);
      if (d.y_train(0, i) == 0) {  // upper arc of the unit circle
        CHECK(std::hypot(x, y) == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(y >= 0.0);
      } else {  // lower arc of the unit circle centred at (1, 0.5)
        CHECK(std::hypot(x - 1.0, y - 0.5) == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(y <= 0.5);
      }
    }
  }

  SUBCASE("xor points are their class's corners") {
    const Dataset d = noiseless(DataKind::xor_);
    int seen_first_corner = 0;
    for (Eigen::Index i = 0; i < d.x_train.cols(); ++i) {
      const double x = d.x_train(0, i), y = d.x_train(1, i);
      CHECK(std::abs(x) == 1.0);
      CHECK(std::abs(y) == 1.0);
      CHECK((x * y > 0 ? 0.0 : 1.0) == d.y_train(0, i));
      seen_first_corner += x > 0;
    }
    CHECK(seen_first_corner > 50);  // both corners of each class are used
    CHECK(seen_first_corner < 150);
  }

  SUBCASE("circles have radius 1 (class 0) and 0.5 (class 1)") {
    const Dataset d = noiseless(DataKind::circles);
    for (Eigen::Index i = 0; i < d.x_test.cols(); ++i)
      CHECK(d.x_test.col(i).norm() ==
            doctest::Approx(d.y_test(0, i) == 0 ? 1.0 : 0.5).epsilon(1e-12));
  }

  SUBCASE("spirals stay in the unit disc and mirror each other") {
    const Dataset d = noiseless(DataKind::spirals);
    CHECK(d.x_train.colwise().norm().maxCoeff() <= 1.0);
    // Both classes share the radius law r = u in [0, 1); their means are opposite in sign.
    Vec<double> mean0 = Vec<double>::Zero(2), mean1 = Vec<double>::Zero(2);
    for (Eigen::Index i = 0; i < d.x_train.cols(); ++i)
      (d.y_train(0, i) == 0 ? mean0 : mean1) += d.x_train.col(i);
    CHECK(mean0.dot(mean1) < 0.0);
  }

  SUBCASE("blobs: each class sits on one centre in [-5, 5)^features") {
    DataConfig c = generator_config(DataKind::blobs, 40, 10);
    c.noise = 0.0;
    c.classes = 4;
    c.features = 3;
    const Dataset d = make_dataset(c, 11);
    CHECK(d.features() == 3);
    CHECK(d.num_classes == 4);
    CHECK(class_counts(d.y_train, 4) == std::vector<int>{10, 10, 10, 10});
    for (Eigen::Index i = 0; i < d.x_train.cols(); ++i) {
      const auto label = static_cast<Eigen::Index>(d.y_train(0, i));
      CHECK(d.x_train.col(i) == d.x_train.col(label));  // column `label` has that class too
      CHECK(d.x_train.col(i).cwiseAbs().maxCoeff() <= 5.0);
    }
    CHECK(d.x_test.col(0) == d.x_train.col(0));
  }

  SUBCASE("sine: x in [-pi, pi), y = sin(x)") {
    const Dataset d = noiseless(DataKind::sine);
    CHECK(d.class_names.empty());
    CHECK(d.x_train.minCoeff() >= -std::numbers::pi);
    CHECK(d.x_train.maxCoeff() < std::numbers::pi);
    for (Eigen::Index i = 0; i < d.x_train.cols(); ++i)
      CHECK(d.y_train(0, i) == std::sin(d.x_train(0, i)));
  }

  SUBCASE("noise adds spread around the noiseless point set") {
    DataConfig c = generator_config(DataKind::sine, 2000, 0);
    c.noise = 0.1;
    const Dataset d = make_dataset(c, 3);
    const Mat<double> residual = d.y_train.array() - d.x_train.array().sin();
    const double std = std::sqrt(residual.squaredNorm() / static_cast<double>(residual.size()));
    CHECK(std == doctest::Approx(0.1).epsilon(0.1));
  }
}

TEST_CASE("generator_task") {
  Task task = Task::regression;
  int classes = -1;
  for (DataKind kind : {DataKind::xor_, DataKind::circles, DataKind::moons, DataKind::spirals}) {
    CHECK(generator_task(generator_config(kind), task, classes));
    CHECK(task == Task::classification);
    CHECK(classes == 2);
  }
  DataConfig blobs = generator_config(DataKind::blobs);
  blobs.classes = 5;
  CHECK(generator_task(blobs, task, classes));
  CHECK(task == Task::classification);
  CHECK(classes == 5);
  CHECK(generator_task(generator_config(DataKind::sine), task, classes));
  CHECK(task == Task::regression);
  CHECK(classes == 0);
  CHECK_FALSE(generator_task(csv_config(kDataDir + "iris.csv"), task, classes));
}

TEST_CASE("csv: the shipped data sets") {
  SUBCASE("iris") {
    DataConfig c = csv_config(kDataDir + "iris.csv", "species");
    c.test_fraction = 0.2;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.task == Task::classification);
    CHECK(d.num_classes == 3);
    CHECK(d.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
    CHECK(d.feature_names ==
          std::vector<std::string>{"sepal_length", "sepal_width", "petal_length", "petal_width"});
    CHECK(d.features() == 4);
    CHECK(d.targets() == 1);
    CHECK(d.x_train.cols() == 120);
    CHECK(d.y_train.cols() == 120);
    CHECK(d.x_test.cols() == 30);
    CHECK(d.y_test.cols() == 30);
    const auto train = class_counts(d.y_train, 3), test = class_counts(d.y_test, 3);
    for (std::size_t k = 0; k < 3; ++k) CHECK(train[k] + test[k] == 50);

    // The default target is the last column, here the same one.
    const Dataset by_default = make_dataset(csv_config(kDataDir + "iris.csv"), 1);
    CHECK(by_default.x_train == d.x_train);
    CHECK(by_default.y_test == d.y_test);
  }

  SUBCASE("wine") {
    const Dataset d = make_dataset(csv_config(kDataDir + "wine.csv", "class"), 1);
    CHECK(d.features() == 13);
    CHECK(d.num_classes == 3);
    CHECK(d.class_names == std::vector<std::string>{"0", "1", "2"});
    CHECK(d.x_train.cols() + d.x_test.cols() == 178);
    const auto train = class_counts(d.y_train, 3), test = class_counts(d.y_test, 3);
    CHECK(train[0] + test[0] == 59);
    CHECK(train[1] + test[1] == 71);
    CHECK(train[2] + test[2] == 48);
  }

  SUBCASE("breast cancer") {
    const Dataset d = make_dataset(csv_config(kDataDir + "breast_cancer.csv"), 1);
    CHECK(d.features() == 30);
    CHECK(d.num_classes == 2);
    CHECK(d.x_train.cols() == 455);
    CHECK(d.x_test.cols() == 114);
    const auto train = class_counts(d.y_train, 2), test = class_counts(d.y_test, 2);
    CHECK(train[0] + test[0] == 212);  // malignant
    CHECK(train[1] + test[1] == 357);  // benign
  }

  SUBCASE("the worked example: one sample, class 1 of two") {
    DataConfig c = csv_config(kDataDir + "worked_example.csv");
    c.standardize = false;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.num_classes == 2);
    CHECK(d.x_train.cols() == 1);
    CHECK(d.x_test.cols() == 0);
    CHECK(d.x_train(0, 0) == 0.5);
    CHECK(d.x_train(1, 0) == 0.8);
    CHECK(d.y_train(0, 0) == 1.0);
  }
}

TEST_CASE("csv: split and standardisation") {
  DataConfig raw_config = csv_config(kDataDir + "iris.csv");
  raw_config.standardize = false;
  const Dataset raw = make_dataset(raw_config, 5);
  const Dataset z = make_dataset(csv_config(kDataDir + "iris.csv"), 5);

  SUBCASE("the split is a seeded shuffle of the rows") {
    CHECK(raw.x_train(0, 0) >= 4.3);  // raw values: sepal length is 4.3..7.9 cm
    CHECK(raw.x_train.row(0).maxCoeff() <= 7.9);
    CHECK(make_dataset(raw_config, 5).x_train == raw.x_train);
    CHECK(make_dataset(raw_config, 6).x_train != raw.x_train);
    // Together the splits hold every row once: compare the column sums with the file's.
    const Vec<double> total = raw.x_train.rowwise().sum() + raw.x_test.rowwise().sum();
    CHECK(total(0) == doctest::Approx(876.5));  // sum of sepal_length over all 150 rows
    CHECK(total(3) == doctest::Approx(179.9));  // petal_width
  }

  SUBCASE("training features have mean 0 and population std 1") {
    const Vec<double> mean = z.x_train.rowwise().mean();
    const Mat<double> centred = z.x_train.colwise() - mean;
    const Vec<double> var = centred.rowwise().squaredNorm() / static_cast<double>(z.x_train.cols());
    for (Eigen::Index f = 0; f < 4; ++f) {
      CHECK(std::abs(mean(f)) < 1e-12);
      CHECK(var(f) == doctest::Approx(1.0).epsilon(1e-12));
    }
    CHECK(z.y_train == raw.y_train);  // targets are never standardised
  }

  SUBCASE("the test split uses the training split's mean and std") {
    const Vec<double> mean = raw.x_train.rowwise().mean();
    const Mat<double> centred = raw.x_train.colwise() - mean;
    const Vec<double> std =
        (centred.rowwise().squaredNorm() / static_cast<double>(raw.x_train.cols())).cwiseSqrt();
    const Mat<double> expected = (raw.x_test.colwise() - mean).array().colwise() / std.array();
    CHECK(z.x_test.isApprox(expected, 1e-12));
    CHECK(z.y_test == raw.y_test);
  }

  SUBCASE("test_fraction 0 keeps every row for training") {
    DataConfig c = raw_config;
    c.test_fraction = 0.0;
    const Dataset d = make_dataset(c, 5);
    CHECK(d.x_train.cols() == 150);
    CHECK(d.x_test.cols() == 0);
    CHECK(d.x_test.rows() == 4);
  }
}

TEST_CASE("csv: parsing, labels and task detection") {
  const TempDir dir;

  SUBCASE("CRLF, blank lines, spaces, quoted fields and a byte order mark") {
    const auto path = dir.write("messy.csv",
                                "\xEF\xBB\xBF a , \"b, quoted\" ,label\r\n"
                                "\r\n"
                                "1, 2 ,\"x\"\r\n"
                                "  \r\n"
                                "3,4e0,\"say \"\"y\"\"\"\r\n"
                                "\n");
    DataConfig c = csv_config(path);
    c.standardize = false;
    c.test_fraction = 0.0;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.feature_names == std::vector<std::string>{"a", "b, quoted"});
    CHECK(d.class_names == std::vector<std::string>{"say \"y\"", "x"});
    REQUIRE(d.x_train.cols() == 2);
    for (Eigen::Index i = 0; i < 2; ++i) {
      const bool is_x = d.y_train(0, i) == 1;  // the row "1, 2 ,"x""
      CHECK(d.x_train(0, i) == (is_x ? 1.0 : 3.0));
      CHECK(d.x_train(1, i) == (is_x ? 2.0 : 4.0));
    }
  }

  SUBCASE("a target column in the middle") {
    const auto path = dir.write("middle.csv", "a,y,b\n1,0,10\n2,1,20\n");
    DataConfig c = csv_config(path, "y");
    c.standardize = false;
    c.test_fraction = 0.0;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.feature_names == std::vector<std::string>{"a", "b"});
    for (Eigen::Index i = 0; i < 2; ++i) {
      CHECK(d.x_train(1, i) == 10 * d.x_train(0, i));
      CHECK(d.y_train(0, i) == d.x_train(0, i) - 1);
    }
  }

  SUBCASE("string labels are sorted and named") {
    const auto path = dir.write("strings.csv", "x,kind\n1,cat\n2,dog\n3,ant\n4,dog\n");
    DataConfig c = csv_config(path);
    c.test_fraction = 0.0;
    c.standardize = false;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.task == Task::classification);
    CHECK(d.num_classes == 3);
    CHECK(d.class_names == std::vector<std::string>{"ant", "cat", "dog"});
    for (Eigen::Index i = 0; i < 4; ++i) {
      const double expected[] = {1, 2, 0, 2};  // by the x value 1..4
      CHECK(d.y_train(0, i) == expected[static_cast<int>(d.x_train(0, i)) - 1]);
    }
  }

  SUBCASE("the {0,1} rule: 0/1 targets keep their value, even if only one occurs") {
    DataConfig c = csv_config(dir.write("ones.csv", "x,y\n1,1\n2,1\n3,1.0\n"));
    c.test_fraction = 0.0;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.num_classes == 2);
    CHECK(d.class_names == std::vector<std::string>{"0", "1"});
    CHECK(d.y_train == Mat<double>::Ones(1, 3));
  }

  SUBCASE("other integer labels map to 0..K-1 in numeric order") {
    DataConfig c = csv_config(dir.write("ints.csv", "x,y\n1,10\n2,9\n3,-1\n4,10\n"));
    c.test_fraction = 0.0;
    c.standardize = false;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.task == Task::classification);
    CHECK(d.class_names == std::vector<std::string>{"-1", "9", "10"});
    for (Eigen::Index i = 0; i < 4; ++i) {
      const double expected[] = {2, 1, 0, 2};
      CHECK(d.y_train(0, i) == expected[static_cast<int>(d.x_train(0, i)) - 1]);
    }
  }

  SUBCASE("a real-valued target is regression, stored as is") {
    DataConfig c = csv_config(dir.write("real.csv", "x,price\n1,2.5\n2,3\n3,-0.25\n"));
    c.test_fraction = 0.0;
    c.standardize = false;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.task == Task::regression);
    CHECK(d.num_classes == 0);
    CHECK(d.class_names.empty());
    CHECK(d.targets() == 1);
    for (Eigen::Index i = 0; i < 3; ++i) {
      const double expected[] = {2.5, 3, -0.25};
      CHECK(d.y_train(0, i) == expected[static_cast<int>(d.x_train(0, i)) - 1]);
    }
  }

  SUBCASE("more than 100 distinct integers is regression") {
    std::string text = "x,count\n";
    for (int i = 0; i < 101; ++i) text += std::to_string(i) + "," + std::to_string(3 * i) + "\n";
    const Dataset d = make_dataset(csv_config(dir.write("counts.csv", text)), 1);
    CHECK(d.task == Task::regression);
    text += "101,0\n";  // still 101 distinct values
    CHECK(make_dataset(csv_config(dir.write("counts.csv", text)), 1).task == Task::regression);
    std::string hundred = "x,count\n";
    for (int i = 0; i < 100; ++i) hundred += "1," + std::to_string(i) + "\n";
    CHECK(make_dataset(csv_config(dir.write("hundred.csv", hundred)), 1).task ==
          Task::classification);
  }

  SUBCASE("data.task overrides detection") {
    DataConfig c = csv_config(dir.write("override.csv", "x,y\n1,0\n2,1\n3,2\n"));
    c.task = Task::regression;
    const Dataset r = make_dataset(c, 1);
    CHECK(r.task == Task::regression);
    CHECK(r.num_classes == 0);
    c = csv_config(dir.write("override2.csv", "x,y\n1,0.5\n2,1.5\n3,0.5\n"));
    c.task = Task::classification;
    const Dataset k = make_dataset(c, 1);
    CHECK(k.num_classes == 2);
    CHECK(k.class_names == std::vector<std::string>{"0.5", "1.5"});
  }

  SUBCASE("a constant feature is only centred") {
    DataConfig c = csv_config(dir.write("constant.csv", "a,b,y\n7,1,0\n7,2,1\n7,3,0\n7,4,1\n"));
    c.test_fraction = 0.0;
    const Dataset d = make_dataset(c, 1);
    CHECK(d.x_train.row(0) == Mat<double>::Zero(1, 4));
    CHECK(d.x_train.row(1).squaredNorm() == doctest::Approx(4.0));
  }
}

TEST_CASE("csv: errors") {
  const TempDir dir;

  SUBCASE("an unreadable file") {
    const std::string missing = (dir.path / "missing.csv").string();
    CHECK_THROWS_WITH_AS(
        make_dataset(csv_config(missing), 1),
        ("data.path: cannot read " + missing + ": No such file or directory").c_str(), ConfigError);
    CHECK_THROWS_WITH_AS(
        make_dataset(csv_config(dir.path.string()), 1),
        ("data.path: cannot read " + dir.path.string() + ": is a directory").c_str(), ConfigError);
  }

  SUBCASE("an unknown target column, with and without a suggestion") {
    const auto path = dir.write("t.csv", "sepal_length,species\n1,a\n2,b\n");
    CHECK_THROWS_WITH_AS(make_dataset(csv_config(path, "specis"), 1),
                         ("data.target: no column \"specis\" in " + path +
                          " (columns: sepal_length, species) (did you mean \"species\"?)")
                             .c_str(),
                         ConfigError);
    CHECK_THROWS_WITH_AS(
        make_dataset(csv_config(path, "colour"), 1),
        ("data.target: no column \"colour\" in " + path + " (columns: sepal_length, species)")
            .c_str(),
        ConfigError);
  }

  SUBCASE("a cell that is not a number") {
    for (const std::string bad : {"abc", "", "nan", "inf", "1.5x", "1e999"}) {
      CAPTURE(bad);
      const auto path = dir.write("bad.csv", "a,b,y\n1,2,0\n\n3," + bad + ",1\n");
      CHECK_THROWS_WITH_AS(
          make_dataset(csv_config(path), 1),
          ("data.path: " + path + ":4: column \"b\": expected a number, got \"" + bad + "\"")
              .c_str(),
          ConfigError);
    }
  }

  SUBCASE("a non-numeric target in regression") {
    DataConfig c = csv_config(dir.write("reg.csv", "a,y\n1,2.5\n2,high\n"));
    c.task = Task::regression;
    CHECK_THROWS_WITH_AS(
        make_dataset(c, 1),
        ("data.path: " + c.path + ":3: column \"y\": expected a number, got \"high\"").c_str(),
        ConfigError);
    // Detection sees a mix of numbers and words as regression; it reports the same cell and
    // says how to read the column as class names instead.
    c.task.reset();
    CHECK_THROWS_WITH_AS(
        make_dataset(c, 1),
        ("data.path: " + c.path + ":3: column \"y\" mixes numbers and words (\"high\"): as a "
         "regression target it must be all numbers; to read it as class names, set data.task "
         "\"classification\"").c_str(),
        ConfigError);
    c.task = Task::classification;  // which does
    CHECK(make_dataset(c, 1).class_names == std::vector<std::string>{"2.5", "high"});
  }

  SUBCASE("an empty label") {
    const auto path = dir.write("nolabel.csv", "a,y\n1,cat\n2,\n");
    CHECK_THROWS_WITH_AS(
        make_dataset(csv_config(path), 1),
        ("data.path: " + path + ":3: column \"y\": expected a label, got \"\"").c_str(),
        ConfigError);
  }

  SUBCASE("a row with the wrong number of fields") {
    const auto path = dir.write("short.csv", "a,b,y\n1,2,0\n3,1\n");
    CHECK_THROWS_WITH_AS(make_dataset(csv_config(path), 1),
                         ("data.path: " + path + ":3: expected 3 fields, got 2").c_str(),
                         ConfigError);
    const auto quoted = dir.write("quote.csv", "a,y\n\"1,0\n");
    CHECK_THROWS_WITH_AS(make_dataset(csv_config(quoted), 1),
                         ("data.path: " + quoted + ":2: unterminated quoted field").c_str(),
                         ConfigError);
  }

  SUBCASE("a file without data rows") {
    const auto header_only = dir.write("header.csv", "a,b,y\n\n");
    CHECK_THROWS_WITH_AS(make_dataset(csv_config(header_only), 1),
                         ("data.path: " + header_only + ": no data rows after the header").c_str(),
                         ConfigError);
    const auto empty = dir.write("empty.csv", "");
    CHECK_THROWS_WITH_AS(
        make_dataset(csv_config(empty), 1),
        ("data.path: " + empty + ": empty file (expected a header row of column names)").c_str(),
        ConfigError);
  }

  SUBCASE("a header with a repeated name, or no feature column") {
    const auto twice = dir.write("twice.csv", "a,a,y\n1,2,0\n");
    CHECK_THROWS_WITH_AS(make_dataset(csv_config(twice), 1),
                         ("data.path: " + twice + ":1: duplicate column \"a\"").c_str(),
                         ConfigError);
    const auto alone = dir.write("alone.csv", "y\n0\n1\n");
    CHECK_THROWS_WITH_AS(
        make_dataset(csv_config(alone), 1),
        ("data.path: " + alone + ": no feature columns besides the target \"y\"").c_str(),
        ConfigError);
  }

  SUBCASE("a single class") {
    const auto path = dir.write("one.csv", "a,species\n1,setosa\n2,setosa\n");
    CHECK_THROWS_WITH_AS(make_dataset(csv_config(path), 1),
                         ("data.target: classification needs at least two classes; found one: "
                          "\"setosa\" in column \"species\" of " +
                          path)
                             .c_str(),
                         ConfigError);
  }

  SUBCASE("a test fraction that leaves no training rows") {
    DataConfig c = csv_config(dir.write("tiny.csv", "a,y\n1,0\n"));
    c.test_fraction = 0.5;
    CHECK_THROWS_WITH_AS(make_dataset(c, 1),
                         ("data.test_fraction: leaves no training rows: 1 of the 1 rows in " +
                          c.path + " would be test rows")
                             .c_str(),
                         ConfigError);
  }
}
