// Writing and reading weights.json; numbers in shortest round-trip form of the model's dtype.
#include "weights.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "csv.h"
#include "errors.h"

namespace nnlab {

namespace {
template <typename T>
void append_tensor(std::string& out, const Mat<T>& m, bool is_vector) {
  auto row = [&](Eigen::Index i) {
    out += '[';
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      if (j > 0) out += ", ";
      append_number(out, m(i, j));
    }
    out += ']';
  };
  if (is_vector) {  // (n, 1) written as a flat list
    out += '[';
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      if (i > 0) out += ", ";
      append_number(out, m(i, 0));
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

template <typename T>
void read_tensor(const nlohmann::json& v, Mat<T>& m, bool is_vector, const std::string& where) {
  const std::string shape = is_vector ? "a list of " + std::to_string(m.rows()) + " numbers"
                                      : std::to_string(m.rows()) + " rows of " +
                                            std::to_string(m.cols()) + " numbers";
  auto fail = [&]() { throw ConfigError("model.weights", where + ": expected " + shape); };
  if (!v.is_array()) fail();
  if (is_vector) {
    if (v.size() != static_cast<std::size_t>(m.rows())) fail();
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number()) fail();
      m(static_cast<Eigen::Index>(i), 0) = static_cast<T>(v[i].get<double>());
    }
    return;
  }
  if (v.size() != static_cast<std::size_t>(m.rows())) fail();
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_array() || v[i].size() != static_cast<std::size_t>(m.cols())) fail();
    for (std::size_t j = 0; j < v[i].size(); ++j) {
      if (!v[i][j].is_number()) fail();
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          static_cast<T>(v[i][j].get<double>());
    }
  }
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
  std::ifstream in(path);
  if (!in) throw ConfigError("model.weights", "cannot read " + path.string());
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) throw ConfigError("model.weights", path.string() + ": invalid JSON");
  if (!doc.is_object() || doc.value("format", "") != "nnlab-weights" ||
      !doc.contains("tensors") || !doc["tensors"].is_object())
    throw ConfigError("model.weights", path.string() +
                                           ": not an nnlab weights file (expected \"format\": "
                                           "\"nnlab-weights\" and a \"tensors\" object)");
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
      throw ConfigError("model.weights", path.string() + ": unexpected tensor \"" + name +
                                             "\" (the model has no such parameter)");
}

template std::string weights_to_json(Model<float>&, DType);
template std::string weights_to_json(Model<double>&, DType);
template void load_weights(Model<float>&, const std::filesystem::path&);
template void load_weights(Model<double>&, const std::filesystem::path&);

}  // namespace nnlab
