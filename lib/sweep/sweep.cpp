// Sweep files: the strict reader, the expansion into named runs, the up-front check of every
// run's config, run-directory states and the commands that run them, and the manifest.
#include "sweep/sweep.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "config/config.h"
#include "config/config_table.h"
#include "run/experiment.h"
#include "base/errors.h"
#include "base/files.h"
#include "base/hash.h"
#include "base/json_io.h"
#include "run/run_dir.h"

namespace nnlab {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::size_t kMaxRuns = 1'000'000;
constexpr std::uint64_t kMaxSeedCount = 100'000;
constexpr std::size_t kMaxNameBytes = 200;

// A key of a "--set": dotted segments, none empty, no '='.
std::optional<std::string> key_problem(const std::string& key) {
  if (key.empty()) return "empty key";
  if (has_control(key)) return "a key must not contain control characters";
  if (key.find('=') != std::string::npos) return "a key must not contain '='";
  if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos)
    return "empty segment in key \"" + key + "\"";
  return std::nullopt;
}

class SweepReader {
 public:
  explicit SweepReader(std::vector<ConfigIssue>& issues) : issues_(issues) {}
  void issue(std::string path, std::string message) {
    issues_.push_back({std::move(path), std::move(message)});
  }

  // An override set: {"key": value, ...} or ["key=value", ...].
  OverrideSet overrides(const ordered_json& v, const std::string& path) {
    OverrideSet set;
    std::set<std::string> seen;
    auto add = [&](const std::string& key, json value, const std::string& where) {
      if (auto problem = key_problem(key)) {
        issue(where, *problem);
        return;
      }
      if (!seen.insert(key).second) {
        issue(where, "\"" + key + "\" is set twice");
        return;
      }
      set.push_back({key, std::move(value), std::nullopt});
    };
    if (v.is_object()) {
      for (const auto& [key, value] : v.items()) add(key, json(value), path + "." + key);
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string where = path + "[" + std::to_string(i) + "]";
        const auto& item = v[i];
        const auto split = item.is_string() ? split_assignment(item.get<std::string>()) : std::nullopt;
        if (!split) {
          issue(where, "expected \"key.path=value\", got " + describe_json(item));
          continue;
        }
        add(split->key, parse_override_value(split->value_text, where), where);
      }
    } else {
      issue(path, "expected an object of \"key.path\": value or a list of \"key.path=value\" "
                  "strings, got " + describe_json(v));
    }
    return set;
  }

 private:
  std::vector<ConfigIssue>& issues_;
};

// An inline base config: relative data and weights paths are taken from the sweep file's
// directory (the base is written elsewhere, into the sweep directory).
void absolutize(json& doc, const fs::path& dir) {
  for (const auto& k : config_keys()) {
    if (!k.is_path) continue;
    const std::string section(section_of(k.path)), key(leaf(k.path));
    json* object = &doc;
    if (!section.empty()) {
      if (!doc.contains(section) || !doc[section].is_object()) continue;
      object = &doc[section];
    }
    if (!object->contains(key) || !(*object)[key].is_string()) continue;
    const fs::path p((*object)[key].get<std::string>());
    if (!p.empty() && p.is_relative()) (*object)[key] = (dir / p).lexically_normal().string();
  }
}

// Paths in overrides, like the base's, are relative to the sweep file (not to the base config,
// which may be an inline one written into the sweep directory).
void resolve_override_path(Override& o, const fs::path& dir) {
  if (is_path_key(o.key) && o.value.is_string() &&
      !o.value.get<std::string>().empty() && fs::path(o.value.get<std::string>()).is_relative())
    o.path = (dir / o.value.get<std::string>()).lexically_normal().string();
}

std::string last_label(const std::string& key) {
  std::vector<std::string> segments;
  std::stringstream stream(key);
  for (std::string s; std::getline(stream, s, '.');) segments.push_back(s);
  auto numeric = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  std::size_t first = segments.size() - 1;
  while (first > 0 && numeric(segments[first])) --first;
  std::string label;
  for (std::size_t i = first; i < segments.size(); ++i) label += (i == first ? "" : ".") + segments[i];
  return label;
}

std::string label_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string sanitize(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '+' || c == '-';
    if (!safe) c = '_';
  }
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_if_changed(const fs::path& path, const std::string& content) {
  if (read_text(path) == content) return;
  write_file_atomic(path, content);
}

}  // namespace

std::string Override::assignment() const {
  const json& v = path ? *path : value;
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    // A string that would read back as JSON (3, true, null, "x", [1]) keeps its quotes.
    // A control character (a newline) is written as JSON's escape, so that a --list line is
    // one line whatever the value.
    if (!has_control(text)) {
      try {
        parse_json(text);
      } catch (const JsonError&) {
        return key + "=" + text;
      }
    }
  }
  return key + "=" + v.dump();
}

SweepSpec parse_sweep(const ordered_json& doc, const fs::path& file, const std::string& out) {
  std::vector<ConfigIssue> issues;
  SweepReader r(issues);
  SweepSpec s;
  s.file = fs::absolute(file).lexically_normal();
  const fs::path dir = s.file.parent_path();
  if (!doc.is_object())
    throw ConfigError("", file.string() + ": expected a JSON object at the top level");

  std::vector<std::string> known;  // "$schema" is accepted for editors, not suggested
  for (const auto& k : sweep_keys())
    if (k.path[0] != '$') known.push_back(k.path);
  for (const auto& [key, value] : doc.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end() || key == "$schema" ||
        (!key.empty() && key[0] == '_'))
      continue;
    std::string message = "unknown key";
    if (auto guess = closest_match(key, known)) {
      message += " (did you mean \"" + *guess + "\"?)";
    } else {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "\"" : ", \"") + k + "\"";
      message += " (known keys: " + list + ")";
    }
    r.issue(key, message);
  }
  auto find = [&](const char* key) -> const ordered_json* {
    auto it = doc.find(key);
    return it == doc.end() || it->is_null() ? nullptr : &*it;
  };

  s.name = s.file.stem().string();
  if (const auto* v = find("name")) {
    if (!v->is_string())
      r.issue("name", "expected a non-empty string without '/', got " + describe_json(*v));
    else if (auto problem = path_component_problem(v->get<std::string>()))
      r.issue("name", *problem + ", got " + describe_json(*v));
    else
      s.name = v->get<std::string>();
  } else if (auto problem = path_component_problem(s.name)) {
    r.issue("name", *problem + " (the sweep file's name; give \"name\")");
  }

  std::string out_text = out;  // --out wins over the file's "out", which is still checked
  if (const auto* v = find("out")) {
    if (!v->is_string() || v->get<std::string>().empty())
      r.issue("out", "expected a non-empty string (a directory), got " + describe_json(*v));
    else if (out_text.empty())
      out_text = v->get<std::string>();
  }
  if (out_text.empty()) out_text = (fs::path("runs") / s.name).string();
  s.out = fs::absolute(out_text).lexically_normal();
  if (s.out.has_filename() == false) s.out = s.out.parent_path();
  // Paths become words of --list's command lines, which must stay one line each.
  if (has_control(s.out.string()))
    r.issue(out.empty() ? "out" : "--out", "the sweep directory's path must not contain control characters");

  if (const auto* v = find("base")) {
    if (v->is_string() && !v->get<std::string>().empty()) {
      fs::path base(v->get<std::string>());
      if (base.is_relative()) base = dir / base;
      s.base = fs::absolute(base).lexically_normal();
      if (has_control(s.base.string()))
        r.issue("base", "the base config's path must not contain control characters");
      try {
        s.base_doc = read_config_file(s.base);
      } catch (const ConfigError& e) {
        for (const auto& issue : e.issues()) r.issue("base", issue.message);
      }
    } else if (v->is_object()) {
      s.inline_base = true;
      s.base = s.out / kInlineBaseFile;
      s.base_doc = json(*v);
      absolutize(s.base_doc, dir);
      if (!s.base_doc.contains("name") || s.base_doc["name"].is_null()) s.base_doc["name"] = s.name;
    } else {
      r.issue("base", "expected a config file path (a string, relative to the sweep file) or a "
                      "config (an object), got " + describe_json(*v));
    }
  } else {
    r.issue("base", "required: the config file every run starts from (a path relative to the "
                    "sweep file) or an inline config object");
  }

  if (const auto* v = find("set")) s.fixed = r.overrides(*v, "set");

  if (const auto* v = find("grid")) {
    if (!v->is_object()) {
      r.issue("grid", "expected an object of \"key.path\": [value, ...], got " + describe_json(*v));
    } else {
      for (const auto& [key, values] : v->items()) {
        const std::string path = "grid." + key;
        if (auto problem = key_problem(key)) {
          r.issue(path, *problem);
          continue;
        }
        if (!values.is_array() || values.empty()) {
          r.issue(path, "expected a non-empty list of values, got " + describe_json(values));
          continue;
        }
        std::vector<json> list;
        for (std::size_t i = 0; i < values.size(); ++i) {
          json value = json(values[i]);
          if (std::find(list.begin(), list.end(), value) != list.end()) {
            r.issue(path + "[" + std::to_string(i) + "]", "duplicate value " + json_excerpt(value));
            continue;
          }
          list.push_back(std::move(value));
        }
        s.grid.emplace_back(key, std::move(list));
      }
    }
  }

  if (const auto* v = find("runs")) {
    if (!v->is_array() || v->empty()) {
      r.issue("runs", "expected a non-empty list of override sets, got " + describe_json(*v));
    } else {
      for (std::size_t i = 0; i < v->size(); ++i)
        s.variants.push_back(r.overrides((*v)[i], "runs[" + std::to_string(i) + "]"));
    }
  }

  if (const auto* v = find("seeds")) {
    if (v->is_number_integer() || v->is_number_unsigned()) {
      const bool ok = v->is_number_unsigned() ? v->get<std::uint64_t>() >= 1 &&
                                                    v->get<std::uint64_t>() <= kMaxSeedCount
                                              : v->get<std::int64_t>() >= 1 &&
                                                    v->get<std::int64_t>() <= static_cast<std::int64_t>(kMaxSeedCount);
      if (!ok)
        r.issue("seeds", "expected a number of seeds in [1, " + std::to_string(kMaxSeedCount) +
                             "] or a list of seeds, got " + v->dump());
      else
        for (std::uint64_t i = 0; i < v->get<std::uint64_t>(); ++i) s.seeds.push_back(i);
    } else if (v->is_array() && !v->empty()) {
      for (std::size_t i = 0; i < v->size(); ++i) {
        const auto& item = (*v)[i];
        const std::string path = "seeds[" + std::to_string(i) + "]";
        if (!item.is_number_unsigned() && !(item.is_number_integer() && item.get<std::int64_t>() >= 0)) {
          r.issue(path, "expected a non-negative integer, got " + describe_json(item));
          continue;
        }
        const auto seed = item.get<std::uint64_t>();
        if (std::find(s.seeds.begin(), s.seeds.end(), seed) != s.seeds.end()) {
          r.issue(path, "duplicate seed " + std::to_string(seed));
          continue;
        }
        s.seeds.push_back(seed);
      }
    } else {
      r.issue("seeds", "expected a number of seeds (seeds 0 ... N-1) or a non-empty list of "
                       "seeds, got " + describe_json(*v));
    }
  }

  for (auto& o : s.fixed) resolve_override_path(o, dir);
  for (auto& variant : s.variants)
    for (auto& o : variant) resolve_override_path(o, dir);

  // A key set in two places would make the order of --set decide silently.
  std::map<std::string, std::string> owner;  // key -> where it is first set
  for (const auto& o : s.fixed) owner.emplace(o.key, "set");
  for (const auto& [key, values] : s.grid) {
    const std::string path = "grid." + key;
    if (auto it = owner.find(key); it != owner.end())
      r.issue(path, "\"" + key + "\" is also in \"" + it->second + "\"");
    else
      owner.emplace(key, "grid");
  }
  for (std::size_t i = 0; i < s.variants.size(); ++i)
    for (const auto& o : s.variants[i]) {
      auto it = owner.find(o.key);
      if (it != owner.end() && it->second != "runs")
        r.issue("runs[" + std::to_string(i) + "]." + o.key,
                "\"" + o.key + "\" is also in \"" + it->second + "\"");
      else
        owner.emplace(o.key, "runs");
    }
  if (!s.seeds.empty())
    if (auto it = owner.find("seed"); it != owner.end())
      r.issue(it->second == "grid" ? "grid.seed" : it->second,
              "\"seed\" is given by \"seeds\"; set it in one place");

  if (issues.empty()) {
    std::size_t count = std::max<std::size_t>(1, s.variants.size()) * std::max<std::size_t>(1, s.seeds.size());
    for (const auto& [key, values] : s.grid) {
      if (count > kMaxRuns) break;
      count *= values.size();
    }
    if (count > kMaxRuns)
      r.issue("grid", "the sweep has more than " + std::to_string(kMaxRuns) + " runs");
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return s;
}

SweepSpec read_sweep_file(const fs::path& path, const std::string& out) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw ConfigError("sweep", path.string() + " is a directory, not a sweep file");
  std::ifstream in(path);
  if (!in)
    throw ConfigError("sweep", "cannot read sweep file " + path.string() + ": " +
                              (fs::exists(path, ec) ? "permission denied" : "no such file"));
  ordered_json doc;
  try {
    doc = parse_ordered_json(read_json_text(path));
  } catch (const JsonError& e) {
    throw ConfigError("sweep", path.string() + ": " + e.what());
  }
  return parse_sweep(doc, path, out);
}

std::vector<std::string> key_labels(const std::vector<std::string>& keys, bool with_seed) {
  std::map<std::string, int> uses;
  std::vector<std::string> labels;
  for (const auto& key : keys) {
    labels.push_back(last_label(key));
    ++uses[labels.back()];
  }
  if (with_seed) ++uses["seed"];
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (uses[labels[i]] > 1) labels[i] = keys[i];
  return labels;
}

std::string run_name(const SweepRun& run, const std::vector<std::string>& keys,
                     const std::vector<std::string>& labels) {
  std::string name;
  auto add = [&](const std::string& label, const std::string& value) {
    name += (name.empty() ? "" : ",") + sanitize(label) + "=" + sanitize(value);
  };
  for (const auto& o : run.overrides) {
    const auto it = std::find(keys.begin(), keys.end(), o.key);
    add(it == keys.end() ? o.key : labels[static_cast<std::size_t>(it - keys.begin())],
        label_text(o.value));
  }
  if (run.seed) add("seed", std::to_string(*run.seed));
  if (name.empty()) name = "base";
  if (name.size() > kMaxNameBytes) {
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(name)));
    name = name.substr(0, kMaxNameBytes - 17) + "~" + hash;
  }
  return name;
}

Sweep expand_sweep(SweepSpec spec) {
  Sweep sweep;
  const std::vector<OverrideSet> variants =
      spec.variants.empty() ? std::vector<OverrideSet>{OverrideSet{}} : spec.variants;
  std::vector<std::optional<std::uint64_t>> seeds;
  for (auto seed : spec.seeds) seeds.emplace_back(seed);
  if (seeds.empty()) seeds.emplace_back(std::nullopt);

  for (const auto& variant : variants)
    for (const auto& o : variant)
      if (std::find(sweep.keys.begin(), sweep.keys.end(), o.key) == sweep.keys.end())
        sweep.keys.push_back(o.key);
  for (const auto& [key, values] : spec.grid) sweep.keys.push_back(key);
  const std::vector<std::string> labels = key_labels(sweep.keys, !spec.seeds.empty());

  std::size_t points = 1;
  for (const auto& [key, values] : spec.grid) points *= values.size();
  std::unordered_map<std::string, std::size_t> by_name;
  std::vector<ConfigIssue> issues;
  for (const auto& variant : variants) {
    for (std::size_t point = 0; point < points; ++point) {
      OverrideSet overrides = variant;
      // The first grid key varies slowest: decode `point` with the last key as the lowest digit.
      std::vector<std::size_t> digit(spec.grid.size());
      std::size_t rest = point;
      for (std::size_t k = spec.grid.size(); k-- > 0;) {
        digit[k] = rest % spec.grid[k].second.size();
        rest /= spec.grid[k].second.size();
      }
      for (std::size_t k = 0; k < spec.grid.size(); ++k) {
        Override o{spec.grid[k].first, spec.grid[k].second[digit[k]], std::nullopt};
        resolve_override_path(o, spec.file.parent_path());
        overrides.push_back(std::move(o));
      }
      for (const auto& seed : seeds) {
        SweepRun run;
        run.index = sweep.runs.size();
        run.overrides = overrides;
        run.seed = seed;
        run.name = run_name(run, sweep.keys, labels);
        auto [it, fresh] = by_name.emplace(run.name, run.index);
        if (!fresh && issues.size() < 10)
          issues.push_back({"runs", "runs " + std::to_string(it->second) + " and " +
                                        std::to_string(run.index) + " would share the directory "
                                        "name \"" + run.name + "\" (their values differ only in "
                                        "characters a name cannot hold, or repeat)"});
        sweep.runs.push_back(std::move(run));
      }
    }
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  sweep.spec = std::move(spec);
  return sweep;
}

std::vector<std::string> run_assignments(const SweepSpec& spec, const SweepRun& run) {
  std::vector<std::string> out;
  for (const auto& o : spec.fixed) out.push_back(o.assignment());
  for (const auto& o : run.overrides) out.push_back(o.assignment());
  if (run.seed) out.push_back("seed=" + std::to_string(*run.seed));
  return out;
}

void validate_sweep(const Sweep& sweep) {
  const SweepSpec& spec = sweep.spec;
  ConfigContext context;
  context.base_dir = spec.base.parent_path();
  context.default_name = spec.base.stem().string();
  // Each distinct problem once, with the runs it concerns.
  std::vector<std::pair<ConfigIssue, std::vector<std::size_t>>> problems;
  auto record = [&](const std::vector<ConfigIssue>& found, std::size_t run) {
    for (const auto& issue : found) {
      auto it = std::find_if(problems.begin(), problems.end(), [&](const auto& p) {
        return p.first.path == issue.path && p.first.message == issue.message;
      });
      if (it == problems.end()) {
        problems.push_back({issue, {}});
        it = problems.end() - 1;
      }
      if (it->second.empty() || it->second.back() != run) it->second.push_back(run);
    }
  };
  for (const auto& run : sweep.runs) {
    json doc = spec.base_doc;
    std::vector<ConfigIssue> found;
    for (const auto& assignment : run_assignments(spec, run)) {
      try {
        apply_override(doc, assignment);
      } catch (const ConfigError& e) {
        found.insert(found.end(), e.issues().begin(), e.issues().end());
      }
    }
    if (found.empty()) {
      try {
        parse_config(doc, context);
      } catch (const ConfigError& e) {
        found = e.issues();
      }
    }
    record(found, run.index);
  }
  if (problems.empty()) return;
  std::vector<ConfigIssue> issues;
  for (auto& [issue, runs] : problems) {
    std::string where;
    if (runs.size() == 1 && sweep.runs.size() > 1)
      where = " (run " + std::to_string(runs[0]) + ", " + sweep.runs[runs[0]].name + ")";
    else if (runs.size() < sweep.runs.size())
      where = " (" + std::to_string(runs.size()) + " of " + std::to_string(sweep.runs.size()) +
              " runs, e.g. run " + std::to_string(runs[0]) + ", " + sweep.runs[runs[0]].name + ")";
    issues.push_back({issue.path, issue.message + where});
  }
  throw ConfigError(std::move(issues));
}

RunState run_state(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / kConfigFile, ec)) return RunState::absent;
  const std::string status = recorded_status(dir);
  if (status == "completed") return RunState::completed;
  if (status == "diverged") return RunState::diverged;
  return RunState::started;
}

std::string_view name_of(RunState state) {
  switch (state) {
    case RunState::absent: return "absent";
    case RunState::started: return "started";
    case RunState::completed: return "completed";
    case RunState::diverged: return "diverged";
  }
  return "?";
}

fs::path run_dir(const SweepSpec& spec, const SweepRun& run) { return spec.out / run.name; }

std::string default_run_name(const std::string& base, const std::vector<std::string>& overrides) {
  SweepRun run;
  std::vector<std::string> keys;
  for (const std::string& assignment : overrides) {
    const auto split = split_assignment(assignment);  // apply_override has refused the rest
    if (!split) continue;
    Override o;
    o.key = split->key;
    o.value = parse_override_value(split->value_text, "--set " + o.key);
    const auto same = std::find_if(run.overrides.begin(), run.overrides.end(),
                                   [&](const Override& p) { return p.key == o.key; });
    if (same != run.overrides.end()) {
      same->value = o.value;
    } else {
      run.overrides.push_back(o);
      keys.push_back(o.key);
    }
  }
  if (keys.empty()) return base;
  std::string name = base + "_" + run_name(run, keys, key_labels(keys, false));
  constexpr std::size_t kMaxBytes = 96;
  if (name.size() > kMaxBytes) {
    char hash[9];
    std::snprintf(hash, sizeof hash, "%08llx",
                  static_cast<unsigned long long>(fnv1a(name) & 0xffffffffull));
    name = name.substr(0, kMaxBytes - 9) + "~" + hash;
  }
  return name;
}

json sweep_manifest(const Sweep& sweep) {
  const SweepSpec& spec = sweep.spec;
  json m;
  m["format"] = "nnlab-sweep";
  m["version"] = 1;
  m["name"] = spec.name;
  m["sweep_file"] = spec.file.string();
  m["base"] = spec.base.string();
  m["out"] = spec.out.string();
  m["keys"] = sweep.keys;
  json fixed = json::array();
  for (const auto& o : spec.fixed) fixed.push_back(o.assignment());
  m["set"] = fixed;
  m["seeds"] = spec.seeds.empty() ? json(nullptr) : json(spec.seeds);
  json runs = json::array();
  for (const auto& run : sweep.runs) {
    json overrides = json::array();
    for (const auto& o : run.overrides) overrides.push_back(o.assignment());
    runs.push_back({{"index", run.index},
                    {"name", run.name},
                    {"overrides", overrides},
                    {"seed", run.seed ? json(*run.seed) : json(nullptr)}});
  }
  m["runs"] = runs;
  return m;
}

void prepare_sweep_dir(const Sweep& sweep) {
  const SweepSpec& spec = sweep.spec;
  std::error_code ec;
  fs::create_directories(spec.out / "logs", ec);
  if (ec || !fs::is_directory(spec.out / "logs"))
    throw IoError("cannot create " + (spec.out / "logs").string() + ": " + ec.message());
  if (spec.inline_base) write_if_changed(spec.base, spec.base_doc.dump(2) + "\n");
  write_if_changed(spec.out / kManifestFile, sweep_manifest(sweep).dump(2) + "\n");
}

}  // namespace nnlab
