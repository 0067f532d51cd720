// Lab files: the strict reader, the measurements read from run files, the verdict, and the
// verdict.json / REPORT.md writers.
#include "lab/lab.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "config/config.h"
#include "lab/cost.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "config/feasibility.h"
#include "sweep/summarize.h"
#include "base/json_io.h"
#include "run/run_dir.h"

namespace nnlab {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const std::vector<std::pair<LabMeasure::Kind, const char*>> kKinds{
    {LabMeasure::Kind::layer_log_slope, "layer_log_slope"},
    {LabMeasure::Kind::layer_factor, "layer_factor"},
    {LabMeasure::Kind::layer_ratio, "layer_ratio"},
    {LabMeasure::Kind::layer_norm, "layer_norm"},
    {LabMeasure::Kind::time_ratio, "time_ratio"},
    {LabMeasure::Kind::time_reach, "time_reach"},
    {LabMeasure::Kind::metric, "metric"},
    {LabMeasure::Kind::final, "final"},
    {LabMeasure::Kind::diverged, "diverged"},
    {LabMeasure::Kind::clipped_fraction, "clipped_fraction"},
    {LabMeasure::Kind::activation_memory, "activation_memory"},
    {LabMeasure::Kind::backward_macs_ratio, "backward_macs_ratio"},
    {LabMeasure::Kind::backward_time_ratio, "backward_time_ratio"},
    {LabMeasure::Kind::forward_macs, "forward_macs"},
    {LabMeasure::Kind::backward_macs, "backward_macs"},
    {LabMeasure::Kind::forward_time, "forward_time"},
    {LabMeasure::Kind::backward_time, "backward_time"},
};

const char* kind_name(LabMeasure::Kind kind) {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "?";
}

// Collects every problem of a lab file with its JSON path.
class LabReader {
 public:
  std::vector<ConfigIssue> issues;
  void issue(std::string path, std::string message) {
    issues.push_back({std::move(path), std::move(message)});
  }
  // Reports keys of `object` outside `known` (keys starting with '_' are comments).
  void known_keys(const ordered_json& object, const std::string& path,
                  const std::vector<std::string>& known) {
    for (const auto& [key, value] : object.items()) {
      if ((!key.empty() && key[0] == '_') || std::find(known.begin(), known.end(), key) != known.end())
        continue;
      std::string message = "unknown key";
      if (auto guess = closest_match(key, known)) message += " (did you mean \"" + *guess + "\"?)";
      issue(join(path, key), message);
    }
  }
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  const ordered_json* find(const ordered_json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }
  std::string text(const ordered_json& object, const std::string& path, const char* key,
                   bool required) {
    const ordered_json* v = find(object, key);
    if (v == nullptr) {
      if (required) issue(join(path, key), "required: a non-empty string");
      return "";
    }
    if (!v->is_string() || v->get<std::string>().empty()) {
      issue(join(path, key), "expected a non-empty string, got " + describe_json(*v));
      return "";
    }
    return v->get<std::string>();
  }
  template <typename Int>
  void integer(const ordered_json& object, const std::string& path, const char* key, Int& out,
               long long lo, long long hi) {
    const ordered_json* v = find(object, key);
    if (v == nullptr) return;
    if (!v->is_number_integer() || v->get<long long>() < lo || v->get<long long>() > hi) {
      issue(join(path, key), "expected an integer in [" + std::to_string(lo) + ", " +
                                 std::to_string(hi) + "], got " + describe_json(*v));
      return;
    }
    out = static_cast<Int>(v->get<long long>());
  }
  std::optional<double> number(const ordered_json& object, const std::string& path, const char* key) {
    const ordered_json* v = find(object, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) {
      issue(join(path, key), "expected a number, got " + describe_json(*v));
      return std::nullopt;
    }
    return v->get<double>();
  }
};

LabMeasure read_measure(LabReader& r, const ordered_json& v, const std::string& path) {
  LabMeasure m;
  if (!v.is_object()) {
    r.issue(path, "expected an object {\"kind\": ..., ...}, got " + describe_json(v));
    return m;
  }
  r.known_keys(v, path, {"kind", "param", "step", "first_k", "layers", "layer", "over", "t",
                         "over_t", "field", "relative_to"});
  std::vector<std::string> names;
  for (const auto& [k, name] : kKinds) names.emplace_back(name);
  const std::string kind = r.text(v, path, "kind", true);
  bool found = kind.empty();
  for (const auto& [k, name] : kKinds)
    if (kind == name) {
      m.kind = k;
      found = true;
    }
  if (!found) {
    std::string message = "unknown kind \"" + kind + "\"";
    if (auto guess = closest_match(kind, names)) message += " (did you mean \"" + *guess + "\"?)";
    r.issue(LabReader::join(path, "kind"), message);
  }
  if (auto param = r.text(v, path, "param", false); !param.empty()) m.param = param;
  r.integer(v, path, "step", m.step, 1, 1'000'000'000'000LL);
  r.integer(v, path, "first_k", m.first_k, 1, 1'000'000'000LL);
  if (const ordered_json* layers = r.find(v, "layers")) {
    if (!layers->is_array() || layers->size() != 2 || !(*layers)[0].is_number_integer() ||
        !(*layers)[1].is_number_integer() || (*layers)[0].get<long long>() == 0 ||
        (*layers)[1].get<long long>() == 0)
      r.issue(LabReader::join(path, "layers"),
              "expected [from, to]: non-zero layer numbers (negative counts from the output "
              "layer, -1), got " + describe_json(*layers));
    else {
      m.from = static_cast<int>(std::clamp<long long>((*layers)[0].get<long long>(), -100000, 100000));
      m.to = static_cast<int>(std::clamp<long long>((*layers)[1].get<long long>(), -100000, 100000));
    }
  }
  r.integer(v, path, "layer", m.layer, -100000, 100000);
  r.integer(v, path, "over", m.over, -100000, 100000);
  r.integer(v, path, "t", m.t, -1'000'000, 1'000'000);
  r.integer(v, path, "over_t", m.over_t, -1'000'000, 1'000'000);
  m.field = r.text(v, path, "field", m.kind == LabMeasure::Kind::metric || m.kind == LabMeasure::Kind::final);
  m.relative_to = r.text(v, path, "relative_to", false);
  if (m.kind == LabMeasure::Kind::activation_memory) {
    if (!m.relative_to.empty() && m.relative_to != "full_bptt")
      r.issue(LabReader::join(path, "relative_to"),
              "expected \"full_bptt\" for kind \"activation_memory\", got \"" + m.relative_to + "\"");
  } else if (!m.relative_to.empty() && m.kind != LabMeasure::Kind::final) {
    r.issue(LabReader::join(path, "relative_to"),
            "applies only to kinds \"final\" and \"activation_memory\"");
  } else if (!m.relative_to.empty() && m.relative_to != "baseline" && m.relative_to != "initial") {
    r.issue(LabReader::join(path, "relative_to"),
            "expected \"baseline\" or \"initial\", got \"" + m.relative_to + "\"");
  }
  if (m.layer == 0 || m.over == 0 || m.t == 0 || m.over_t == 0)
    r.issue(path, "layer, over, t and over_t count from 1 (negative: from the end)");
  return m;
}

// A prediction's bounds: at most one of value (with tolerance), at_most, at_least.
void read_bounds(LabReader& r, const ordered_json& v, const std::string& path, std::optional<double>& value,
                 std::optional<double>& tolerance, std::optional<double>& at_most,
                 std::optional<double>& at_least) {
  value = r.number(v, path, "value");
  tolerance = r.number(v, path, "tolerance");
  at_most = r.number(v, path, "at_most");
  at_least = r.number(v, path, "at_least");
  const int forms = (value ? 1 : 0) + (at_most ? 1 : 0) + (at_least ? 1 : 0);
  if (forms > 1 || (forms == 0 && tolerance))
    r.issue(path, "give at most one of \"value\" (with \"tolerance\"), \"at_most\", \"at_least\" "
                  "(none: a measurement only reported)");
  if (forms <= 1 && value.has_value() != tolerance.has_value())
    r.issue(LabReader::join(path, "tolerance"), "\"value\" and \"tolerance\" go together");
  if (tolerance && !(*tolerance >= 0))
    r.issue(LabReader::join(path, "tolerance"), "expected a number >= 0");
}

LabPrediction read_prediction(LabReader& r, const ordered_json& v, const std::string& path) {
  LabPrediction p;
  if (!v.is_object()) {
    r.issue(path, "expected an object, got " + describe_json(v));
    return p;
  }
  r.known_keys(v, path, {"text", "where", "versus", "measure", "value", "tolerance", "at_most", "at_least",
                         "quick"});
  p.text = r.text(v, path, "text", true);
  if (const ordered_json* where = r.find(v, "where")) {
    if (!where->is_object())
      r.issue(LabReader::join(path, "where"), "expected an object {\"key.path\": value}, got " + describe_json(*where));
    else
      for (const auto& [key, value] : where->items()) p.where.emplace_back(key, json(value));
  }
  if (const ordered_json* versus = r.find(v, "versus")) {
    if (!versus->is_object() || versus->empty())
      r.issue(LabReader::join(path, "versus"),
              "expected a non-empty object {\"key.path\": value} naming the group compared with, got " +
                  describe_json(*versus));
    else
      for (const auto& [key, value] : versus->items()) p.versus.emplace_back(key, json(value));
  }
  if (const ordered_json* m = r.find(v, "measure"))
    p.measure = read_measure(r, *m, LabReader::join(path, "measure"));
  else
    r.issue(LabReader::join(path, "measure"), "required: what is measured in each run");
  read_bounds(r, v, path, p.value, p.tolerance, p.at_most, p.at_least);
  if (const ordered_json* quick = r.find(v, "quick")) {
    const std::string qpath = LabReader::join(path, "quick");
    if (!quick->is_object()) {
      r.issue(qpath, "expected an object {\"value\", \"tolerance\"} or {\"at_most\"} or {\"at_least\"}, got " + describe_json(*quick));
    } else {
      r.known_keys(*quick, qpath, {"value", "tolerance", "at_most", "at_least"});
      p.has_quick = true;
      read_bounds(r, *quick, qpath, p.quick_value, p.quick_tolerance, p.quick_at_most, p.quick_at_least);
    }
  }
  return p;
}

LabFigure read_figure(LabReader& r, const ordered_json& v, const std::string& path) {
  LabFigure f;
  if (!v.is_object()) {
    r.issue(path, "expected an object {\"file\", \"caption\", \"plot\"}, got " + describe_json(v));
    return f;
  }
  r.known_keys(v, path, {"file", "caption", "plot"});
  f.file = r.text(v, path, "file", true);
  if (!f.file.empty() && (f.file.find('/') != std::string::npos || !f.file.ends_with(".png")))
    r.issue(LabReader::join(path, "file"), "expected a file name ending in .png (no '/'), got \"" + f.file + "\"");
  f.caption = r.text(v, path, "caption", false);
  const ordered_json* plot = r.find(v, "plot");
  if (plot == nullptr || !plot->is_array() || plot->empty() ||
      !std::all_of(plot->begin(), plot->end(), [](const auto& a) { return a.is_string(); }))
    r.issue(LabReader::join(path, "plot"),
            "expected a non-empty list of plot_grad_norms.py arguments (strings), got " +
                (plot ? describe_json(*plot) : std::string("nothing")));
  else
    for (const auto& a : *plot) f.plot.push_back(a.get<std::string>());
  return f;
}

// The sweep document for parse_sweep: the lab's sweep with --quick's replacements.
ordered_json sweep_document(const Lab& lab, bool quick) {
  ordered_json doc = lab.sweep;
  doc["name"] = lab.name;
  if (!quick) return doc;
  for (const auto& [key, value] : lab.quick.items()) {
    if ((key == "set" || key == "grid") && value.is_object() && doc.contains(key) &&
        doc[key].is_object()) {
      for (const auto& [k, v] : value.items()) doc[key][k] = v;  // key-wise replacement
    } else {
      doc[key] = value;
    }
  }
  return doc;
}

// --- reading run files --------------------------------------------------------------------------

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream s(line);
  for (std::string f; std::getline(s, f, ',');) fields.push_back(f);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

double to_double(const std::string& text) {
  if (text.empty()) return std::nan("");
  if (text == "nan" || text == "-nan") return std::nan("");
  if (text == "inf") return INFINITY;
  if (text == "-inf") return -INFINITY;
  double x = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nan("");
  return x;
}

// A run's CSV file as a header and rows of fields.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t column(const std::string& name, const fs::path& file) const {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw IoError(file.string() + ": no column \"" + name + "\"");
    return static_cast<std::size_t>(it - header.begin());
  }
};

Table read_table(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw IoError("cannot read " + file.string());
  Table t;
  std::string line;
  if (!std::getline(in, line)) throw IoError(file.string() + ": empty file");
  t.header = split(line);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto fields = split(line);
    if (fields.size() == t.header.size()) t.rows.push_back(std::move(fields));
  }
  return t;
}

json read_json_file(const fs::path& file) {
  auto doc = read_json_object(file);
  if (!doc) throw IoError(file.string() + ": cannot be read as a JSON object");
  return *doc;
}

// Layer -> norm of `param` at the measure's step (or averaged over its first K logged steps).
std::map<int, double> layer_norms(const LabMeasure& m, const fs::path& dir) {
  const fs::path file = dir / kGradNormsFile;
  const Table t = read_table(file);
  const std::size_t c_step = t.column("step", file), c_layer = t.column("layer", file),
                    c_param = t.column("param", file), c_grad = t.column("grad_norm", file);
  std::map<int, std::pair<double, int>> sums;
  std::vector<std::string> steps;  // logged steps in order
  for (const auto& row : t.rows) {
    if (steps.empty() || steps.back() != row[c_step]) steps.push_back(row[c_step]);
    if (row[c_param] != m.param) continue;
    const bool wanted = m.first_k > 0 ? static_cast<long long>(steps.size()) <= m.first_k
                                      : row[c_step] == std::to_string(m.step);
    if (!wanted) continue;
    auto& [sum, count] = sums[std::atoi(row[c_layer].c_str())];
    sum += to_double(row[c_grad]);
    ++count;
  }
  if (sums.empty())
    throw IoError(file.string() + ": no \"" + m.param + "\" rows " +
                  (m.first_k > 0 ? std::string("in the first logged steps")
                                 : "at step " + std::to_string(m.step)));
  std::map<int, double> norms;
  for (const auto& [layer, sc] : sums) norms[layer] = sc.first / sc.second;
  return norms;
}

int resolve(int layer, int count) { return layer > 0 ? layer : count + 1 + layer; }

// Least-squares slope of y against x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxx > 0 ? sxy / sxx : std::nan("");
}

std::string num(double x, int digits = 6) {
  if (std::isnan(x)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

std::string layer_text(int layer) {
  if (layer > 0) return std::to_string(layer);
  if (layer == -1) return "output";
  if (layer == -2) return "the last hidden layer";
  return "output" + std::to_string(layer + 1);
}

std::string norm_symbol(const std::string& param) {
  if (param == "delta") return "‖δ^(l)‖";
  return "‖∂L/∂" + param + "^(l)‖";
}

json json_number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

// A run directory's resolved config.json, read strictly; a bad one is an I/O error of the run.
Config run_config(const fs::path& dir) {
  const fs::path file = dir / kConfigFile;
  try {
    return parse_config(read_json_file(file), ConfigContext{fs::absolute(dir), "run"});
  } catch (const ConfigError& e) {
    throw IoError(file.string() + ": not a valid config: " + e.what());
  }
}

}  // namespace

std::string LabMeasure::describe() const {
  const std::string at = first_k > 0 ? "mean over the first " + std::to_string(first_k) + " logged steps"
                                     : "step " + std::to_string(step);
  const std::string range = "layers " + layer_text(from) + "…" + layer_text(to);
  switch (kind) {
    case Kind::layer_log_slope:
      return "fitted change of ln " + norm_symbol(param) + "² per layer going toward the input (" +
             range + ", " + at + ")";
    case Kind::layer_factor:
      return "per-layer factor of " + norm_symbol(param) + " going toward the input: exp of the fitted "
             "slope of ln " + norm_symbol(param) + " (" + range + ", " + at + ")";
    case Kind::layer_ratio:
      return norm_symbol(param) + " of layer " + layer_text(layer) + " / layer " + layer_text(over) +
             " (" + at + ")";
    case Kind::layer_norm:
      return norm_symbol(param) + " of layer " + layer_text(layer) + " (" + at + ")";
    case Kind::time_ratio:
      return "‖∂L/∂h_t‖ at t = " + (t > 0 ? std::to_string(t) : "T" + std::to_string(t + 1)) +
             " / at t = " + (over_t > 0 ? std::to_string(over_t) : over_t == -1 ? "T" : "T" + std::to_string(over_t + 1)) +
             " (recurrent layer " + std::to_string(layer) + ", step " + std::to_string(step) + ")";
    case Kind::time_reach:
      return "time steps t with ‖∂L/∂h_t‖ > 0 (recurrent layer " + std::to_string(layer) +
             ", step " + std::to_string(step) + "; truncated BPTT logs only the step's chunk)";
    case Kind::metric:
      return "metrics.csv " + field + " at step " + std::to_string(step);
    case Kind::final:
      return "final " + field + (relative_to == "baseline" ? " / the task's baseline"
                                 : relative_to == "initial" ? " / its value before training" : "");
    case Kind::diverged:
      return "1 if the run diverged (NaN/Inf), else 0";
    case Kind::clipped_fraction:
      return "share of steps whose gradient was clipped";
    case Kind::activation_memory:
      return std::string("estimated activation memory (bytes; lib/config/feasibility, from config.json)") +
             (relative_to == "full_bptt" ? " / the same run's with full BPTT (train.truncation 0)" : "");
    case Kind::backward_macs_ratio:
      return "multiply-adds of one backward pass / one forward pass of a training batch, counted "
             "from the architecture (matrix products)";
    case Kind::backward_time_ratio:
      return "median time of one backward pass / one forward pass of a training batch, measured "
             "on this machine (not reproducible bit for bit)";
    case Kind::forward_macs:
      return "multiply-adds of one forward pass of a training batch (matrix products)";
    case Kind::backward_macs:
      return "multiply-adds of one backward pass of a training batch (matrix products)";
    case Kind::forward_time:
      return "median time of one forward pass of a training batch, ms, measured on this machine";
    case Kind::backward_time:
      return "median time of one backward pass of a training batch, ms, measured on this machine";
  }
  return "?";
}

Lab parse_lab(const ordered_json& doc, const fs::path& file) {
  LabReader r;
  Lab lab;
  lab.file = fs::absolute(file).lexically_normal();
  if (!doc.is_object()) throw ConfigError("", file.string() + ": expected a JSON object");
  r.known_keys(doc, "", {"name", "question", "chapter", "sweep", "quick", "predictions", "figures", "notes"});
  lab.name = lab.file.stem().string();
  if (auto name = r.text(doc, "", "name", false); !name.empty()) {
    if (name != lab.name)
      r.issue("name", "\"" + name + "\" differs from the file's name \"" + lab.name + "\"");
  }
  lab.question = r.text(doc, "", "question", true);
  if (lab.question.find('\n') != std::string::npos) r.issue("question", "expected one line");
  lab.chapter = r.text(doc, "", "chapter", true);
  lab.notes = r.text(doc, "", "notes", false);
  if (const ordered_json* sweep = r.find(doc, "sweep"); sweep && sweep->is_object()) {
    lab.sweep = *sweep;
    for (const char* key : {"name", "out"})
      if (sweep->contains(key)) r.issue(std::string("sweep.") + key, "set by the lab (its name; --out)");
  } else {
    r.issue("sweep", "required: an object in the sweep-file format (base, set, grid, runs, seeds)");
  }
  if (const ordered_json* quick = r.find(doc, "quick")) {
    if (!quick->is_object())
      r.issue("quick", "expected an object replacing the sweep's set/grid/runs/seeds, got " + describe_json(*quick));
    else {
      r.known_keys(*quick, "quick", {"set", "grid", "runs", "seeds"});
      lab.quick = *quick;
    }
  }
  if (const ordered_json* predictions = r.find(doc, "predictions"); predictions &&
      predictions->is_array() && !predictions->empty()) {
    for (std::size_t i = 0; i < predictions->size(); ++i)
      lab.predictions.push_back(read_prediction(r, (*predictions)[i], "predictions[" + std::to_string(i) + "]"));
  } else {
    r.issue("predictions", "required: a non-empty list of predictions");
  }
  if (const ordered_json* figures = r.find(doc, "figures")) {
    if (!figures->is_array())
      r.issue("figures", "expected a list, got " + describe_json(*figures));
    else
      for (std::size_t i = 0; i < figures->size(); ++i)
        lab.figures.push_back(read_figure(r, (*figures)[i], "figures[" + std::to_string(i) + "]"));
  }
  // The sweep (full and quick) must expand; its problems are reported under "sweep"/"quick".
  if (r.issues.empty()) {
    for (bool quick : {false, true}) {
      if (quick && lab.quick.empty()) continue;
      try {
        expand_sweep(parse_sweep(sweep_document(lab, quick), lab.file, "/nonexistent/lab"));
      } catch (const ConfigError& e) {
        for (const auto& issue : e.issues())
          r.issue(std::string(quick ? "quick" : "sweep") + (issue.path.empty() ? "" : "." + issue.path),
                  issue.message);
        break;  // the quick sweep would repeat the problem
      }
    }
  }
  if (!r.issues.empty()) {
    for (auto& issue : r.issues) issue.path = file.filename().string() + ": " + issue.path;
    throw ConfigError(std::move(r.issues));
  }
  return lab;
}

Lab read_lab_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ConfigError("", path.string() + ": no such lab file");
  ordered_json doc;
  try {
    doc = parse_ordered_json(read_json_text(path));
  } catch (const JsonError& e) {
    throw ConfigError("", path.string() + ": " + e.what());
  } catch (const IoError&) {
    throw ConfigError("", "cannot read lab file " + path.string());
  }
  return parse_lab(doc, path);
}

Lab quick_variant(Lab lab) {
  for (auto& p : lab.predictions) {
    if (!p.has_quick) continue;
    p.value = p.quick_value;
    p.tolerance = p.quick_tolerance;
    p.at_most = p.quick_at_most;
    p.at_least = p.quick_at_least;
  }
  return lab;
}

SweepSpec lab_sweep(const Lab& lab, bool quick, const fs::path& out) {
  return parse_sweep(sweep_document(lab, quick), lab.file, out.string());
}

double measure_run(const LabMeasure& m, const fs::path& dir) {
  using Kind = LabMeasure::Kind;
  switch (m.kind) {
    case Kind::layer_log_slope:
    case Kind::layer_factor: {
      const auto norms = layer_norms(m, dir);
      const int count = norms.rbegin()->first;
      const int from = resolve(m.from, count), to = resolve(m.to, count);
      if (from < 1 || to > count || to - from < 1)
        throw IoError(dir.string() + ": layers " + std::to_string(from) + "…" + std::to_string(to) +
                      " do not fit a net of " + std::to_string(count) + " layers");
      std::vector<double> x, y;
      for (int l = from; l <= to; ++l) {
        auto it = norms.find(l);
        if (it == norms.end() || !(it->second > 0) || !std::isfinite(it->second)) return std::nan("");
        x.push_back(l);
        y.push_back(m.kind == Kind::layer_log_slope ? 2 * std::log(it->second) : std::log(it->second));
      }
      const double b = slope(x, y);
      return m.kind == Kind::layer_log_slope ? -b : std::exp(-b);
    }
    case Kind::layer_ratio:
    case Kind::layer_norm: {
      const auto norms = layer_norms(m, dir);
      const int count = norms.rbegin()->first;
      auto at = [&](int layer) {
        auto it = norms.find(resolve(layer, count));
        if (it == norms.end())
          throw IoError(dir.string() + ": no layer " + std::to_string(resolve(layer, count)) +
                        " in grad_norms.csv");
        return it->second;
      };
      return m.kind == Kind::layer_norm ? at(m.layer) : at(m.layer) / at(m.over);
    }
    case Kind::time_ratio:
    case Kind::time_reach: {
      const fs::path file = dir / kTimeGradNormsFile;
      const Table t = read_table(file);
      const std::size_t c_step = t.column("step", file), c_layer = t.column("layer", file),
                        c_t = t.column("t", file), c_grad = t.column("grad_norm", file);
      std::map<long long, double> by_t;
      for (const auto& row : t.rows)
        if (row[c_step] == std::to_string(m.step) && row[c_layer] == std::to_string(m.layer))
          by_t[std::atoll(row[c_t].c_str())] = to_double(row[c_grad]);
      if (by_t.empty())
        throw IoError(file.string() + ": no rows of layer " + std::to_string(m.layer) + " at step " +
                      std::to_string(m.step));
      if (m.kind == Kind::time_reach) {
        // Steps outside the chunk have no row; a row of 0 (or nan) is not reached either.
        double reached = 0;
        for (const auto& [step_t, norm] : by_t) reached += norm > 0 && std::isfinite(norm) ? 1 : 0;
        return reached;
      }
      const long long last = by_t.rbegin()->first;
      auto at = [&](long long t) {
        const long long k = t > 0 ? t : last + 1 + t;
        auto it = by_t.find(k);
        if (it == by_t.end()) throw IoError(file.string() + ": no row for t = " + std::to_string(k));
        return it->second;
      };
      return at(m.t) / at(m.over_t);
    }
    case Kind::metric: {
      const fs::path file = dir / kMetricsFile;
      const Table t = read_table(file);
      const std::size_t c_step = t.column("step", file), c = t.column(m.field, file);
      for (const auto& row : t.rows)
        if (row[c_step] == std::to_string(m.step)) return to_double(row[c]);
      return std::nan("");  // the run stopped before that step
    }
    case Kind::final: {
      const json summary = read_json_file(dir / kSummaryFile);
      const json final = summary.value("final", json::object());
      if (!final.is_object() || !final.contains(m.field) || !final[m.field].is_number()) return std::nan("");
      double x = final[m.field].get<double>();
      if (m.relative_to == "baseline") {
        const json baseline = summary.value("baseline", json::object());
        if (!baseline.is_object() || !baseline.contains("value") || !baseline["value"].is_number())
          throw IoError((dir / kSummaryFile).string() + ": no baseline (not a sequence task)");
        x /= baseline["value"].get<double>();
      } else if (m.relative_to == "initial") {
        const fs::path file = dir / kEvalFile;
        const Table t = read_table(file);
        if (t.rows.empty()) throw IoError(file.string() + ": no rows");
        x /= to_double(t.rows.front()[t.column(m.field, file)]);
      }
      return x;
    }
    case Kind::diverged:
      return recorded_status(dir) == "diverged" ? 1.0 : 0.0;
    case Kind::activation_memory: {
      Config config = run_config(dir);
      const double bytes = static_cast<double>(estimate_run(config).activations);
      if (m.relative_to != "full_bptt") return bytes;
      config.train.truncation = 0;
      return bytes / static_cast<double>(estimate_run(config).activations);
    }
    case Kind::clipped_fraction: {
      const fs::path file = dir / kMetricsFile;
      const Table t = read_table(file);
      const std::size_t c = t.column("clipped", file);
      if (t.rows.empty()) return std::nan("");
      double clipped = 0;
      for (const auto& row : t.rows) clipped += row[c] == "1" ? 1 : 0;
      return clipped / static_cast<double>(t.rows.size());
    }
    case Kind::backward_macs_ratio:
    case Kind::backward_time_ratio:
    case Kind::forward_macs:
    case Kind::backward_macs:
    case Kind::forward_time:
    case Kind::backward_time: {
      // The run's resolved config rebuilds its model (initialised as the run started).
      const Config config = run_config(dir);
      const bool time = m.kind == Kind::backward_time_ratio || m.kind == Kind::forward_time ||
                        m.kind == Kind::backward_time;
      // A run is timed once per process (see lab.h); the counts are cheap and exact.
      static std::mutex mutex;
      static std::map<std::string, PassCost> timed;
      const std::string key = fs::absolute(dir).lexically_normal().string();
      PassCost cost;
      if (time) {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = timed.find(key);
        if (it == timed.end()) it = timed.emplace(key, pass_cost(config, true)).first;
        cost = it->second;
      } else {
        cost = pass_cost(config, false);
      }
      switch (m.kind) {
        case Kind::backward_macs_ratio: return cost.backward_macs / cost.forward_macs;
        case Kind::backward_time_ratio: return cost.backward_seconds / cost.forward_seconds;
        case Kind::forward_macs: return cost.forward_macs;
        case Kind::backward_macs: return cost.backward_macs;
        case Kind::forward_time: return cost.forward_seconds * 1e3;
        default: return cost.backward_seconds * 1e3;
      }
    }
  }
  return std::nan("");
}

LabVerdict compute_verdict(const Lab& lab, const Sweep& sweep) {
  LabVerdict verdict;
  verdict.agrees = true;
  // The runs' resolved configs, read once.
  std::vector<json> configs;
  for (const auto& run : sweep.runs) configs.push_back(read_json_file(run_dir(sweep.spec, run) / kConfigFile));
  using Where = std::vector<std::pair<std::string, json>>;
  auto matches = [&](std::size_t i, const Where& where) {
    return std::all_of(where.begin(), where.end(), [&](const auto& kv) {
      const json* v = at_path(configs[i], kv.first);
      return v != nullptr && *v == kv.second;
    });
  };
  for (const auto& p : lab.predictions) {
    LabResult result;
    result.prediction = &p;
    std::vector<double> finite;
    for (std::size_t i = 0; i < sweep.runs.size(); ++i) {
      if (!matches(i, p.where)) continue;
      double x = measure_run(p.measure, run_dir(sweep.spec, sweep.runs[i]));
      std::string name = sweep.runs[i].name;
      if (!p.versus.empty()) {
        // The comparison: minus the one run of the versus group with the same seed.
        if (matches(i, p.versus))
          throw IoError("prediction \"" + p.text + "\": run " + name +
                        " matches both \"where\" and \"versus\"");
        const json* seed = at_path(configs[i], "seed");
        std::optional<std::size_t> partner;
        for (std::size_t k = 0; k < sweep.runs.size(); ++k) {
          const json* s = at_path(configs[k], "seed");
          if (!matches(k, p.versus) || s == nullptr || seed == nullptr || *s != *seed) continue;
          if (partner)
            throw IoError("prediction \"" + p.text + "\": runs " + sweep.runs[*partner].name + " and " +
                          sweep.runs[k].name + " both match \"versus\" with the seed of " + name);
          partner = k;
        }
        if (!partner)
          throw IoError("prediction \"" + p.text + "\": no run matching \"versus\" has the seed of " + name);
        x -= measure_run(p.measure, run_dir(sweep.spec, sweep.runs[*partner]));
        name += " − " + sweep.runs[*partner].name;
      }
      result.values.emplace_back(name, x);
      if (std::isfinite(x))
        finite.push_back(x);
      else
        ++result.nonfinite;
    }
    result.n = finite.size();
    if (!finite.empty()) {
      double sum = 0;
      for (double x : finite) sum += x;
      result.mean = sum / static_cast<double>(finite.size());
      double ss = 0;
      for (double x : finite) ss += (x - result.mean) * (x - result.mean);
      result.std = finite.size() > 1 ? std::sqrt(ss / static_cast<double>(finite.size() - 1)) : 0;
      result.min = *std::min_element(finite.begin(), finite.end());
      result.max = *std::max_element(finite.begin(), finite.end());
    }
    // Every matching run must have given a finite value; then the mean is compared.
    bool ok = result.n > 0 && result.nonfinite == 0;
    if (ok && p.value) ok = std::fabs(result.mean - *p.value) <= *p.tolerance;
    if (ok && p.at_most) ok = result.mean <= *p.at_most;
    if (ok && p.at_least) ok = result.mean >= *p.at_least;
    result.agrees = ok;
    verdict.agrees = verdict.agrees && ok;
    verdict.results.push_back(std::move(result));
  }
  return verdict;
}

namespace {

std::string group_text(const std::vector<std::pair<std::string, json>>& where) {
  if (where.empty()) return "every run";
  std::string out;
  for (const auto& [key, value] : where)
    out += (out.empty() ? "" : ", ") + key + " = " + (value.is_string() ? value.get<std::string>() : value.dump());
  return out;
}

std::string where_text(const LabPrediction& p) {
  if (p.versus.empty()) return group_text(p.where);
  return group_text(p.where) + " minus " + group_text(p.versus) + ", paired by seed";
}

std::string measured_text(const LabResult& r) {
  if (r.n == 0) return "no finite value";
  std::string out = num(r.mean);
  if (r.n > 1) out += " ± " + num(r.std, 2) + " (" + num(r.min) + " … " + num(r.max) + ")";
  if (r.nonfinite > 0) out += ", " + std::to_string(r.nonfinite) + " run(s) without a finite value";
  return out;
}

}  // namespace

std::string prediction_text(const LabPrediction& p) {
  if (p.reported_only()) return "(reported)";
  if (p.value) return num(*p.value) + " ± " + num(*p.tolerance);
  if (p.at_most) return "≤ " + num(*p.at_most);
  return "≥ " + num(*p.at_least);
}

json verdict_json(const Lab& lab, const LabVerdict& verdict, bool quick) {
  json out;
  out["lab"] = lab.name;
  out["question"] = lab.question;
  out["quick"] = quick;
  out["verdict"] = verdict.agrees ? "agrees" : "disagrees";
  json predictions = json::array();
  for (const auto& r : verdict.results) {
    const LabPrediction& p = *r.prediction;
    json item;
    item["text"] = p.text;
    json where = json::object();
    for (const auto& [key, value] : p.where) where[key] = value;
    item["where"] = where;
    if (!p.versus.empty()) {
      json versus = json::object();
      for (const auto& [key, value] : p.versus) versus[key] = value;
      item["versus"] = versus;
    }
    item["measure"] = {{"kind", kind_name(p.measure.kind)}, {"description", p.measure.describe()}};
    json predicted = json::object();
    if (p.value) predicted["value"] = *p.value, predicted["tolerance"] = *p.tolerance;
    if (p.at_most) predicted["at_most"] = *p.at_most;
    if (p.at_least) predicted["at_least"] = *p.at_least;
    if (p.reported_only()) predicted["reported_only"] = true;
    item["prediction"] = predicted;
    item["measured"] = {{"mean", r.n ? json_number(r.mean) : json(nullptr)},
                        {"std", r.n ? json_number(r.std) : json(nullptr)},
                        {"min", r.n ? json_number(r.min) : json(nullptr)},
                        {"max", r.n ? json_number(r.max) : json(nullptr)},
                        {"runs", r.values.size()},
                        {"nonfinite", r.nonfinite}};
    json runs = json::object();
    for (const auto& [name, x] : r.values) runs[name] = json_number(x);
    item["runs"] = runs;
    item["agrees"] = r.agrees;
    predictions.push_back(item);
  }
  out["predictions"] = predictions;
  return out;
}

namespace {
// A table cell's text with its '|' escaped (a lab's prediction may write |a2 - y|).
std::string table_cell(const std::string& text) {
  std::string cell;
  for (char ch : text) {
    if (ch == '|') cell += '\\';
    cell += ch;
  }
  return cell;
}
}  // namespace

std::string report_markdown(const Lab& lab, const LabVerdict& verdict, bool quick,
                            const std::string& command, const std::vector<std::string>& figure_commands,
                            const std::vector<bool>& figures_drawn) {
  std::string md;
  md += "# Lab `" + lab.name + "`: " + lab.question + "\n\n";
  md += "> " + lab.chapter + "\n\n";
  std::size_t failing = 0;
  for (const auto& r : verdict.results) failing += r.agrees ? 0 : 1;
  md += "**Verdict: " + std::string(verdict.agrees ? "agrees" : "disagrees") + "**";
  md += verdict.agrees ? " — every prediction holds in the measured runs.\n\n"
                       : " — " + std::to_string(failing) + " of " + std::to_string(verdict.results.size()) +
                             " predictions do not hold in the measured runs.\n\n";
  md += "Reproduce: `" + command + "`" + (quick ? " (quick mode: fewer or shorter runs)" : "") + "\n\n";
  md += "## Predictions and measurements\n\n";
  md += "| prediction | runs | measured: mean ± std over runs (min … max) | predicted | |\n";
  md += "|---|---|---|---|---|\n";
  for (const auto& r : verdict.results) {
    md += "| " + table_cell(r.prediction->text) + " | " + table_cell(where_text(*r.prediction)) +
          " (" + std::to_string(r.values.size()) + ") | " + table_cell(measured_text(r)) + " | " +
          table_cell(prediction_text(*r.prediction)) + " | " +
          (!r.agrees ? "**disagrees**" : r.prediction->reported_only() ? "reported" : "agrees") + " |\n";
  }
  md += "\nWhat each number is:\n\n";
  for (std::size_t i = 0; i < verdict.results.size(); ++i) {
    const auto& r = verdict.results[i];
    md += "- " + r.prediction->text + ": " + r.prediction->measure.describe() +
          (r.prediction->versus.empty()
               ? ". Per run: "
               : ", of each run where " + group_text(r.prediction->where) + " minus the same of the run "
                 "with the same seed where " + group_text(r.prediction->versus) + ". Per pair: ");
    std::string per;
    for (const auto& [name, x] : r.values) per += (per.empty() ? "" : ", ") + ("`" + name + "` " + num(x));
    md += per + ".\n";
  }
  if (!lab.figures.empty()) {
    md += "\n## Figures\n\n";
    for (std::size_t i = 0; i < lab.figures.size(); ++i) {
      const auto& f = lab.figures[i];
      if (i < figures_drawn.size() && figures_drawn[i])
        md += "![" + f.caption + "](" + f.file + ")\n\n";
      else
        md += "Not drawn here (no Python with matplotlib). Draw it with:\n\n```sh\n" +
              (i < figure_commands.size() ? figure_commands[i] : std::string()) + "\n```\n\n";
      if (!f.caption.empty()) md += "*" + f.caption + "*\n\n";
    }
  }
  if (!lab.notes.empty()) md += "## What it means\n\n" + lab.notes + "\n\n";
  md += "## The runs\n\nThe sweep directory holds one run directory per run (config.json, "
        "grad_norms.csv, metrics.csv, ...), `summary.csv` (`nnlab summarize`) and `verdict.json`. "
        "Lab file: `labs/" + lab.name + ".json`.\n";
  return md;
}

std::vector<std::string> figure_arguments(const LabFigure& figure, const Sweep& sweep) {
  std::vector<std::string> args;
  for (const auto& a : figure.plot) {
    if (a == "{runs}") {
      for (const auto& run : sweep.runs) args.push_back(run_dir(sweep.spec, run).string());
    } else if (a == "{summary}") {
      args.push_back((sweep.spec.out / "summary.csv").string());
    } else if (a == "{dir}") {
      args.push_back(sweep.spec.out.string());
    } else {
      args.push_back(a);
    }
  }
  args.emplace_back("--out");
  args.push_back((sweep.spec.out / figure.file).string());
  return args;
}

}  // namespace nnlab
