// The summary table of a directory of runs: run discovery, config flattening, summary.json
// figures and a one-pass reader of grad_norms.csv.
#include "sweep/summarize.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/csv.h"
#include "base/errors.h"
#include "base/json_io.h"
#include "sweep/sweep.h"
#include "run/run_dir.h"

namespace nnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The figures of one logged step that the summary needs.
struct StepFigures {
  std::optional<double> first_w, first_delta;  // layer 1
  int top = 0;                                 // the highest layer seen in this step
  std::optional<double> top_w, top_delta;
};

struct Mean {
  double sum = 0;
  std::size_t count = 0;
  void add(const std::optional<double>& x) {
    if (!x) return;
    sum += *x;
    ++count;
  }
  std::optional<double> value() const {
    return count == 0 ? std::nullopt : std::optional<double>(sum / static_cast<double>(count));
  }
};

std::vector<std::string_view> split_row(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                        : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::optional<double> parse_double(std::string_view text) {
  double x = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return x;
}

std::string number_text(const json& v) {
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  std::string out;
  append_number(out, v.get<double>());
  return out;
}

// x rounded to `digits` significant digits, in shortest form: means and sums of many terms are
// not exact, and their last digits (0.12420765350000001) are noise.
std::string rounded_text(double x, int digits) {
  if (!std::isfinite(x)) {
    std::string out;
    append_number(out, x);
    return out;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  std::string out;
  append_number(out, std::strtod(buf, nullptr));
  return out;
}

// A mean of a run's logged norms: a float32 run's in float's shortest form (as its CSV files),
// a float64 run's to 15 significant digits.
std::string mean_text(const std::optional<double>& x, bool float32) {
  if (!x) return "";
  if (float32 && std::isfinite(*x)) {
    std::string out;
    append_number(out, static_cast<float>(*x));
    return out;
  }
  return rounded_text(*x, 15);
}

// A config value as a CSV field: strings bare, numbers in shortest form, lists as JSON.
std::string cell_text(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return number_text(v);
  return v.dump();
}

void flatten(const json& v, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [key, value] : v.items())
      flatten(value, prefix.empty() ? key : prefix + "." + key, out);
    return;
  }
  out[prefix] = cell_text(v);
}

}  // namespace

const json* at_path(const json& doc, const std::string& path) {
  const json* node = &doc;
  std::stringstream stream(path);
  for (std::string segment; std::getline(stream, segment, '.');) {
    if (node->is_object()) {
      auto it = node->find(segment);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (ec != std::errc() || ptr != segment.data() + segment.size() || index >= node->size())
        return nullptr;
      node = &(*node)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

namespace {

std::string field_of(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it == object.end() ? std::string() : cell_text(*it);
}

}  // namespace

GradNormFigures grad_norm_figures(const fs::path& csv, int window) {
  std::ifstream in(csv);
  if (!in) throw IoError("cannot read " + csv.string());
  std::string line;
  if (!std::getline(in, line)) throw IoError(csv.string() + ": empty file (no header)");
  const auto header = split_row(line);
  auto column = [&](std::string_view name) -> std::size_t {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end())
      throw IoError(csv.string() + ": no column \"" + std::string(name) + "\" in the header");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t c_step = column("step"), c_layer = column("layer"), c_param = column("param"),
                    c_grad = column("grad_norm");
  const std::size_t needed = std::max({c_step, c_layer, c_param, c_grad}) + 1;
  const std::size_t k = static_cast<std::size_t>(std::max(window, 1));

  GradNormFigures figures;
  std::vector<StepFigures> head;  // the first k steps
  std::deque<StepFigures> tail;   // the last k steps
  StepFigures current;
  std::string current_step;
  bool have_step = false;
  auto close_step = [&] {
    if (!have_step) return;
    ++figures.logged_steps;
    figures.layers = std::max(figures.layers, current.top);
    if (head.size() < k) head.push_back(current);
    tail.push_back(current);
    if (tail.size() > k) tail.pop_front();
    current = StepFigures{};
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = split_row(line);
    if (fields.size() < needed) continue;  // not a row of this schema
    if (!have_step || fields[c_step] != current_step) {
      close_step();
      current_step = std::string(fields[c_step]);
      have_step = true;
    }
    int layer = 0;
    const auto layer_text = fields[c_layer];
    if (std::from_chars(layer_text.data(), layer_text.data() + layer_text.size(), layer).ec !=
        std::errc())
      continue;
    if (layer > current.top) {
      current.top = layer;
      current.top_w.reset();
      current.top_delta.reset();
    }
    const auto param = fields[c_param];
    const bool weight = param == "W" || param == "W_ih";
    const bool delta = param == "delta";
    if (!weight && !delta) continue;
    const auto grad = parse_double(fields[c_grad]);
    if (layer == 1) (weight ? current.first_w : current.first_delta) = grad;
    if (layer == current.top) (weight ? current.top_w : current.top_delta) = grad;
  }
  close_step();

  // Only steps whose highest layer is the output layer count for the last layer's figures.
  auto means = [&](const auto& steps, std::optional<double>& first, std::optional<double>& last,
                   std::optional<double>* first_d, std::optional<double>* last_d) {
    Mean fw, lw, fd, ld;
    for (const StepFigures& s : steps) {
      fw.add(s.first_w);
      fd.add(s.first_delta);
      if (s.top == figures.layers) {
        lw.add(s.top_w);
        ld.add(s.top_delta);
      }
    }
    first = fw.value();
    last = lw.value();
    if (first_d != nullptr) *first_d = fd.value();
    if (last_d != nullptr) *last_d = ld.value();
  };
  means(head, figures.first_layer_grad, figures.last_layer_grad, &figures.first_layer_delta,
        &figures.last_layer_delta);
  means(tail, figures.first_layer_grad_end, figures.last_layer_grad_end, nullptr, nullptr);
  return figures;
}

std::vector<fs::path> find_run_dirs(const fs::path& dir) {
  std::vector<fs::path> runs;
  auto is_run = [](const fs::path& d) {
    std::error_code ec;
    return fs::is_regular_file(d / kConfigFile, ec) && fs::is_regular_file(d / kSummaryFile, ec);
  };
  if (is_run(dir)) runs.emplace_back(".");
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec) && !it->is_symlink(type_ec) && is_run(it->path()))
      runs.push_back(it->path().lexically_relative(dir));
  }
  std::sort(runs.begin(), runs.end(),
            [](const fs::path& a, const fs::path& b) { return a.generic_string() < b.generic_string(); });
  return runs;
}

SummaryTable summarize(const fs::path& dir, int window) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError(dir.string() + " is not a directory");
  SummaryTable table;

  struct Run {
    fs::path path;
    json config, summary;
    std::map<std::string, std::string> flat;
  };
  std::vector<Run> runs;
  for (const auto& relative : find_run_dirs(dir)) {
    Run run;
    run.path = relative;
    const fs::path full = dir / relative;
    auto config = read_json_object(full / kConfigFile);
    auto summary = read_json_object(full / kSummaryFile);
    if (!config || !summary) {
      table.warnings.push_back(full.string() + ": unreadable " +
                               (config ? kSummaryFile : kConfigFile) + "; skipped");
      continue;
    }
    run.config = std::move(*config);
    run.summary = std::move(*summary);
    flatten(run.config, "", run.flat);
    runs.push_back(std::move(run));
  }

  // Key columns: the sweep's keys first, then the other keys whose values differ.
  std::vector<std::string> keys;
  if (auto manifest = read_json_object(dir / kManifestFile);
      manifest && manifest->contains("keys") && (*manifest)["keys"].is_array())
    for (const auto& key : (*manifest)["keys"])
      if (key.is_string() && key.get<std::string>() != "seed" &&
          std::find(keys.begin(), keys.end(), key.get<std::string>()) == keys.end())
        keys.push_back(key.get<std::string>());
  std::set<std::string> all;
  for (const auto& run : runs)
    for (const auto& [key, value] : run.flat) all.insert(key);
  for (const auto& key : all) {  // sorted
    if (key == "seed" || key == "label" || std::find(keys.begin(), keys.end(), key) != keys.end())
      continue;
    bool differs = false;
    for (const auto& run : runs) {
      auto it = run.flat.find(key);
      auto first = runs.front().flat.find(key);
      const bool has = it != run.flat.end(), first_has = first != runs.front().flat.end();
      if (has != first_has || (has && it->second != first->second)) {
        differs = true;
        break;
      }
    }
    if (differs) keys.push_back(key);
  }

  table.header = {"run", "label"};
  table.header.insert(table.header.end(), keys.begin(), keys.end());
  for (const char* column :
       {"seed", "status", "steps", "epochs", "train_loss", "train_accuracy", "test_loss",
        "test_accuracy", "layers", "first_layer_grad", "last_layer_grad", "first_layer_delta",
        "last_layer_delta", "first_layer_grad_end", "last_layer_grad_end", "wall_time_seconds"})
    table.header.emplace_back(column);

  for (const auto& run : runs) {
    const auto label = run.config.find("label");
    std::vector<std::string> row{run.path.generic_string(),
                                 label != run.config.end() && label->is_string() ? label->get<std::string>() : ""};
    for (const auto& key : keys) {
      const json* v = at_path(run.config, key);
      row.push_back(v == nullptr ? "" : cell_text(*v));
    }
    row.push_back(field_of(run.config, "seed"));
    for (const char* key : {"status", "steps", "epochs"}) row.push_back(field_of(run.summary, key));
    // A float32 run's figures are floats: written in float's shortest form (0.1, not
    // 0.10000000149011612), as in its CSV files.
    const bool float32 = field_of(run.config, "dtype") == "float32";
    const json final_metrics = run.summary.value("final", json::object());
    for (const char* key : {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}) {
      const auto it = final_metrics.is_object() ? final_metrics.find(key) : final_metrics.end();
      std::string text;
      if (it != final_metrics.end() && it->is_number_float() && float32 &&
          static_cast<double>(static_cast<float>(it->get<double>())) == it->get<double>())
        append_number(text, static_cast<float>(it->get<double>()));
      else if (it != final_metrics.end())
        text = cell_text(*it);
      row.push_back(text);
    }
    GradNormFigures g;
    const fs::path grad_norms = dir / run.path / kGradNormsFile;
    if (fs::exists(grad_norms, ec)) {
      try {
        g = grad_norm_figures(grad_norms, window);
      } catch (const IoError& e) {
        table.warnings.push_back(e.what());
      }
    }
    row.push_back(g.layers > 0 ? std::to_string(g.layers) : "");
    for (const auto& x : {g.first_layer_grad, g.last_layer_grad, g.first_layer_delta,
                          g.last_layer_delta, g.first_layer_grad_end, g.last_layer_grad_end})
      row.push_back(mean_text(x, float32));
    const auto wall = run.summary.find("wall_time_seconds");
    row.push_back(wall != run.summary.end() && wall->is_number() ? rounded_text(wall->get<double>(), 6) : "");
    table.rows.push_back(std::move(row));
  }
  // Rows in the order of the key columns (numbers by value: depth 2 before depth 10), then
  // seed, then path.
  const std::size_t first_key = 2, seed_column = 2 + keys.size();
  auto less = [&](const std::string& a, const std::string& b) {
    const auto x = parse_double(a), y = parse_double(b);
    if (x && y && *x != *y) return *x < *y;
    if (x.has_value() != y.has_value()) return x.has_value();  // numbers before text
    return a < b;
  };
  std::stable_sort(table.rows.begin(), table.rows.end(), [&](const auto& a, const auto& b) {
    for (std::size_t c = first_key; c <= seed_column; ++c)
      if (a[c] != b[c]) return less(a[c], b[c]);
    return a[0] < b[0];
  });
  return table;
}

std::string to_csv(const SummaryTable& table) {
  std::string out;
  auto add_row = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_quote(fields[i]);
    }
    out += '\n';
  };
  add_row(table.header);
  for (const auto& row : table.rows) add_row(row);
  return out;
}

}  // namespace nnlab
