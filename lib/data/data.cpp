// Data sets: the seeded 2-D generators (xor, circles, moons, spirals), blobs and sine, and the
// CSV loader with its seeded train/test split and training-split standardisation. See data.h.
#include "data/data.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include "base/errors.h"
#include "base/rng.h"

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

// A CSV file's cells, row-major, as views into its text: no allocation per cell or per row (a
// large file costs its text plus 16 bytes a cell). Quoted cells with "" inside are unescaped into
// `unescaped`. Filled in place by read_csv (the views must not outlive `text`): not copyable.
struct CsvFile {
  std::string text;
  std::deque<std::string> unescaped;  // a deque: growing it keeps earlier elements in place
  std::vector<std::string> header;
  int header_line = 0;
  std::vector<std::string_view> cells;  // rows() * header.size()
  std::vector<int> numbers;             // each data row's 1-based line in the file

  CsvFile() = default;
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
  std::size_t rows() const { return numbers.size(); }
  std::string_view cell(std::size_t row, std::size_t column) const {
    return cells[row * header.size() + column];
  }
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

std::string format_fraction(double x) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

// A cell or column name in an error message: at most 60 characters.
std::string short_text(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 57)) + "...";
}

// Splits one line at commas, appending its fields to `fields` and returning their number. A
// field may be double-quoted (then it may hold commas, and "" is a literal quote); spaces around
// fields are dropped, those inside quotes kept. `where` names the line in errors.
template <typename Where>
std::size_t split_fields(std::string_view line, const Where& where,
                         std::vector<std::string_view>& fields,
                         std::deque<std::string>& unescaped) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::string_view field;
    if (i < line.size() && line[i] == '"') {
      const std::size_t first = ++i;
      bool escaped = false;
      while (true) {
        if (i >= line.size()) throw ConfigError("data.path", where() + ": unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            escaped = true;
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      field = line.substr(first, i - first);
      ++i;  // the closing quote
      if (escaped) {
        std::string& text = unescaped.emplace_back();
        for (std::size_t k = 0; k < field.size(); ++k) {
          text += field[k];
          if (field[k] == '"') ++k;  // "" -> "
        }
        field = text;
      }
      while (i < line.size() && is_space(line[i])) ++i;
      if (i < line.size() && line[i] != ',')
        throw ConfigError("data.path", where() + ": unexpected text after a closing quote");
    } else {
      const std::size_t end = std::min(line.find(',', i), line.size());
      field = trim(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(field);
    ++count;
    if (i >= line.size()) return count;
    ++i;  // the comma
  }
}

void read_csv(const std::string& path, CsvFile& file) {
  file.text = read_data_file(path);
  std::string_view rest(file.text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte order mark
  int number = 0;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const auto where = [&] { return path + ":" + std::to_string(number); };
    if (file.header_line == 0) {
      split_fields(line, where, file.cells, file.unescaped);
      file.header.assign(file.cells.begin(), file.cells.end());
      file.cells.clear();
      file.header_line = number;
      std::set<std::string_view> seen;
      for (const auto& name : file.header)
        if (!seen.insert(name).second)
          throw ConfigError("data.path", where() + ": duplicate column \"" + short_text(name) + "\"");
      continue;
    }
    const std::size_t fields = split_fields(line, where, file.cells, file.unescaped);
    if (fields != file.header.size())
      throw ConfigError("data.path", where() + ": expected " + std::to_string(file.header.size()) +
                                         " fields, got " + std::to_string(fields));
    file.numbers.push_back(number);
  }
  if (file.header_line == 0)
    throw ConfigError("data.path", path + ": empty file (expected a header row of column names)");
  if (file.rows() == 0) throw ConfigError("data.path", path + ": no data rows after the header");
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

// The first 20 names, each cut to 60 characters: an error message stays short for any header.
std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 20; ++i)
    out += (out.empty() ? "" : ", ") + short_text(names[i]);
  if (names.size() > 20) out += ", ... (" + std::to_string(names.size()) + " columns)";
  return out;
}

ConfigError bad_cell(const std::string& path, int line, const std::string& column,
                     const std::string& expected, std::string_view cell) {
  return ConfigError("data.path", path + ":" + std::to_string(line) + ": column \"" +
                                      short_text(column) + "\": expected " + expected + ", got \"" +
                                      short_text(cell) + "\"");
}

// Class indices and names for the target cells. Numbers that are all 0 or 1 keep their value
// (so a file with only positives still has two classes); otherwise the sorted distinct values.
void label_classes(const CsvFile& file, std::size_t target, const std::string& path,
                   const std::vector<std::optional<double>>& numbers, Dataset& d,
                   std::vector<double>& labels) {
  const std::size_t n = file.rows();
  const std::string& column = file.header[target];
  for (std::size_t r = 0; r < n; ++r)
    if (file.cell(r, target).empty()) throw bad_cell(path, file.numbers[r], column, "a label", "");
  const bool numeric = std::all_of(numbers.begin(), numbers.end(), [](auto v) { return v; });
  labels.assign(n, 0.0);
  if (numeric) {
    std::map<double, std::string_view> spelling;  // distinct values, sorted, first spelling kept
    for (std::size_t r = 0; r < n; ++r) spelling.emplace(*numbers[r], file.cell(r, target));
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
      d.class_names.emplace_back(name);
    }
    for (std::size_t r = 0; r < n; ++r) labels[r] = index.at(*numbers[r]);
  } else {
    std::map<std::string_view, int> index;
    for (std::size_t r = 0; r < n; ++r) index.emplace(file.cell(r, target), 0);
    for (auto& [name, i] : index) {
      i = static_cast<int>(d.class_names.size());
      d.class_names.emplace_back(name);
    }
    for (std::size_t r = 0; r < n; ++r) labels[r] = index.at(file.cell(r, target));
  }
  d.num_classes = static_cast<int>(d.class_names.size());
  if (d.num_classes < 2)
    throw ConfigError("data.target", "classification needs at least two classes; found one: \"" +
                                         d.class_names.front() + "\" in column \"" + column +
                                         "\" of " + path);
}

// z-scores each feature with the training split's mean and population std (feature_scaling); a
// constant feature (std < 1e-12) is only centred. A feature whose mean, std or z-scores overflow
// double (values near 1e308) is a data error naming its column, not a column of zeros or NaNs.
void standardize(Dataset& d, const std::string& path) {
  const FeatureScaling scaling = feature_scaling(d.x_train);
  for (Mat<double>* x : {&d.x_train, &d.x_test}) scaling.apply(*x);
  for (Eigen::Index f = 0; f < scaling.scale.size(); ++f) {
    // A split with no samples (a 1-row CSV leaves the test split empty) has nothing to check;
    // row() of a 0-column matrix is undefined behaviour in Eigen (null data + offset).
    const auto finite_row = [f](const Mat<double>& x) { return x.cols() == 0 || x.row(f).allFinite(); };
    if (std::isfinite(scaling.mean(f)) && std::isfinite(scaling.scale(f)) &&
        finite_row(d.x_train) && finite_row(d.x_test))
      continue;
    const std::string& column = d.feature_names[static_cast<std::size_t>(f)];
    throw ConfigError("data.path", path + ": column \"" + column +
                                       "\": standardising overflows double (its mean or spread "
                                       "is too large); scale the column down or set "
                                       "data.standardize to false");
  }
}

Dataset load_csv(const DataConfig& config, std::uint64_t seed) {
  const std::string& path = config.path;
  CsvFile file;
  read_csv(path, file);

  std::size_t target = file.header.size() - 1;
  if (!config.target.empty()) {
    const auto it = std::find(file.header.begin(), file.header.end(), config.target);
    if (it == file.header.end()) {
      std::string message = "no column \"" + short_text(config.target) + "\" in " + path +
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
  const auto n = static_cast<Eigen::Index>(file.rows());
  const auto features = static_cast<Eigen::Index>(file.header.size() - 1);
  for (std::size_t c = 0; c < file.header.size(); ++c)
    if (c != target) d.feature_names.push_back(file.header[c]);
  d.target_name = file.header[target];

  Mat<double> x(features, n);
  std::vector<std::optional<double>> numbers(file.rows());
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto row = static_cast<std::size_t>(r);
    Eigen::Index f = 0;
    for (std::size_t c = 0; c < file.header.size(); ++c) {
      if (c == target) {
        numbers[row] = parse_number(file.cell(row, c));
        continue;
      }
      const auto value = parse_number(file.cell(row, c));
      if (!value) throw bad_cell(path, file.numbers[row], file.header[c], "a number", file.cell(row, c));
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

  std::vector<double> y(file.rows());
  if (d.task == Task::classification) {
    label_classes(file, target, path, numbers, d, y);
  } else {
    for (std::size_t r = 0; r < file.rows(); ++r) {
      if (!numbers[r] && !config.task)  // "auto" saw numbers and words: say both readings
        throw ConfigError("data.path",
                          path + ":" + std::to_string(file.numbers[r]) + ": column \"" +
                              short_text(file.header[target]) + "\" mixes numbers and words (\"" +
                              short_text(file.cell(r, target)) +
                              "\"): as a regression target it must be all numbers; to read it as "
                              "class names, set data.task \"classification\"");
      if (!numbers[r])
        throw bad_cell(path, file.numbers[r], file.header[target], "a number",
                       file.cell(r, target));
      y[r] = *numbers[r];
    }
  }

  // Seeded shuffle, then the first N - n_test shuffled rows train and the rest test.
  std::vector<int> order(file.rows());
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
  if (n_test == 0 && config.test_fraction > 0)
    d.warnings.push_back("data.test_fraction " + format_fraction(config.test_fraction) + " of the " +
                         std::to_string(n) + " rows in " + path +
                         " rounds to no test rows: the run has no test loss or accuracy");
  take(0, n_train, d.x_train, d.y_train);
  take(n_train, n_test, d.x_test, d.y_test);
  if (config.standardize) standardize(d, path);
  return d;
}

}  // namespace

Mat<double> read_features(const std::string& path,
                          const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& ignored) {
  CsvFile file;
  read_csv(path, file);
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
                static_cast<Eigen::Index>(file.rows()));
  for (std::size_t r = 0; r < file.rows(); ++r)
    for (std::size_t f = 0; f < columns.size(); ++f) {
      const std::string_view cell = file.cell(r, columns[f]);
      const auto value = parse_number(cell);
      if (!value)
        throw DataError(path + ":" + std::to_string(file.numbers[r]) + ": column \"" +
                        feature_names[f] + "\": expected a number, got \"" +
                        std::string(cell) + "\"");
      x(static_cast<Eigen::Index>(f), static_cast<Eigen::Index>(r)) = *value;
    }
  return x;
}

Dataset make_dataset(const DataConfig& config, std::uint64_t seed) {
  return config.type == DataKind::csv ? load_csv(config, seed) : make_generated(config, seed);
}

}  // namespace nnlab
