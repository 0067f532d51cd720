// Writing and reading weights.json; numbers in shortest round-trip form of the model's dtype.
#include "nn/weights.h"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "base/csv.h"
#include "base/errors.h"
#include "base/json_io.h"

namespace nnlab {

namespace {
// JSON has no nan or inf: a diverged model's non-finite values are written as null, as nlohmann
// writes them in summary.json (docs/hardening.md); load_weights refuses them.
template <typename T>
void append_value(std::string& out, T x) {
  if (std::isfinite(x))
    append_number(out, x);
  else
    out += "null";
}

template <typename T>
void append_tensor(std::string& out, const Mat<T>& m, bool is_vector) {
  auto row = [&](Eigen::Index i) {
    out += '[';
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      if (j > 0) out += ", ";
      append_value(out, m(i, j));
    }
    out += ']';
  };
  if (is_vector) {  // (n, 1) written as a flat list
    out += '[';
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      if (i > 0) out += ", ";
      append_value(out, m(i, 0));
    }
    out += ']';
    return;
  }
  out += '[';
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    if (i > 0) out += ",\n      ";
    row(i);
  }
  out += ']';
}

// Weights beyond this magnitude are refused: no trained or initialised network has them, and
// they overflow the first forward pass (docs/hardening.md).
constexpr double kMaxWeight = 1e9;

template <typename T>
void read_tensor(const nlohmann::json& v, Mat<T>& m, bool is_vector, const std::string& where) {
  const std::string shape = is_vector ? "a list of " + std::to_string(m.rows()) + " numbers"
                                      : std::to_string(m.rows()) + " rows of " +
                                            std::to_string(m.cols()) + " numbers";
  auto fail = [&]() { throw ConfigError("model.weights", where + ": expected " + shape); };
  auto number = [&](const nlohmann::json& x, const std::string& index) {
    if (x.is_null())  // how a writer stores nan and inf (docs/hardening.md)
      throw ConfigError("model.weights", where + index + ": null (a non-finite value)");
    if (!x.is_number()) fail();
    const double value = x.get<double>();
    if (!(std::abs(value) <= kMaxWeight))
      throw ConfigError("model.weights", where + index + ": " + x.dump() +
                                             " is out of range (|value| <= 1e9)");
    return static_cast<T>(value);
  };
  if (!v.is_array()) fail();
  if (is_vector) {
    if (v.size() != static_cast<std::size_t>(m.rows())) fail();
    for (std::size_t i = 0; i < v.size(); ++i)
      m(static_cast<Eigen::Index>(i), 0) = number(v[i], "[" + std::to_string(i) + "]");
    return;
  }
  if (v.size() != static_cast<std::size_t>(m.rows())) fail();
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_array() || v[i].size() != static_cast<std::size_t>(m.cols())) fail();
    for (std::size_t j = 0; j < v[i].size(); ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          number(v[i][j], "[" + std::to_string(i) + "][" + std::to_string(j) + "]");
  }
}

std::string short_name(const std::string& name) {
  return name.size() <= 60 ? name : name.substr(0, 57) + "...";
}
}  // namespace

template <typename T>
std::string weights_to_json(Model<T>& model, DType dtype) {
  std::string out = "{\n  \"format\": \"nnlab-weights\",\n  \"version\": 1,\n  \"dtype\": \"";
  out += name_of(dtype);
  out += "\",\n  \"tensors\": {";
  bool first = true;
  auto add = [&](const std::string& name, const Mat<T>& m, bool is_vector) {
    out += first ? "\n    \"" : ",\n    \"";
    first = false;
    out += name + "\": ";
    append_tensor(out, m, is_vector);
  };
  for (const auto& p : model.params()) add(p.name, p.value, p.kind.rfind("W", 0) != 0);
  for (const auto& b : model.buffers()) add(b.name, b.value, true);
  out += "\n  }\n}\n";
  return out;
}

template <typename T>
void load_weights(Model<T>& model, const std::filesystem::path& path) {
  nlohmann::json doc;
  try {
    doc = parse_json(read_json_text(path, kWeightsJsonLimits), kWeightsJsonLimits);
  } catch (const IoError& e) {
    std::error_code ec;
    throw ConfigError("model.weights", std::filesystem::is_directory(path, ec)
                                           ? path.string() + " is a directory, not a weights file"
                                           : e.what());
  } catch (const JsonError& e) {
    throw ConfigError("model.weights", path.string() + ": " + e.what());
  }
  if (!doc.is_object() || doc.value("format", nlohmann::json()) != "nnlab-weights" ||
      !doc.contains("tensors") || !doc["tensors"].is_object())
    throw ConfigError("model.weights", path.string() +
                                           ": not an nnlab weights file (expected \"format\": "
                                           "\"nnlab-weights\" and a \"tensors\" object)");
  if (doc.value("version", nlohmann::json()) != 1)
    throw ConfigError("model.weights", path.string() + ": \"version\" " +
                                           json_excerpt(doc.value("version", nlohmann::json())) +
                                           " is not supported (this nnlab reads version 1)");
  const nlohmann::json dtype = doc.value("dtype", nlohmann::json());
  if (dtype != "float32" && dtype != "float64")
    throw ConfigError("model.weights", path.string() + ": \"dtype\" " + json_excerpt(dtype) +
                                           " is not \"float32\" or \"float64\"");
  const nlohmann::json& tensors = doc["tensors"];
  std::set<std::string> expected;
  for (auto& p : model.params()) {
    expected.insert(p.name);
    if (!tensors.contains(p.name))
      throw ConfigError("model.weights", path.string() + ": missing tensor \"" + p.name + "\"");
    read_tensor(tensors[p.name], p.value, p.kind.rfind("W", 0) != 0,
                path.string() + ": " + p.name);
  }
  for (auto& b : model.buffers()) {
    expected.insert(b.name);
    if (tensors.contains(b.name))
      read_tensor(tensors[b.name], b.value, true, path.string() + ": " + b.name);
  }
  for (const auto& [name, value] : tensors.items())
    if (expected.count(name) == 0)
      throw ConfigError("model.weights", path.string() + ": unexpected tensor \"" + short_name(name) +
                                             "\" (the model has no such parameter)");
}

template std::string weights_to_json(Model<float>&, DType);
template std::string weights_to_json(Model<double>&, DType);
template void load_weights(Model<float>&, const std::filesystem::path&);
template void load_weights(Model<double>&, const std::filesystem::path&);

}  // namespace nnlab
