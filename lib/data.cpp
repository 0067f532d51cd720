// Data sets: the seeded 2-D generators (xor, circles, moons, spirals), blobs and sine, and the
// CSV loader with its seeded train/test split and training-split standardisation. See data.h.
#include "data.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include "errors.h"
#include "rng.h"

namespace nnlab {

namespace {

constexpr double kPi = std::numbers::pi;

std::vector<std::string> numbered_names(const std::string& prefix, int first, int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back(prefix + std::to_string(first + i));
  return names;
}

// ---- Built-in generators -------------------------------------------------------------------

// Fills n samples of one split, sample i of class i % K. The order of draws per sample is part
// of the data's definition (same seed => same data): the generator's own draws, then the noise
// draws, one N(0,1) per coordinate (drawn even when noise is 0, so noise only scales).
void generate(const DataConfig& config, const Mat<double>& centres, Rng& rng, int n, Mat<double>& x,
              Mat<double>& y) {
  const double noise = config.noise;
  const bool regression = config.type == DataKind::sine;
  const int features = config.type == DataKind::blobs ? config.features : regression ? 1 : 2;
  const int k = config.type == DataKind::blobs ? config.classes : 2;
  x.resize(features, n);
  y.resize(1, n);
  for (int i = 0; i < n; ++i) {
    const int label = i % k;
    auto col = x.col(i);
    switch (config.type) {
      case DataKind::xor_: {
        // Class 0 owns corners (1,1),(-1,-1); class 1 owns (1,-1),(-1,1).
        const double s = rng.below(2) == 0 ? 1.0 : -1.0;
        col << s, label == 0 ? s : -s;
        break;
      }
      case DataKind::circles: {  // sklearn make_circles with factor 0.5
        const double angle = rng.uniform(0.0, 2.0 * kPi);
        const double r = label == 0 ? 1.0 : 0.5;
        col << r * std::cos(angle), r * std::sin(angle);
        break;
      }
      case DataKind::moons: {  // sklearn make_moons: upper arc, and the lower arc shifted
        const double t = rng.uniform(0.0, kPi);
        if (label == 0)
          col << std::cos(t), std::sin(t);
        else
          col << 1.0 - std::cos(t), 0.5 - std::sin(t);
        break;
      }
      case DataKind::spirals: {  // radius grows linearly over 1.5 turns; class 1 is mirrored
        const double u = rng.uniform();
        const double theta = 3.0 * kPi * u;
        const double sign = label == 0 ? 1.0 : -1.0;
        col << sign * u * std::cos(theta), sign * u * std::sin(theta);
        break;
      }
      case DataKind::blobs:
        col = centres.col(label);
        break;
      case DataKind::sine:
        col(0) = rng.uniform(-kPi, kPi);
        break;
      case DataKind::csv:
      case DataKind::adding:
      case DataKind::copy:
      case DataKind::temporal_order:
      case DataKind::text:
        break;  // not a generator of samples; make_dataset never gets here
    }
    if (regression) {
      y(0, i) = std::sin(col(0)) + noise * rng.normal();
    } else {
      for (int f = 0; f < features; ++f) col(f) += noise * rng.normal();
      y(0, i) = label;
    }
  }
}

Dataset make_generated(const DataConfig& config, std::uint64_t seed) {
  Dataset d;
  generator_task(config, d.task, d.num_classes);
  Rng rng(seed);
  Mat<double> centres;
  if (config.type == DataKind::blobs) {  // drawn first, centre by centre
    centres.resize(config.features, config.classes);
    for (int c = 0; c < config.classes; ++c)
      for (int f = 0; f < config.features; ++f) centres(f, c) = rng.uniform(-5.0, 5.0);
  }
  generate(config, centres, rng, config.train_size, d.x_train, d.y_train);
  generate(config, centres, rng, config.test_size, d.x_test, d.y_test);
  d.feature_names = numbered_names("x", 1, static_cast<int>(d.x_train.rows()));
  if (d.task == Task::classification) d.class_names = numbered_names("", 0, d.num_classes);
  return d;
}

// ---- CSV -----------------------------------------------------------------------------------

struct CsvLine {
  int number;  // 1-based line in the file
  std::vector<std::string> fields;
};

struct CsvFile {
  std::vector<std::string> header;
  int header_line = 0;
  std::vector<CsvLine> rows;
};

}  // namespace

std::string read_data_file(const std::string& path) {
  auto fail = [&](const std::string& reason) {
    return ConfigError("data.path", "cannot read " + path + ": " + reason);
  };
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) throw fail(ec.message());
  if (std::filesystem::is_directory(status)) throw fail("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(std::error_code(errno, std::generic_category()).message());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw fail("read error");
  return text.str();
}

// z-scores each feature with the training split's mean and population std; a constant feature
// (std < 1e-12) is only centred.
FeatureScaling feature_scaling(const Mat<double>& x_train) {
  FeatureScaling s;
  const Eigen::Index n = x_train.cols();
  s.mean = x_train.rowwise().mean();
  s.scale = ((x_train.colwise() - s.mean).array().square().rowwise().sum() /
             static_cast<double>(n))
                .sqrt()
                .matrix();
  for (Eigen::Index f = 0; f < s.scale.size(); ++f)
    if (!(s.scale(f) >= 1e-12)) s.scale(f) = 1.0;
  return s;
}

void FeatureScaling::apply(Mat<double>& x) const {
  x = (x.colwise() - mean).array().colwise() / scale.array();
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits one line at commas. A field may be double-quoted (then it may hold commas, and "" is a
// literal quote); spaces around fields are dropped, those inside quotes kept.
std::vector<std::string> split_fields(std::string_view line, const std::string& where) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) throw ConfigError("data.path", where + ": unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      while (i < line.size() && is_space(line[i])) ++i;
      if (i < line.size() && line[i] != ',')
        throw ConfigError("data.path", where + ": unexpected text after a closing quote");
    } else {
      const std::size_t end = std::min(line.find(',', i), line.size());
      field = trim(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return fields;
    ++i;  // the comma
  }
}

CsvFile read_csv(const std::string& path) {
  const std::string text = read_data_file(path);
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte order mark
  CsvFile file;
  int number = 0;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const std::string where = path + ":" + std::to_string(number);
    auto fields = split_fields(line, where);
    if (file.header_line == 0) {
      file.header = std::move(fields);
      file.header_line = number;
      std::set<std::string> seen;
      for (const auto& name : file.header)
        if (!seen.insert(name).second)
          throw ConfigError("data.path", where + ": duplicate column \"" + name + "\"");
      continue;
    }
    if (fields.size() != file.header.size())
      throw ConfigError("data.path", where + ": expected " + std::to_string(file.header.size()) +
                                         " fields, got " + std::to_string(fields.size()));
    file.rows.push_back({number, std::move(fields)});
  }
  if (file.header_line == 0)
    throw ConfigError("data.path", path + ": empty file (expected a header row of column names)");
  if (file.rows.empty()) throw ConfigError("data.path", path + ": no data rows after the header");
  return file;
}

// A finite number spelled as the whole cell; nan and inf are not numbers here.
std::optional<double> parse_number(std::string_view cell) {
  if (cell.size() > 1 && cell.front() == '+' && cell[1] != '-') cell.remove_prefix(1);
  double value = 0.0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc() || end != cell.data() + cell.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

bool is_integer(double v) { return std::floor(v) == v && std::abs(v) < 0x1p53; }

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

ConfigError bad_cell(const std::string& path, int line, const std::string& column,
                     const std::string& expected, const std::string& cell) {
  return ConfigError("data.path", path + ":" + std::to_string(line) + ": column \"" + column +
                                      "\": expected " + expected + ", got \"" + cell + "\"");
}

// Class indices and names for the target cells. Numbers that are all 0 or 1 keep their value
// (so a file with only positives still has two classes); otherwise the sorted distinct values.
void label_classes(const CsvFile& file, std::size_t target, const std::string& path,
                   const std::vector<std::optional<double>>& numbers, Dataset& d,
                   std::vector<double>& labels) {
  const std::size_t n = file.rows.size();
  const std::string& column = file.header[target];
  for (const auto& row : file.rows)
    if (row.fields[target].empty()) throw bad_cell(path, row.number, column, "a label", "");
  const bool numeric = std::all_of(numbers.begin(), numbers.end(), [](auto v) { return v; });
  labels.assign(n, 0.0);
  if (numeric) {
    std::map<double, std::string> spelling;  // distinct values, sorted, first spelling kept
    for (std::size_t r = 0; r < n; ++r) spelling.emplace(*numbers[r], file.rows[r].fields[target]);
    if (std::all_of(spelling.begin(), spelling.end(),
                    [](const auto& kv) { return kv.first == 0.0 || kv.first == 1.0; })) {
      d.num_classes = 2;
      d.class_names = {"0", "1"};
      for (std::size_t r = 0; r < n; ++r) labels[r] = *numbers[r];
      return;
    }
    std::map<double, int> index;
    for (const auto& [value, name] : spelling) {
      index.emplace(value, static_cast<int>(d.class_names.size()));
      d.class_names.push_back(name);
    }
    for (std::size_t r = 0; r < n; ++r) labels[r] = index.at(*numbers[r]);
  } else {
    std::map<std::string, int> index;
    for (const auto& row : file.rows) index.emplace(row.fields[target], 0);
    for (auto& [name, i] : index) {
      i = static_cast<int>(d.class_names.size());
      d.class_names.push_back(name);
    }
    for (std::size_t r = 0; r < n; ++r) labels[r] = index.at(file.rows[r].fields[target]);
  }
  d.num_classes = static_cast<int>(d.class_names.size());
  if (d.num_classes < 2)
    throw ConfigError("data.target", "classification needs at least two classes; found one: \"" +
                                         d.class_names.front() + "\" in column \"" + column +
                                         "\" of " + path);
}

void standardize(Dataset& d) {
  const FeatureScaling scaling = feature_scaling(d.x_train);
  for (Mat<double>* x : {&d.x_train, &d.x_test}) scaling.apply(*x);
}

Dataset load_csv(const DataConfig& config, std::uint64_t seed) {
  const std::string& path = config.path;
  const CsvFile file = read_csv(path);

  std::size_t target = file.header.size() - 1;
  if (!config.target.empty()) {
    const auto it = std::find(file.header.begin(), file.header.end(), config.target);
    if (it == file.header.end()) {
      std::string message = "no column \"" + config.target + "\" in " + path +
                            " (columns: " + join_names(file.header) + ")";
      if (auto guess = closest_match(config.target, file.header))
        message += " (did you mean \"" + *guess + "\"?)";
      throw ConfigError("data.target", message);
    }
    target = static_cast<std::size_t>(it - file.header.begin());
  }
  if (file.header.size() < 2)
    throw ConfigError("data.path", path + ": no feature columns besides the target \"" +
                                       file.header[target] + "\"");

  Dataset d;
  const auto n = static_cast<Eigen::Index>(file.rows.size());
  const auto features = static_cast<Eigen::Index>(file.header.size() - 1);
  for (std::size_t c = 0; c < file.header.size(); ++c)
    if (c != target) d.feature_names.push_back(file.header[c]);
  d.target_name = file.header[target];

  Mat<double> x(features, n);
  std::vector<std::optional<double>> numbers(file.rows.size());
  for (Eigen::Index r = 0; r < n; ++r) {
    const CsvLine& row = file.rows[static_cast<std::size_t>(r)];
    Eigen::Index f = 0;
    for (std::size_t c = 0; c < row.fields.size(); ++c) {
      if (c == target) {
        numbers[static_cast<std::size_t>(r)] = parse_number(row.fields[c]);
        continue;
      }
      const auto value = parse_number(row.fields[c]);
      if (!value) throw bad_cell(path, row.number, file.header[c], "a number", row.fields[c]);
      x(f++, r) = *value;
    }
  }

  if (config.task) {
    d.task = *config.task;
  } else {
    // Labels: all non-numeric, or a modest number of distinct integers.
    const bool none_numeric =
        std::none_of(numbers.begin(), numbers.end(), [](auto v) { return v.has_value(); });
    bool integer_labels = true;
    std::set<double> distinct;
    for (const auto& v : numbers) {
      if (v && is_integer(*v)) distinct.insert(*v);
      if (!v || !is_integer(*v) || distinct.size() > 100) {
        integer_labels = false;
        break;
      }
    }
    d.task = none_numeric || integer_labels ? Task::classification : Task::regression;
  }

  std::vector<double> y(file.rows.size());
  if (d.task == Task::classification) {
    label_classes(file, target, path, numbers, d, y);
  } else {
    for (std::size_t r = 0; r < file.rows.size(); ++r) {
      if (!numbers[r])
        throw bad_cell(path, file.rows[r].number, file.header[target], "a number",
                       file.rows[r].fields[target]);
      y[r] = *numbers[r];
    }
  }

  // Seeded shuffle, then the first N - n_test shuffled rows train and the rest test.
  std::vector<int> order(file.rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  Rng rng(seed);
  rng.shuffle(order);
  const long n_test = std::lround(static_cast<double>(n) * config.test_fraction);
  const long n_train = n - n_test;
  if (n_train <= 0)
    throw ConfigError("data.test_fraction", "leaves no training rows: " + std::to_string(n_test) +
                                                " of the " + std::to_string(n) + " rows in " +
                                                path + " would be test rows");
  auto take = [&](long first, long count, Mat<double>& xs, Mat<double>& ys) {
    xs.resize(features, count);
    ys.resize(1, count);
    for (long j = 0; j < count; ++j) {
      const int r = order[static_cast<std::size_t>(first + j)];
      xs.col(j) = x.col(r);
      ys(0, j) = y[static_cast<std::size_t>(r)];
    }
  };
  take(0, n_train, d.x_train, d.y_train);
  take(n_train, n_test, d.x_test, d.y_test);
  if (config.standardize) standardize(d);
  return d;
}

}  // namespace

bool generator_task(const DataConfig& config, Task& task, int& num_classes) {
  switch (config.type) {
    case DataKind::xor_:
    case DataKind::circles:
    case DataKind::moons:
    case DataKind::spirals:
      task = Task::classification;
      num_classes = 2;
      return true;
    case DataKind::blobs:
      task = Task::classification;
      num_classes = config.classes;
      return true;
    case DataKind::sine:
      task = Task::regression;
      num_classes = 0;
      return true;
    case DataKind::csv:
    case DataKind::adding:
    case DataKind::copy:
    case DataKind::temporal_order:
    case DataKind::text:
      return false;
  }
  return false;
}

Mat<double> read_features(const std::string& path,
                          const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& ignored) {
  const CsvFile file = read_csv(path);
  std::vector<std::size_t> columns;  // file column of each feature, in the features' order
  for (const auto& name : feature_names) {
    const auto it = std::find(file.header.begin(), file.header.end(), name);
    if (it == file.header.end())
      throw DataError(path + ": no feature column \"" + name + "\" (the run was trained on " +
                      std::to_string(feature_names.size()) + " features: " +
                      join_names(feature_names) + "; the file has: " + join_names(file.header) +
                      ")");
    columns.push_back(static_cast<std::size_t>(it - file.header.begin()));
  }
  for (const auto& name : file.header)
    if (std::find(feature_names.begin(), feature_names.end(), name) == feature_names.end() &&
        std::find(ignored.begin(), ignored.end(), name) == ignored.end())
      throw DataError(path + ": column \"" + name + "\" is not a feature of the run (features: " +
                      join_names(feature_names) + ")");
  if (!std::is_sorted(columns.begin(), columns.end()))
    throw DataError(path + ": the feature columns are not in the training order (" +
                    join_names(feature_names) + ")");
  Mat<double> x(static_cast<Eigen::Index>(feature_names.size()),
                static_cast<Eigen::Index>(file.rows.size()));
  for (std::size_t r = 0; r < file.rows.size(); ++r)
    for (std::size_t f = 0; f < columns.size(); ++f) {
      const std::string& cell = file.rows[r].fields[columns[f]];
      const auto value = parse_number(cell);
      if (!value)
        throw DataError(path + ":" + std::to_string(file.rows[r].number) + ": column \"" +
                        feature_names[f] + "\": expected a number, got \"" + cell + "\"");
      x(static_cast<Eigen::Index>(f), static_cast<Eigen::Index>(r)) = *value;
    }
  return x;
}

Dataset make_dataset(const DataConfig& config, std::uint64_t seed) {
  return config.type == DataKind::csv ? load_csv(config, seed) : make_generated(config, seed);
}

}  // namespace nnlab
