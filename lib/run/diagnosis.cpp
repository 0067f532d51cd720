// The diagnosis rules over a run directory's files (see diagnosis.h, docs/diagnostics.md).
#include "run/diagnosis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>

#include "base/errors.h"
#include "base/json_io.h"
#include "base/quantiles.h"
#include "run/run_dir.h"

namespace nnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The columns of one of nnlab's own CSV files (no quoting), by name: numbers as doubles (an empty
// field is NaN), and the "param" column as text.
struct Columns {
  std::map<std::string, std::vector<double>> numbers;
  std::vector<std::string> params;
  std::size_t rows = 0;
  bool has(const std::string& c) const { return numbers.count(c) > 0; }
  const std::vector<double>& operator[](const std::string& c) const { return numbers.at(c); }
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}

double to_number(const std::string& s) {
  if (s.empty()) return kNaN;
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  return end == s.c_str() ? kNaN : x;
}

// Reads `required` and whichever of `optional` the header has. Nullopt when the file is missing.
std::optional<Columns> read_columns(const fs::path& path,
                                    const std::vector<std::string>& required,
                                    const std::vector<std::string>& optional = {}) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  if (!std::getline(in, line)) throw IoError(path.string() + ": empty file (no header)");
  const std::vector<std::string> header = split_csv_line(line);
  std::vector<std::pair<std::string, std::size_t>> wanted;
  auto find = [&](const std::string& name) -> std::optional<std::size_t> {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return std::nullopt;
    return static_cast<std::size_t>(it - header.begin());
  };
  for (const auto& name : required) {
    const auto c = find(name);
    if (!c) throw IoError(path.string() + ": no column \"" + name + "\" in the header");
    wanted.emplace_back(name, *c);
  }
  for (const auto& name : optional)
    if (const auto c = find(name)) wanted.emplace_back(name, *c);
  Columns t;
  for (const auto& [name, c] : wanted)
    if (name != "param") t.numbers[name];
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_csv_line(line);
    for (const auto& [name, c] : wanted) {
      const std::string& f = c < fields.size() ? fields[c] : std::string();
      if (name == "param") t.params.push_back(f);
      else t.numbers[name].push_back(to_number(f));
    }
    ++t.rows;
  }
  return t;
}

std::string num3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

std::string str(const json& doc, const char* section, const char* key) {
  if (!doc.contains(section) || !doc[section].is_object()) return "";
  const json& s = doc[section];
  return s.contains(key) && s[key].is_string() ? s[key].get<std::string>() : "";
}

double number(const json& doc, const char* section, const char* key) {
  if (!doc.contains(section) || !doc[section].is_object()) return kNaN;
  const json& s = doc[section];
  return s.contains(key) && s[key].is_number() ? s[key].get<double>() : kNaN;
}

bool is_weight(const std::string& kind) { return kind == "W" || kind == "W_ih" || kind == "W_hh"; }

struct Context {
  fs::path dir;
  json config, summary;
  std::string model_type, activation;
  bool recurrent = false;
  const DiagnosisThresholds& t;
  Diagnosis& d;
};

// The logged steps of a table with a "step" column, in order of appearance.
std::vector<long> steps_of(const Columns& table) {
  std::vector<long> steps;
  for (double s : table["step"])
    if (steps.empty() || steps.back() != static_cast<long>(s)) steps.push_back(static_cast<long>(s));
  return steps;
}

void check_diverged(Context& c, const std::optional<Columns>& metrics) {
  if (c.summary.value("status", "") != "diverged") return;
  Finding f;
  f.rule = "diverged";
  const json& dv = c.summary.contains("diverged") ? c.summary["diverged"] : json::object();
  f.step = dv.value("step", 0L);
  f.layer = dv.contains("first_nonfinite_layer") && dv["first_nonfinite_layer"].is_number()
                ? dv["first_nonfinite_layer"].get<int>() : 0;
  f.param = dv.value("first_nonfinite_param", "");
  f.value = kNaN;
  f.threshold = kNaN;
  // The last finite global norm before the divergence says how it came about.
  double last = kNaN;
  if (metrics)
    for (std::size_t i = 0; i < metrics->rows; ++i)
      if (std::isfinite((*metrics)["grad_norm"][i])) last = (*metrics)["grad_norm"][i];
  f.message = std::string("the run diverged at step ") + std::to_string(f.step) +
              (dv.value("in_final_evaluation", false)
                   ? " (its update left the model with a non-finite loss in the final evaluation)"
               : dv.value("loss_nonfinite", false) ? " (non-finite loss)"
                                                   : " (non-finite gradient)") +
              (std::isfinite(last) ? "; the last finite global gradient norm was " + num3(last)
                                   : "");
  f.cure = "lower train.lr (e.g. by 10x), or set train.clip_threshold (e.g. 1)";
  c.d.findings.push_back(f);
}

void check_metrics(Context& c, const std::optional<Columns>& metrics) {
  if (!metrics) {
    c.d.skipped.push_back("exploding, clipping: no metrics.csv");
    return;
  }
  const auto& step = (*metrics)["step"];
  const auto& norm = (*metrics)["grad_norm"];
  const auto& clipped = (*metrics)["clipped"];
  const std::size_t n = metrics->rows;
  if (n == 0) return;
  // Exploding: the largest finite norm against the median of the first tenth (1 to 100 steps).
  const std::size_t w = std::clamp<std::size_t>(n / 10, 1, 100);
  std::vector<double> first;
  for (std::size_t i = 0; i < w; ++i)
    if (std::isfinite(norm[i])) first.push_back(norm[i]);
  const double base = median(first);
  std::size_t at = n;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(norm[i]) && (at == n || norm[i] > norm[at])) at = i;
  if (at < n && base > 0 && norm[at] / base > c.t.exploding_growth) {
    Finding f;
    f.rule = "exploding";
    f.step = static_cast<long>(step[at]);
    f.value = norm[at] / base;
    f.threshold = c.t.exploding_growth;
    f.message = "the global gradient norm grew " + num3(f.value) + "x: " + num3(norm[at]) +
                " at step " + std::to_string(f.step) + " against a median of " + num3(base) +
                " over the first " + std::to_string(w) + " steps";
    f.cure = c.recurrent ? "set train.clip_threshold (e.g. 1), lower train.lr, or shrink W_hh "
                           "(model.recurrent_gain or model.spectral_radius below 1)"
                         : "set train.clip_threshold (e.g. 1) or lower train.lr";
    c.d.findings.push_back(f);
  }
  // Clipping on most steps: the update is then lr * tau * g / ||g||, whatever ||g|| is.
  double hits = 0;
  std::vector<double> finite;
  for (std::size_t i = 0; i < n; ++i) {
    hits += clipped[i] == 1 ? 1 : 0;
    if (std::isfinite(norm[i])) finite.push_back(norm[i]);
  }
  const double fraction = hits / static_cast<double>(n);
  if (fraction > c.t.clipped_fraction) {
    Finding f;
    f.rule = "clipping";
    f.step = static_cast<long>(step[n - 1]);
    f.value = fraction;
    f.threshold = c.t.clipped_fraction;
    const double tau = number(c.config, "train", "clip_threshold");
    f.message = "clipping scaled the gradient on " + num3(100 * fraction) + "% of the " +
                std::to_string(n) + " steps (median norm " + num3(median(finite)) +
                ", train.clip_threshold " + num3(tau) + ")";
    f.cure = "lower train.lr, or raise train.clip_threshold above the typical norm";
    c.d.findings.push_back(f);
  }
}

void check_grad_norms(Context& c, const std::optional<Columns>& g) {
  if (!g) {
    c.d.skipped.push_back("vanishing, update_small, update_large: no grad_norms.csv");
    return;
  }
  const auto& step = (*g)["step"];
  const auto& layer = (*g)["layer"];
  const auto& grad = (*g)["grad_norm"];
  int top = 0;
  for (double l : layer) top = std::max(top, static_cast<int>(l));

  // Vanishing: ||dW|| of layer 1 (W, or W_ih) against the output layer's W, per logged step.
  if (top >= 2) {
    std::map<long, double> first, last;
    for (std::size_t i = 0; i < g->rows; ++i) {
      const std::string& kind = g->params[i];
      const long s = static_cast<long>(step[i]);
      if (layer[i] == 1 && (kind == "W" || kind == "W_ih")) first[s] = grad[i];
      if (layer[i] == top && kind == "W") last[s] = grad[i];
    }
    std::vector<double> ratios;
    long below = 0;
    for (const auto& [s, a] : first) {
      const auto it = last.find(s);
      if (it == last.end() || !std::isfinite(a) || !std::isfinite(it->second) || it->second <= 0)
        continue;
      const double r = a / it->second;
      ratios.push_back(r);
      if (below == 0 && r < c.t.vanishing_ratio) below = s;
    }
    const double m = median(ratios);
    if (!ratios.empty() && m < c.t.vanishing_ratio) {
      Finding f;
      f.rule = "vanishing";
      f.layer = 1;
      f.param = "W";
      f.step = below;
      f.value = m;
      f.threshold = c.t.vanishing_ratio;
      f.message = "layer 1's gradient is " + num3(m) + " of the output layer's (median of " +
                  "||dW_1|| / ||dW_" + std::to_string(top) + "|| over " +
                  std::to_string(ratios.size()) + " logged steps; first below " +
                  num3(c.t.vanishing_ratio) + " at step " + std::to_string(below) + ")";
      if (c.recurrent)
        f.cure = "model.type \"lstm\" or \"gru\", fewer recurrent layers (model.depth)";
      else if (c.activation == "sigmoid" || c.activation == "tanh")
        f.cure = "model.activation \"relu\" with model.init \"he_normal\", model.skip 2, or "
                 "model.batch_norm true";
      else
        f.cure = "model.skip 2 or model.batch_norm true, fewer layers (model.depth), or a "
                 "matching init (model.init \"he_normal\" for relu)";
      c.d.findings.push_back(f);
    }
  }

  // Update ratio ||dW|| / ||W|| of every weight matrix, median over the logged steps.
  if (!g->has("update_norm")) {
    c.d.skipped.push_back("update_small, update_large: grad_norms.csv has no update_norm column "
                          "(a run of an older nnlab)");
    return;
  }
  const auto& value = (*g)["value_norm"];
  const auto& update = (*g)["update_norm"];
  std::map<std::pair<int, std::string>, std::vector<double>> ratios;
  std::map<std::pair<int, std::string>, long> last_step;
  for (std::size_t i = 0; i < g->rows; ++i) {
    if (!is_weight(g->params[i]) || !std::isfinite(update[i]) || !(value[i] > 0)) continue;
    const auto key = std::make_pair(static_cast<int>(layer[i]), g->params[i]);
    ratios[key].push_back(update[i] / value[i]);
    last_step[key] = static_cast<long>(step[i]);
  }
  for (const auto& [key, r] : ratios) {
    const double m = median(r);
    const bool low = m < c.t.update_ratio_low, high = m > c.t.update_ratio_high;
    if (!low && !high) continue;
    Finding f;
    f.rule = low ? "update_small" : "update_large";
    f.layer = key.first;
    f.param = key.second;
    f.step = last_step[key];
    f.value = m;
    f.threshold = low ? c.t.update_ratio_low : c.t.update_ratio_high;
    f.message = "||dW|| / ||W|| of layer " + std::to_string(key.first) + " " + key.second +
                " is " + num3(m) + " (median over " + std::to_string(r.size()) +
                " logged steps; around 1e-3 is healthy)";
    f.cure = low ? "raise train.lr (or, if the gradient itself vanishes, see the vanishing cures)"
                 : "lower train.lr (and train.weight_decay: it alone moves W by lr x "
                   "weight_decay of itself per step)";
    c.d.findings.push_back(f);
  }
}

void check_activations(Context& c, const std::optional<Columns>& a) {
  const std::string& act = c.activation;
  const bool relu = act == "relu" || act == "leaky_relu";
  const bool squashing = act == "sigmoid" || act == "tanh";
  // LSTM/GRU layers report their gates' saturation, which is how they remember: not a fault.
  if ((!relu && !squashing) || c.model_type == "lstm" || c.model_type == "gru") return;
  if (!a) {
    c.d.skipped.push_back("dead_relu, saturated: no activations.csv");
    return;
  }
  const std::vector<long> steps = steps_of(*a);
  if (steps.empty()) return;
  // The last quarter of the logged steps: the state the run ended in.
  const long from = steps[steps.size() - std::max<std::size_t>(1, steps.size() / 4)];
  std::map<int, std::pair<double, int>> mean;  // layer -> (sum, count)
  for (std::size_t i = 0; i < a->rows; ++i) {
    if ((*a)["step"][i] < from || !std::isfinite((*a)["saturated"][i])) continue;
    auto& m = mean[static_cast<int>((*a)["layer"][i])];
    m.first += (*a)["saturated"][i];
    ++m.second;
  }
  for (const auto& [layer, m] : mean) {
    const double v = m.first / m.second;
    const double threshold = relu ? c.t.dead_fraction : c.t.saturated_fraction;
    if (!(v > threshold)) continue;
    Finding f;
    f.rule = relu ? "dead_relu" : "saturated";
    f.layer = layer;
    f.step = steps.back();
    f.value = v;
    f.threshold = threshold;
    const std::string window = " (mean over the logged steps " + std::to_string(from) + " to " +
                               std::to_string(steps.back()) + ")";
    if (relu) {
      f.message = "layer " + std::to_string(layer) + " passes no gradient on " + num3(100 * v) +
                  "% of its units x samples (z <= 0)" + window;
      f.cure = "lower train.lr, model.init \"he_normal\", model.bias_init 0.01, or "
               "model.activation \"leaky_relu\"";
    } else {
      f.message = "layer " + std::to_string(layer) + " is saturated on " + num3(100 * v) +
                  "% of its units x samples (" + act + "' below 5% of its maximum)" + window;
      f.cure = c.recurrent ? "model.type \"lstm\" or \"gru\", a smaller model.recurrent_gain or "
                             "model.spectral_radius, or a lower train.lr"
                           : "model.init \"xavier_normal\" or a smaller model.gain, lower train.lr, "
                             "standardised inputs (data.standardize), or model.batch_norm true";
    }
    c.d.findings.push_back(f);
  }
}

void check_baseline(Context& c) {
  const json& s = c.summary;
  if (!s.contains("final") || !s["final"].is_object()) {
    c.d.skipped.push_back("trivial_loss: the run has not finished (no final loss or accuracy "
                          "in summary.json)");
    return;
  }
  if (!s.contains("baseline") || !s["baseline"].is_object()) {
    c.d.skipped.push_back("trivial_loss: summary.json records no baseline (regression MLP, or "
                          "a run of an older nnlab)");
    return;
  }
  const std::string name = s["baseline"].value("name", "");
  const double base = s["baseline"].value("value", kNaN);
  const json& fin = s["final"];
  const bool test = fin.contains("test_loss");
  const char* split = test ? "test" : "train";
  Finding f;
  f.rule = "trivial_loss";
  f.step = s.value("steps", 0L);
  if (name.rfind("mse", 0) == 0) {
    const double loss = fin.value(test ? "test_loss" : "train_loss", kNaN);
    f.value = loss;
    f.threshold = c.t.baseline_loss_fraction * base;
    if (!(std::isfinite(loss) && loss > f.threshold)) return;
    f.message = "the final " + std::string(split) + " loss " + num3(loss) + " is above " +
                num3(c.t.baseline_loss_fraction) + " x the baseline " + name + " = " + num3(base);
  } else {
    const double acc = fin.value(test ? "test_accuracy" : "train_accuracy", kNaN);
    f.value = acc;
    f.threshold = base + c.t.baseline_accuracy_margin * (1 - base);
    if (!(std::isfinite(acc) && acc < f.threshold)) return;
    f.message = "the final " + std::string(split) + " accuracy " + num3(acc) +
                " is not clearly above the baseline " + name + " = " + num3(base);
  }
  f.cure = c.model_type == "rnn" ? "model.type \"lstm\" or \"gru\" for long dependencies, "
                                   "more train.epochs, or a tuned train.lr"
                                 : "more train.epochs, a tuned train.lr, or see the other findings";
  c.d.findings.push_back(f);
}

}  // namespace

Diagnosis diagnose_run(const fs::path& dir, const DiagnosisThresholds& t) {
  Diagnosis d;
  const auto config = read_json_object(dir / kConfigFile);
  const auto summary = read_json_object(dir / kSummaryFile);
  if (!config || !summary)
    throw IoError(dir.string() + ": not a run directory (needs a readable config.json and "
                                 "summary.json)");
  Context c{dir, *config, *summary, str(*config, "model", "type"),
            str(*config, "model", "activation"), false, t, d};
  c.recurrent = c.model_type == "rnn" || c.model_type == "lstm" || c.model_type == "gru";
  const auto metrics = read_columns(dir / kMetricsFile, {"step", "grad_norm", "clipped"});
  const auto grad_norms = read_columns(dir / kGradNormsFile,
                                       {"step", "layer", "param", "grad_norm", "value_norm"},
                                       {"update_norm"});
  const auto activations = read_columns(dir / kActivationsFile, {"step", "layer", "saturated"});
  d.status = c.summary.value("status", "");
  check_diverged(c, metrics);
  check_metrics(c, metrics);
  check_grad_norms(c, grad_norms);
  check_activations(c, activations);
  if (c.summary.value("status", "") != "diverged") check_baseline(c);
  return d;
}

json to_json(const Diagnosis& d) {
  const auto number_or_null = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  json findings = json::array();
  for (const Finding& f : d.findings)
    findings.push_back({{"rule", f.rule},
                        {"layer", f.layer},
                        {"param", f.param},
                        {"step", f.step},
                        {"value", number_or_null(f.value)},
                        {"threshold", number_or_null(f.threshold)},
                        {"message", f.message},
                        {"cure", f.cure}});
  return {{"findings", findings}, {"skipped", d.skipped}};
}

std::vector<std::string> describe(const Diagnosis& d) {
  std::vector<std::string> lines;
  if (d.status == "running" || d.status == "interrupted")
    lines.push_back("the run has not finished (status \"" + d.status + "\"" +
                    (d.status == "running" ? ": still training, or killed" : "") +
                    "): the rules saw only the rows written so far");
  for (const Finding& f : d.findings) {
    std::string where = f.layer > 0 ? "layer " + std::to_string(f.layer) : "network";
    if (!f.param.empty()) where += " " + f.param;
    lines.push_back(f.rule + " (" + where + ", step " + std::to_string(f.step) + "): " +
                    f.message + "; try: " + f.cure);
  }
  if (d.findings.empty()) lines.emplace_back("no problems found");
  for (const auto& s : d.skipped) lines.push_back("not checked: " + s);
  return lines;
}

}  // namespace nnlab
