// Strict config reader and resolved-config writer. Every field is read through ObjectReader,
// which records the JSON path, checks type and range, and reports unknown keys with the likely
// intended key; all problems are collected and thrown together.
#include "config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "data.h"
#include "errors.h"

namespace nnlab {

using nlohmann::json;

namespace {

template <typename E, std::size_t N>
struct EnumNames {
  std::array<std::pair<E, std::string_view>, N> entries;
  std::string_view name(E e) const {
    for (const auto& [value, text] : entries)
      if (value == e) return text;
    return "?";
  }
  std::vector<std::string> all() const {
    std::vector<std::string> names;
    for (const auto& entry : entries) names.emplace_back(entry.second);
    return names;
  }
  std::optional<E> find(std::string_view text) const {
    for (const auto& [value, name] : entries)
      if (name == text) return value;
    return std::nullopt;
  }
};

constexpr EnumNames<Activation, 6> kActivations{{{
    {Activation::sigmoid, "sigmoid"}, {Activation::tanh, "tanh"}, {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"}, {Activation::elu, "elu"},
    {Activation::identity, "identity"}}}};
constexpr EnumNames<InitScheme, 10> kInits{{{
    {InitScheme::xavier_uniform, "xavier_uniform"}, {InitScheme::xavier_normal, "xavier_normal"},
    {InitScheme::he_uniform, "he_uniform"}, {InitScheme::he_normal, "he_normal"},
    {InitScheme::lecun_uniform, "lecun_uniform"}, {InitScheme::lecun_normal, "lecun_normal"},
    {InitScheme::orthogonal, "orthogonal"}, {InitScheme::standard, "standard"},
    {InitScheme::normal, "normal"}, {InitScheme::uniform, "uniform"}}}};
constexpr EnumNames<Output, 3> kOutputs{{{
    {Output::sigmoid, "sigmoid"}, {Output::softmax, "softmax"}, {Output::linear, "linear"}}}};
constexpr EnumNames<OptimizerKind, 4> kOptimizers{{{
    {OptimizerKind::sgd, "sgd"}, {OptimizerKind::momentum, "momentum"},
    {OptimizerKind::nesterov, "nesterov"}, {OptimizerKind::adam, "adam"}}}};
constexpr EnumNames<DataKind, 11> kDataKinds{{{
    {DataKind::xor_, "xor"}, {DataKind::circles, "circles"}, {DataKind::moons, "moons"},
    {DataKind::spirals, "spirals"}, {DataKind::blobs, "blobs"}, {DataKind::sine, "sine"},
    {DataKind::csv, "csv"}, {DataKind::adding, "adding"}, {DataKind::copy, "copy"},
    {DataKind::temporal_order, "temporal_order"}, {DataKind::text, "text"}}}};
constexpr EnumNames<RecurrentScheme, 11> kRecurrentSchemes{{{
    {RecurrentScheme::xavier_uniform, "xavier_uniform"},
    {RecurrentScheme::xavier_normal, "xavier_normal"}, {RecurrentScheme::he_uniform, "he_uniform"},
    {RecurrentScheme::he_normal, "he_normal"}, {RecurrentScheme::lecun_uniform, "lecun_uniform"},
    {RecurrentScheme::lecun_normal, "lecun_normal"}, {RecurrentScheme::orthogonal, "orthogonal"},
    {RecurrentScheme::standard, "standard"}, {RecurrentScheme::normal, "normal"},
    {RecurrentScheme::uniform, "uniform"}, {RecurrentScheme::identity, "identity"}}}};
constexpr EnumNames<Task, 2> kTasks{{{
    {Task::classification, "classification"}, {Task::regression, "regression"}}}};
constexpr EnumNames<DType, 2> kDTypes{{{{DType::float32, "float32"}, {DType::float64, "float64"}}}};
constexpr EnumNames<ModelType, 4> kModelTypes{{{
    {ModelType::mlp, "mlp"}, {ModelType::rnn, "rnn"}, {ModelType::lstm, "lstm"},
    {ModelType::gru, "gru"}}}};

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

}  // namespace

std::string describe_json(const nlohmann::json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text + " (" + type_name(v) + ")";
}

namespace {

std::string show(const json& v) { return describe_json(v); }

std::string format_number(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "\"" : ", \"") + n + "\"";
  return text;
}

// Reads the fields of one JSON object, remembering which keys it knows so that finish() can
// report the unknown ones.
class ObjectReader {
 public:
  ObjectReader(const json* object, std::string path, std::vector<ConfigIssue>& issues)
      : object_(object), path_(std::move(path)), issues_(issues) {
    if (object_ != nullptr && !object_->is_object()) {
      issue(path_, "expected an object, got " + show(*object_));
      object_ = nullptr;
    }
  }

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  void issue(std::string path, std::string message) {
    issues_.push_back({std::move(path), std::move(message)});
  }
  const json* find(std::string_view key) {
    known_.insert(std::string(key));
    if (object_ == nullptr) return nullptr;
    auto it = object_->find(std::string(key));
    // null means "not given": the default applies (so --set key=null undoes a file's value).
    return it == object_->end() || it->is_null() ? nullptr : &*it;
  }
  bool has(std::string_view key) {
    return find(key) != nullptr;
  }

  // A key that only means something for another choice: refused when present, unless a choice
  // of this object was itself wrong (the condition would then describe a default, not the
  // user's intent).
  void only_for(std::string_view key, const std::string& condition) {
    if (has(key) && !bad_choice_) issue(path_of(key), "applies only when " + condition);
  }
  std::size_t issue_count() const { return issues_.size(); }

  std::string string(std::string_view key, std::string fallback) {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) {
      issue(path_of(key), "expected a string, got " + show(*v));
      return fallback;
    }
    return v->get<std::string>();
  }

  bool boolean(std::string_view key, bool fallback) {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) {
      issue(path_of(key), "expected true or false, got " + show(*v));
      return fallback;
    }
    return v->get<bool>();
  }

  // An integer in [lo, hi]; an integral float such as 3.0 is accepted.
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi) {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    return integer_value(*v, path_of(key), fallback, lo, hi);
  }
  std::int64_t integer_value(const json& v, const std::string& path, std::int64_t fallback,
                             std::int64_t lo, std::int64_t hi) {
    const std::string range =
        "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (v.is_number_integer() || v.is_number_unsigned()) {
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
        issue(path, "expected " + range + ", got " + v.dump());
        return fallback;
      }
      std::int64_t n = v.get<std::int64_t>();
      if (n < lo || n > hi) {
        issue(path, "expected " + range + ", got " + v.dump());
        return fallback;
      }
      return n;
    }
    if (v.is_number_float()) {
      const double x = v.get<double>();
      if (std::isfinite(x) && std::floor(x) == x && x >= static_cast<double>(lo) &&
          x <= static_cast<double>(hi))
        return static_cast<std::int64_t>(x);
    }
    issue(path, "expected " + range + ", got " + show(v));
    return fallback;
  }

  std::uint64_t seed(std::string_view key, std::uint64_t fallback) {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    if (v->is_number_integer() && v->get<std::int64_t>() >= 0) return v->get<std::uint64_t>();
    if (v->is_number_float() && v->get<double>() >= 0 && v->get<double>() < 9.0e15 &&
        std::floor(v->get<double>()) == v->get<double>())
      return static_cast<std::uint64_t>(v->get<double>());
    issue(path_of(key), "expected a non-negative integer (up to 2^64-1), got " + show(*v));
    return fallback;
  }

  // A finite number with lo <= x <= hi, or lo < x when lo_open, x < hi when hi_open.
  double number(std::string_view key, double fallback, double lo, double hi, bool lo_open = false,
                bool hi_open = false) {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    const std::string range = std::string("a number in ") + (lo_open ? "(" : "[") +
                              format_number(lo) + ", " +
                              (std::isinf(hi) ? std::string("inf") : format_number(hi)) +
                              (hi_open || std::isinf(hi) ? ")" : "]");
    if (!v->is_number()) {
      issue(path_of(key), "expected " + range + ", got " + show(*v));
      return fallback;
    }
    const double x = v->get<double>();
    const bool ok = std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
    if (!ok) {
      issue(path_of(key), "expected " + range + ", got " + v->dump());
      return fallback;
    }
    return x;
  }

  template <typename E, std::size_t N>
  std::optional<E> choice(std::string_view key, const EnumNames<E, N>& names,
                          std::string_view auto_word = {}) {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    std::vector<std::string> all = names.all();
    if (!auto_word.empty()) all.insert(all.begin(), std::string(auto_word));
    if (v->is_string()) {
      const auto text = v->get<std::string>();
      if (!auto_word.empty() && text == auto_word) return std::nullopt;
      if (auto e = names.find(text)) return e;
      std::string message = "expected one of " + quoted_list(all) + "; got \"" + text + "\"";
      if (auto guess = closest_match(text, all)) message += " (did you mean \"" + *guess + "\"?)";
      issue(path_of(key), message);
      bad_choice_ = true;
      return std::nullopt;
    }
    issue(path_of(key), "expected one of " + quoted_list(all) + "; got " + show(*v));
    bad_choice_ = true;
    return std::nullopt;
  }

  // Reports keys this reader was never asked about. Keys starting with '_' are comments.
  void finish() {
    if (object_ == nullptr) return;
    std::vector<std::string> candidates(known_.begin(), known_.end());
    for (const auto& [key, value] : object_->items()) {
      if (known_.count(key) != 0 || (!key.empty() && key[0] == '_')) continue;
      std::string message = "unknown key";
      if (auto guess = closest_match(key, candidates))
        message += " (did you mean \"" + *guess + "\"?)";
      else
        message += " (known keys: " + quoted_list(candidates) + ")";
      issue(path_of(key), message);
    }
  }

 private:
  const json* object_;
  std::string path_;
  std::vector<ConfigIssue>& issues_;
  std::set<std::string> known_;
  bool bad_choice_ = false;
};

std::string resolve_path(const std::string& p, const std::filesystem::path& base) {
  if (p.empty()) return p;
  std::filesystem::path path(p);
  if (path.is_relative()) path = base / path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

DataConfig read_data(ObjectReader& top, std::vector<ConfigIssue>& issues,
                     const ConfigContext& context) {
  DataConfig d;
  ObjectReader r(top.find("data"), "data", issues);
  if (auto kind = r.choice("type", kDataKinds)) d.type = *kind;
  if (r.has("seed")) d.seed = r.seed("seed", 0);
  const std::string type_text = "data.type is " + std::string(kDataKinds.name(d.type));
  const bool csv = d.type == DataKind::csv, text = d.type == DataKind::text;
  const bool sequence = is_sequence_task(d.type);
  if (csv || text) {
    if (!r.has("path"))
      r.issue("data.path", "required when " + type_text);
    const std::size_t before = r.issue_count();
    d.path = resolve_path(r.string("path", ""), context.base_dir);
    if (r.has("path") && d.path.empty() && r.issue_count() == before)
      r.issue("data.path", "must not be empty");
    d.test_fraction = r.number("test_fraction", text ? 0.1 : d.test_fraction, 0.0, 1.0, false, true);
  } else {
    for (auto key : {"path", "test_fraction"})
      r.only_for(key, "data.type is \"csv\" or \"text\" (" + type_text + ")");
  }
  if (csv) {
    d.target = r.string("target", "");
    d.standardize = r.boolean("standardize", d.standardize);
    if (r.has("task")) d.task = r.choice("task", kTasks, "auto");
  } else {
    for (auto key : {"target", "standardize", "task"})
      r.only_for(key, "data.type is \"csv\" (" + type_text + ")");
  }
  if (!csv) {
    // text: 0 = every sequence the text holds.
    const int min_size = text ? 0 : 1;
    d.train_size = static_cast<int>(r.integer("train_size", text ? 0 : d.train_size, min_size,
                                              10'000'000));
    d.test_size = static_cast<int>(r.integer("test_size", text ? 0 : d.test_size, 0, 10'000'000));
  } else {
    for (auto key : {"train_size", "test_size"})
      r.only_for(key, "data.type is not \"csv\" (" + type_text + ")");
  }
  if (!csv && !sequence)
    d.noise = r.number("noise", d.noise, 0.0, 1e6);
  else
    r.only_for("noise", "data.type is a built-in generator of samples or \"sine\" (" +
                            type_text + ")");
  if (d.type == DataKind::blobs) {
    d.classes = static_cast<int>(r.integer("classes", d.classes, 2, 1000));
    d.features = static_cast<int>(r.integer("features", d.features, 1, 100'000));
  } else {
    for (auto key : {"classes", "features"})
      r.only_for(key, "data.type is \"blobs\" (" + type_text + ")");
  }
  // length: sequence tasks, and sine when the model is recurrent (checked in parse_config).
  if (sequence || d.type == DataKind::sine) {
    if (r.has("length")) d.length = static_cast<int>(r.integer("length", d.length, 1, 100'000));
  } else {
    r.only_for("length", "data.type is a sequence task (" + type_text + ")");
  }
  if (d.type == DataKind::copy) {
    d.pattern_length = static_cast<int>(r.integer("pattern_length", d.pattern_length, 1, 1000));
    d.symbols = static_cast<int>(r.integer("symbols", d.symbols, 2, 1000));
  } else {
    for (auto key : {"pattern_length", "symbols"})
      r.only_for(key, "data.type is \"copy\" (" + type_text + ")");
  }
  r.finish();
  return d;
}

ModelConfig read_model(ObjectReader& top, std::vector<ConfigIssue>& issues,
                       const ConfigContext& context) {
  ModelConfig m;
  ObjectReader r(top.find("model"), "model", issues);
  if (auto t = r.choice("type", kModelTypes)) m.type = *t;
  const std::size_t issues_before_depth = r.issue_count();
  m.depth = static_cast<int>(r.integer("depth", m.depth, 0, 1000));
  const bool depth_ok = r.issue_count() == issues_before_depth;
  m.width.assign(static_cast<std::size_t>(m.depth), m.width.front());
  if (const json* w = r.find("width")) {
    if (w->is_array()) {
      if (!depth_ok) {
        // model.depth is already reported; a length check against its default would mislead.
      } else if (w->size() != static_cast<std::size_t>(m.depth)) {
        r.issue("model.width", "expected " + std::to_string(m.depth) +
                                   " widths (one per hidden layer, model.depth = " +
                                   std::to_string(m.depth) + "), got " +
                                   std::to_string(w->size()));
      } else {
        for (std::size_t i = 0; i < w->size(); ++i)
          m.width[i] = static_cast<int>(r.integer_value(
              (*w)[i], "model.width[" + std::to_string(i) + "]", 1, 1, 100'000));
      }
    } else {
      const int width = static_cast<int>(r.integer("width", 32, 1, 100'000));
      std::fill(m.width.begin(), m.width.end(), width);
    }
  }
  if (auto a = r.choice("activation", kActivations)) m.activation = *a;
  const std::string act_text =
      "model.activation is " + std::string(kActivations.name(m.activation));
  if (m.activation == Activation::leaky_relu)
    m.negative_slope = r.number("negative_slope", m.negative_slope, 0.0, 1.0, false, true);
  else
    r.only_for("negative_slope", "model.activation is \"leaky_relu\" (" + act_text + ")");
  if (m.activation == Activation::elu)
    m.elu_alpha = r.number("elu_alpha", m.elu_alpha, 0.0, 1e6, true);
  else
    r.only_for("elu_alpha", "model.activation is \"elu\" (" + act_text + ")");

  m.init = r.choice("init", kInits, "auto");
  if (!m.init) {
    const bool rectifier = m.activation == Activation::relu ||
                           m.activation == Activation::leaky_relu ||
                           m.activation == Activation::elu;
    m.init = rectifier ? InitScheme::he_normal : InitScheme::xavier_normal;
  }
  m.gain = r.number("gain", m.gain, 0.0, 1e6, true);
  if (*m.init == InitScheme::normal || *m.init == InitScheme::uniform) {
    if (!r.has("init_scale"))
      r.issue("model.init_scale", std::string("required when model.init is \"") +
                                      std::string(kInits.name(*m.init)) +
                                      "\" (the std of normal, the half-width of uniform)");
    else
      m.init_scale = r.number("init_scale", 0.01, 0.0, 1e6, true);
  } else {
    r.only_for("init_scale", "model.init is \"normal\" or \"uniform\" (model.init is " +
                                 std::string(kInits.name(*m.init)) + ")");
  }
  m.bias_init = r.number("bias_init", m.bias_init, -1e6, 1e6);
  const std::string type_text = "model.type is " + std::string(kModelTypes.name(m.type));
  if (!is_recurrent(m.type)) {
    m.skip = static_cast<int>(r.integer("skip", m.skip, 0, 1000));
    if (m.skip > m.depth)
      r.issue("model.skip", "expected 0 or a span up to model.depth (" + std::to_string(m.depth) +
                                "), got " + std::to_string(m.skip));
    m.batch_norm = r.boolean("batch_norm", m.batch_norm);
    for (auto key : {"recurrent_init", "recurrent_gain", "recurrent_init_scale",
                     "spectral_radius", "forget_bias"})
      r.only_for(key, "model.type is \"rnn\", \"lstm\" or \"gru\" (" + type_text + ")");
  } else {
    for (auto key : {"skip", "batch_norm"})
      r.only_for(key, "model.type is \"mlp\" (" + type_text + ")");
    if (m.depth < 1) r.issue("model.depth", "a recurrent model needs at least one layer (got 0)");
    if (m.type != ModelType::rnn && r.has("activation"))
      r.issue("model.activation", "applies only when model.type is \"mlp\" or \"rnn\" (" +
                                      type_text + "; its gates have fixed activations)");
    if (auto ri = r.choice("recurrent_init", kRecurrentSchemes)) m.recurrent_init = *ri;
    m.recurrent_gain = r.number("recurrent_gain", m.recurrent_gain, 0.0, 1e6, true);
    if (m.recurrent_init == RecurrentScheme::normal || m.recurrent_init == RecurrentScheme::uniform) {
      if (!r.has("recurrent_init_scale"))
        r.issue("model.recurrent_init_scale",
                "required when model.recurrent_init is \"" +
                    std::string(kRecurrentSchemes.name(m.recurrent_init)) + "\"");
      else
        m.recurrent_init_scale = r.number("recurrent_init_scale", 0.01, 0.0, 1e6, true);
    } else {
      r.only_for("recurrent_init_scale",
                 "model.recurrent_init is \"normal\" or \"uniform\" (model.recurrent_init is " +
                     std::string(kRecurrentSchemes.name(m.recurrent_init)) + ")");
    }
    if (r.has("spectral_radius"))
      m.spectral_radius = r.number("spectral_radius", 1.0, 0.0, 1e6, true);
    if (m.type == ModelType::lstm)
      m.forget_bias = r.number("forget_bias", m.forget_bias, -1e6, 1e6);
    else
      r.only_for("forget_bias", "model.type is \"lstm\" (" + type_text + ")");
  }
  if (m.batch_norm) {
    m.bn_momentum = r.number("bn_momentum", m.bn_momentum, 0.0, 1.0, true);
    m.bn_eps = r.number("bn_eps", m.bn_eps, 0.0, 1.0, true);
  } else {
    r.only_for("bn_momentum", "model.batch_norm is true");
    r.only_for("bn_eps", "model.batch_norm is true");
  }
  m.output = r.choice("output", kOutputs, "auto");
  m.weights = resolve_path(r.string("weights", ""), context.base_dir);
  r.finish();
  return m;
}

TrainConfig read_train(ObjectReader& top, std::vector<ConfigIssue>& issues, bool recurrent) {
  TrainConfig t;
  ObjectReader r(top.find("train"), "train", issues);
  t.epochs = static_cast<int>(r.integer("epochs", t.epochs, 0, 10'000'000));
  t.batch_size = static_cast<int>(r.integer("batch_size", t.batch_size, 0, 10'000'000));
  if (auto o = r.choice("optimizer", kOptimizers)) t.optimizer = *o;
  const double default_lr = t.optimizer == OptimizerKind::adam ? 0.001 : 0.1;
  t.lr = r.number("lr", default_lr, 0.0, 1e6, true);
  const std::string opt_text = "train.optimizer is " + std::string(kOptimizers.name(t.optimizer));
  if (t.optimizer == OptimizerKind::momentum || t.optimizer == OptimizerKind::nesterov)
    t.momentum = r.number("momentum", t.momentum, 0.0, 1.0, false, true);
  else
    r.only_for("momentum", "train.optimizer is \"momentum\" or \"nesterov\" (" + opt_text + ")");
  if (t.optimizer == OptimizerKind::adam) {
    t.beta1 = r.number("beta1", t.beta1, 0.0, 1.0, false, true);
    t.beta2 = r.number("beta2", t.beta2, 0.0, 1.0, false, true);
    t.eps = r.number("eps", t.eps, 0.0, 1.0, true);
  } else {
    for (auto key : {"beta1", "beta2", "eps"})
      r.only_for(key, "train.optimizer is \"adam\" (" + opt_text + ")");
  }
  t.weight_decay = r.number("weight_decay", t.weight_decay, 0.0, 1e6);
  t.clip_threshold = r.number("clip_threshold", t.clip_threshold, 0.0, 1e30);
  t.shuffle = r.boolean("shuffle", t.shuffle);
  if (recurrent)
    t.truncation = static_cast<int>(r.integer("truncation", t.truncation, 0, 100'000));
  else
    r.only_for("truncation", "model.type is \"rnn\", \"lstm\" or \"gru\"");
  t.checkpoint_every = static_cast<long>(
      r.integer("checkpoint_every", t.checkpoint_every, 0, 1'000'000'000'000));
  r.finish();
  return t;
}

LogConfig read_log(ObjectReader& top, std::vector<ConfigIssue>& issues) {
  LogConfig l;
  ObjectReader r(top.find("log"), "log", issues);
  l.every = static_cast<int>(r.integer("every", l.every, 1, 1'000'000'000));
  l.dir = r.string("dir", l.dir);
  if (l.dir.empty()) r.issue("log.dir", "must not be empty");
  l.save_data = r.boolean("save_data", l.save_data);
  l.quantiles = r.boolean("quantiles", l.quantiles);
  r.finish();
  return l;
}

// Optimal string alignment distance (Levenshtein with adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(w, lower(c));
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  if (!best) return std::nullopt;
  const std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(3, w.size() / 3));
  if (best_distance <= allowed) return best;
  // A prefix such as "xavier" for "xavier_normal" or "batch" for "batch_size".
  if (w.size() >= 3)
    for (const auto& c : candidates)
      if (lower(c).rfind(w, 0) == 0 || w.rfind(lower(c), 0) == 0) return c;
  return std::nullopt;
}

Config parse_config(const json& doc, const ConfigContext& context) {
  std::vector<ConfigIssue> issues;
  Config c;
  ObjectReader top(&doc, "", issues);
  c.name = top.string("name", context.default_name);
  if (top.has("name") && c.name.empty()) top.issue("name", "must not be empty");
  c.seed = top.seed("seed", c.seed);
  if (auto d = top.choice("dtype", kDTypes)) c.dtype = *d;
  c.data = read_data(top, issues, context);
  c.model = read_model(top, issues, context);
  c.train = read_train(top, issues, is_recurrent(c.model.type));
  c.log = read_log(top, issues);
  top.finish();

  // Choices that contradict each other across sections.
  const bool recurrent = is_recurrent(c.model.type);
  if (recurrent && !is_sequence_task(c.data.type) && c.data.type != DataKind::sine)
    issues.push_back({"data.type", "\"" + std::string(kDataKinds.name(c.data.type)) +
                                       "\" holds samples, not sequences; a recurrent model (" +
                                       std::string(kModelTypes.name(c.model.type)) +
                                       ") needs adding, copy, temporal_order, sine or text"});
  if (recurrent && c.log.save_data)
    issues.push_back({"log.save_data", "applies only to model.type \"mlp\" (its data are "
                                       "samples; sequence tasks are not written out)"});
  if (!recurrent && is_sequence_task(c.data.type))
    issues.push_back({"data.type", "\"" + std::string(kDataKinds.name(c.data.type)) +
                                       "\" is a sequence task; use model.type rnn, lstm or gru"});
  if (!recurrent && c.data.type == DataKind::sine && doc.contains("data") &&
      doc["data"].is_object() && doc["data"].contains("length") && !doc["data"]["length"].is_null())
    issues.push_back({"data.length", "applies only to sequence tasks (data.type \"sine\" with "
                                     "an mlp is y = sin x, one sample at a time)"});
  Task task = Task::classification;
  int classes = 0;
  if (c.model.output && generator_task(c.data, task, classes)) {
    const Output o = *c.model.output;
    if (task == Task::regression && o != Output::linear)
      issues.push_back({"model.output", "\"" + std::string(kOutputs.name(o)) +
                                            "\" needs a classification task; data.type \"" +
                                            std::string(kDataKinds.name(c.data.type)) +
                                            "\" is regression (use \"linear\" or \"auto\")"});
    if (task == Task::classification && o == Output::linear)
      issues.push_back({"model.output", "\"linear\" needs a regression task; data.type \"" +
                                            std::string(kDataKinds.name(c.data.type)) +
                                            "\" is classification (use \"sigmoid\", \"softmax\" "
                                            "or \"auto\")"});
    if (task == Task::classification && o == Output::sigmoid && classes > 2)
      issues.push_back({"model.output", "\"sigmoid\" needs two classes; the data has " +
                                            std::to_string(classes) +
                                            " (use \"softmax\" or \"auto\")"});
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return c;
}

json to_json(const Config& c) {
  json data;
  const DataKind kind = c.data.type;
  const bool recurrent = is_recurrent(c.model.type);
  data["type"] = kDataKinds.name(kind);
  if (c.data.seed) data["seed"] = *c.data.seed;
  if (kind == DataKind::csv || kind == DataKind::text) {
    data["path"] = c.data.path;
    data["test_fraction"] = c.data.test_fraction;
  }
  if (kind == DataKind::csv) {
    data["target"] = c.data.target;
    data["task"] = c.data.task ? kTasks.name(*c.data.task) : "auto";
    data["standardize"] = c.data.standardize;
  } else {
    data["train_size"] = c.data.train_size;
    data["test_size"] = c.data.test_size;
  }
  if (kind != DataKind::csv && !is_sequence_task(kind)) data["noise"] = c.data.noise;
  if (kind == DataKind::blobs) {
    data["classes"] = c.data.classes;
    data["features"] = c.data.features;
  }
  if (is_sequence_task(kind) || (kind == DataKind::sine && recurrent))
    data["length"] = c.data.length;
  if (kind == DataKind::copy) {
    data["pattern_length"] = c.data.pattern_length;
    data["symbols"] = c.data.symbols;
  }

  const ModelConfig& m = c.model;
  json model;
  model["type"] = kModelTypes.name(m.type);
  model["depth"] = m.depth;
  model["width"] = m.width;
  if (m.type == ModelType::mlp || m.type == ModelType::rnn)
    model["activation"] = kActivations.name(m.activation);
  if (m.activation == Activation::leaky_relu) model["negative_slope"] = m.negative_slope;
  if (m.activation == Activation::elu) model["elu_alpha"] = m.elu_alpha;
  model["init"] = m.init ? kInits.name(*m.init) : "auto";
  model["gain"] = m.gain;
  if (m.init_scale) model["init_scale"] = *m.init_scale;
  model["bias_init"] = m.bias_init;
  if (!recurrent) {
    model["skip"] = m.skip;
    model["batch_norm"] = m.batch_norm;
  } else {
    model["recurrent_init"] = kRecurrentSchemes.name(m.recurrent_init);
    model["recurrent_gain"] = m.recurrent_gain;
    if (m.recurrent_init_scale) model["recurrent_init_scale"] = *m.recurrent_init_scale;
    if (m.spectral_radius) model["spectral_radius"] = *m.spectral_radius;
    if (m.type == ModelType::lstm) model["forget_bias"] = m.forget_bias;
  }
  if (m.batch_norm) {
    model["bn_momentum"] = m.bn_momentum;
    model["bn_eps"] = m.bn_eps;
  }
  model["output"] = m.output ? kOutputs.name(*m.output) : "auto";
  if (!m.weights.empty()) model["weights"] = m.weights;

  const TrainConfig& t = c.train;
  json train;
  train["epochs"] = t.epochs;
  train["batch_size"] = t.batch_size;
  train["optimizer"] = kOptimizers.name(t.optimizer);
  train["lr"] = t.lr.value_or(0.0);
  if (t.optimizer == OptimizerKind::momentum || t.optimizer == OptimizerKind::nesterov)
    train["momentum"] = t.momentum;
  if (t.optimizer == OptimizerKind::adam) {
    train["beta1"] = t.beta1;
    train["beta2"] = t.beta2;
    train["eps"] = t.eps;
  }
  train["weight_decay"] = t.weight_decay;
  train["clip_threshold"] = t.clip_threshold;
  train["shuffle"] = t.shuffle;
  if (recurrent) train["truncation"] = t.truncation;
  train["checkpoint_every"] = t.checkpoint_every;

  json log;
  log["every"] = c.log.every;
  log["dir"] = c.log.dir;
  log["save_data"] = c.log.save_data;
  log["quantiles"] = c.log.quantiles;

  json doc;
  doc["name"] = c.name;
  doc["seed"] = c.seed;
  doc["dtype"] = kDTypes.name(c.dtype);
  doc["data"] = std::move(data);
  doc["model"] = std::move(model);
  doc["train"] = std::move(train);
  doc["log"] = std::move(log);
  return doc;
}

void apply_override(json& doc, std::string_view assignment) {
  const auto eq = assignment.find('=');
  const std::string text(assignment);
  if (eq == std::string_view::npos || eq == 0)
    throw ConfigError("--set", "expected key.path=value, got \"" + text + "\"");
  const std::string key(assignment.substr(0, eq));
  const std::string value_text(assignment.substr(eq + 1));
  json value = json::parse(value_text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = value_text;

  std::vector<std::string> segments;
  std::stringstream stream(key);
  for (std::string segment; std::getline(stream, segment, '.');) segments.push_back(segment);
  if (key.back() == '.' || std::any_of(segments.begin(), segments.end(),
                                       [](const std::string& s) { return s.empty(); }))
    throw ConfigError("--set", "empty segment in key \"" + key + "\"");

  json* node = &doc;
  std::string path;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    const bool last = i + 1 == segments.size();
    if (node->is_null()) *node = json::object();
    if (node->is_array()) {
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      if (ec != std::errc() || ptr != seg.data() + seg.size() || index >= node->size())
        throw ConfigError(path, "--set " + key + ": \"" + seg + "\" is not an index of this " +
                                    std::to_string(node->size()) + "-element array");
      path += "[" + seg + "]";
      node = &(*node)[index];
    } else if (node->is_object()) {
      path += (path.empty() ? "" : ".") + seg;
      node = &(*node)[seg];
    } else {
      throw ConfigError(path, "--set " + key + ": cannot set \"" + seg + "\" inside " +
                                  type_name(*node));
    }
    if (last) *node = value;
  }
}

json read_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError("", path.string() + " is a directory, not a config file");
  std::ifstream in(path);
  if (!in)
    throw ConfigError("", "cannot read config file " + path.string() + ": " +
                              (std::filesystem::exists(path, ec) ? "permission denied"
                                                                 : "no such file"));
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/false);
  if (doc.is_discarded()) {
    // Parse again with exceptions to get nlohmann's position-bearing message.
    in.clear();
    in.seekg(0);
    try {
      doc = json::parse(in);
    } catch (const json::parse_error& e) {
      throw ConfigError("", path.string() + ": invalid JSON: " + e.what());
    }
  }
  if (!doc.is_object())
    throw ConfigError("", path.string() + ": expected a JSON object at the top level");
  return doc;
}

std::string_view name_of(Activation a) { return kActivations.name(a); }
std::string_view name_of(InitScheme s) { return kInits.name(s); }
std::string_view name_of(Output o) { return kOutputs.name(o); }
std::string_view name_of(OptimizerKind o) { return kOptimizers.name(o); }
std::string_view name_of(DataKind d) { return kDataKinds.name(d); }
std::string_view name_of(Task t) { return kTasks.name(t); }
std::string_view name_of(DType d) { return kDTypes.name(d); }
std::string_view name_of(ModelType m) { return kModelTypes.name(m); }
std::string_view name_of(RecurrentScheme r) { return kRecurrentSchemes.name(r); }

}  // namespace nnlab
