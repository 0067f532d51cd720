// Strict config reader and resolved-config writer. Every field is read through ObjectReader,
// which records the JSON path, checks type and range, and reports unknown keys with the likely
// intended key; all problems are collected and thrown together.
#include "config/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "config/config_names.h"
#include "config/config_table.h"
#include "base/errors.h"
#include "base/files.h"
#include "base/json_io.h"

namespace nnlab {

using nlohmann::json;

namespace {

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
  return json_excerpt(v, 40) + " (" + type_name(v) + ")";
}

std::string describe_json(const nlohmann::ordered_json& v) { return describe_json(json(v)); }

namespace {

std::string show(const json& v) { return describe_json(v); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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
  std::vector<ConfigIssue>& issues() { return issues_; }

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

  // One of `names` (an other name in `aliases` is suggested, not accepted). Returns the name
  // given, or nullopt when absent or refused.
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& names,
                                    const std::vector<std::pair<std::string, std::string>>& aliases) {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) {
      const auto text = v->get<std::string>();
      if (std::find(names.begin(), names.end(), text) != names.end()) return text;
      std::string message = "expected one of " + quoted_list(names) + "; got \"" + text + "\"";
      std::optional<std::string> guess;
      for (const auto& [other, name] : aliases)
        if (lower(text) == other) guess = name;
      if (!guess) guess = closest_match(text, names);
      if (guess) message += " (did you mean \"" + *guess + "\"?)";
      issue(path_of(key), message);
      bad_choice_ = true;
      return std::nullopt;
    }
    issue(path_of(key), "expected one of " + quoted_list(names) + "; got " + show(*v));
    bad_choice_ = true;
    return std::nullopt;
  }
  bool bad_choice() const { return bad_choice_; }

  // Reports keys this reader was never asked about. Keys starting with '_' are comments.
  void finish() {
    if (object_ == nullptr) return;
    std::vector<std::string> candidates;
    for (const auto& key : known_)
      if (key[0] != '$') candidates.push_back(key);  // "$schema" is for editors
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

// The current value of a key as messages show it: moons, true.
std::string value_text(const KeySpec& key, const Config& c) {
  const json v = key.field.get(c);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// The clause a key's condition fails on (the first), for "applies only when" messages.
const Clause* failing_clause(const KeySpec& key, const Config& c) {
  if (key.when.size() != 1) return nullptr;
  for (const auto& clause : key.when.front()) {
    KeySpec one = key;
    one.when = {{clause}};
    if (!applies(one, c)) return &clause;
  }
  return nullptr;
}

std::string refusal_message(const KeySpec& key, const Config& c) {
  if (key.refusal) {
    std::string message = key.refusal(c);
    if (!message.empty()) return message;
  }
  const Clause* clause = failing_clause(key, c);
  std::string when = condition_text(key);
  std::string controller = key.when.front().front().key;
  if (clause != nullptr) {
    KeySpec one = key;
    one.when = {{*clause}};
    one.when_text.clear();
    if (key.when_text.empty()) when = condition_text(one);
    controller = clause->key;
  }
  std::string message = "applies only when " + when;
  // The current value of the choice that decides, when it is in the same section.
  const KeySpec* other = find_key(config_keys(), controller);
  if (section_of(controller) == section_of(key.path) && other->type == KeyType::choice) {
    message += " (" + controller + " is " + value_text(*other, c) +
               (key.note.empty() ? "" : "; " + key.note) + ")";
  }
  return message;
}

std::string required_message(const KeySpec& key, const Config& c) {
  const Clause& clause = key.when.front().back();
  const KeySpec* other = find_key(config_keys(), clause.key);
  return "required when " + clause.key + " is \"" + value_text(*other, c) + "\"" +
         (key.required_note.empty() ? "" : " (" + key.required_note + ")");
}

// model.width: one integer for every layer, or one per layer (model.depth of them).
json read_widths(const KeySpec& key, ObjectReader& r, const Config& c, bool depth_ok) {
  const std::int64_t fallback = key.fallback.get<std::int64_t>();
  std::vector<int> width(static_cast<std::size_t>(c.model.depth), static_cast<int>(fallback));
  const json* w = r.find(leaf(key.path));
  if (w == nullptr) return width;
  const auto lo = static_cast<std::int64_t>(key.lo), hi = static_cast<std::int64_t>(key.hi);
  if (w->is_array()) {
    if (!depth_ok) {
      // model.depth is already reported; a length check against its default would mislead.
    } else if (w->size() != static_cast<std::size_t>(c.model.depth)) {
      r.issue(key.path, "expected " + std::to_string(c.model.depth) +
                            " widths (one per hidden layer, model.depth = " +
                            std::to_string(c.model.depth) + "), got " + std::to_string(w->size()));
    } else {
      for (std::size_t i = 0; i < w->size(); ++i)
        width[i] = static_cast<int>(r.integer_value(
            (*w)[i], key.path + "[" + std::to_string(i) + "]", 1, lo, hi));
    }
  } else {
    const int one = static_cast<int>(r.integer(leaf(key.path), fallback, lo, hi));
    std::fill(width.begin(), width.end(), one);
  }
  return width;
}

// Reads one key of the table into the config: its value, its default when absent or when it
// does not apply (then a value given is refused), "required" and "must not be empty" checks.
void read_key(const KeySpec& key, ObjectReader& r, Config& c, const ConfigContext& context,
              bool depth_ok, std::vector<ConfigIssue>& deferred) {
  if (!key.field.set) {  // accepted and ignored ("$schema")
    r.find(leaf(key.path));
    return;
  }
  const std::string name(leaf(key.path));
  const json fallback = key.dynamic_default ? key.dynamic_default(c, context) : key.fallback;
  if (!applies(key, c)) {
    // A key still read is refused after the section's other keys and rules.
    if (r.has(name) && !r.bad_choice())
      (key.read_anyway ? deferred : r.issues()).push_back({key.path, refusal_message(key, c)});
    if (!key.read_anyway) {
      key.field.set(c, fallback);
      return;
    }
  }
  if (key.required && applies(key, c) && !r.has(name)) {
    r.issue(key.path, required_message(key, c));
    key.field.set(c, fallback);
    return;
  }
  const std::size_t before = r.issue_count();
  json value = fallback;
  const bool given = r.has(name);
  switch (key.type) {
    case KeyType::integer: {
      const double lo = key.dynamic_lo ? key.dynamic_lo(c) : key.lo;
      if (given || !fallback.is_null())
        value = r.integer(name, fallback.is_null() ? 0 : fallback.get<std::int64_t>(),
                          static_cast<std::int64_t>(lo), static_cast<std::int64_t>(key.hi));
      break;
    }
    case KeyType::number:
      if (given)
        value = r.number(name, fallback.is_null() ? 0.0 : fallback.get<double>(), key.lo, key.hi,
                         key.lo_open, key.hi_open);
      break;
    case KeyType::boolean: value = r.boolean(name, fallback.get<bool>()); break;
    case KeyType::string:
      if (given) value = r.string(name, fallback.is_null() ? "" : fallback.get<std::string>());
      break;
    case KeyType::seed:
      if (given) value = r.seed(name, fallback.is_null() ? 0 : fallback.get<std::uint64_t>());
      break;
    case KeyType::choice:
      if (auto chosen = r.choice(name, key.choices, key.aliases)) value = *chosen;
      break;
    case KeyType::widths: value = read_widths(key, r, c, depth_ok); break;
    case KeyType::any: break;
  }
  if (key.non_empty && given && value == "" && r.issue_count() == before)
    r.issue(key.path, "must not be empty");
  if (key.path_component && value.is_string() && r.issue_count() == before)
    if (auto problem = path_component_problem(value.get<std::string>()))  // it names a directory
      r.issue(key.path, *problem + (given ? "" : " (the config file's name)"));
  if (key.is_path && value.is_string())
    value = resolve_path(value.get<std::string>(), context.base_dir);
  key.field.set(c, value);
  if (key.resolve) key.resolve(c);
}

// The raw value of a key in the document, or nullptr.
const json* raw_value(const json& doc, std::string_view path) {
  const json* node = &doc;
  std::string_view rest = path;
  while (true) {
    if (!node->is_object()) return nullptr;
    const auto dot = rest.find('.');
    auto it = node->find(std::string(rest.substr(0, dot)));
    if (it == node->end() || it->is_null()) return nullptr;
    node = &*it;
    if (dot == std::string_view::npos) return node;
    rest = rest.substr(dot + 1);
  }
}

// Choices that decide whether other keys apply are known before any section is read (data.length
// depends on model.type, read later). Invalid values are left for the reader to report.
void preset_choices(const json& doc, Config& c) {
  for (const auto& key : config_keys()) {
    if ((key.type != KeyType::choice && key.type != KeyType::boolean) || !key.field.set) continue;
    const json* v = raw_value(doc, key.path);
    if (v == nullptr) continue;
    const bool ok = key.type == KeyType::boolean
                        ? v->is_boolean()
                        : v->is_string() && std::find(key.choices.begin(), key.choices.end(),
                                                      v->get<std::string>()) != key.choices.end();
    if (ok) key.field.set(c, *v);
  }
}

// Rules between the keys of one section, checked after its keys are read.
void check_model(ObjectReader& r, const Config& c) {
  const ModelConfig& m = c.model;
  if (!is_recurrent(m.type) && m.skip > m.depth)
    r.issue("model.skip", "expected 0 or a span up to model.depth (" + std::to_string(m.depth) +
                              "), got " + std::to_string(m.skip));
  if (is_recurrent(m.type) && m.depth < 1)
    r.issue("model.depth", "a recurrent model needs at least one layer (got 0)");
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

}  // namespace

// Longer words get no suggestion: the edit distance costs |word| x |candidate|.
constexpr std::size_t kMaxSuggestedWord = 64;

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  if (word.size() > kMaxSuggestedWord) return std::nullopt;  // bounded cost on hostile keys
  const std::string w = lower(word);
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    if (c.size() > w.size() + 3 || w.size() > c.size() + 3) continue;  // distance > 3: no match
    const std::size_t d = edit_distance(w, lower(c));
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(3, w.size() / 3));
  if (best && best_distance <= allowed) return best;
  // A prefix such as "xavier" for "xavier_normal" or "batch" for "batch_size".
  if (w.size() >= 3)
    for (const auto& c : candidates)
      if (lower(c).rfind(w, 0) == 0 || w.rfind(lower(c), 0) == 0) return c;
  return std::nullopt;
}

Config parse_config(const json& doc, const ConfigContext& context) {
  std::vector<ConfigIssue> issues;
  Config c;
  preset_choices(doc, c);
  ObjectReader top(&doc, "", issues);
  const auto& keys = config_keys();
  std::vector<ConfigIssue> deferred;
  for (const auto& key : keys)
    if (section_of(key.path).empty()) read_key(key, top, c, context, true, deferred);
  for (const auto& section : config_sections()) {
    ObjectReader r(top.find(section), section, issues);
    bool depth_ok = true;
    for (const auto& key : keys) {
      if (section_of(key.path) != section) continue;
      const std::size_t before = r.issue_count();
      read_key(key, r, c, context, depth_ok, deferred);
      if (key.path == "model.depth") depth_ok = r.issue_count() == before;
    }
    if (section == "model") check_model(r, c);
    issues.insert(issues.end(), deferred.begin(), deferred.end());
    deferred.clear();
    r.finish();
  }
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

Config default_config() { return parse_config(json::object(), ConfigContext{}); }

json to_json(const Config& c) {
  json doc;
  for (const auto& key : config_keys()) {
    if (!key.field.get || !applies(key, c)) continue;
    json value = key.field.get(c);
    if (value.is_null() && !key.choices.empty() && key.choices.front() == "auto") value = "auto";
    if (value.is_null() || (key.omit_empty && value == "")) continue;
    const std::string section(section_of(key.path));
    if (section.empty())
      doc[key.path] = std::move(value);
    else
      doc[section][std::string(leaf(key.path))] = std::move(value);
  }
  return doc;
}

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

void apply_override(json& doc, std::string_view assignment) {
  const auto split = split_assignment(assignment);
  if (!split)
    throw ConfigError("--set", "expected key.path=value, got \"" + std::string(assignment) + "\"");
  const std::string& key = split->key;
  json value = parse_override_value(split->value_text, "--set " + key);

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
  json doc;
  try {
    doc = parse_json(read_json_text(path));
  } catch (const JsonError& e) {
    throw ConfigError("", path.string() + ": " + e.what());
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

}  // namespace nnlab
