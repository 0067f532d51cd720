// docs/config.md, the JSON Schemas and `explain`'s text, made from the key table.
#include "config/config_docs.h"

#include <algorithm>
#include <sstream>

namespace nnlab {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr const char* kSchemaDialect = "https://json-schema.org/draft/2020-12/schema";

// Rules between keys that parse_config checks beyond each key's own condition (lib/config/config.cpp),
// in words, and whether the JSON Schema states them.
struct Rule {
  const char* text;
  bool in_schema;
};
const Rule kRules[] = {
    {"a recurrent model (rnn, lstm, gru) needs data.type adding, copy, temporal_order, sine or "
     "text; an mlp refuses the sequence tasks",
     true},
    {"model.depth is at least 1 for a recurrent model", true},
    {"log.save_data applies only to model.type \"mlp\"", true},
    {"model.width as a list has exactly model.depth entries", false},
    {"model.skip is at most model.depth", false},
    {"data.train_size may be 0 only for data.type \"text\"", false},
    {"model.output must fit the data's task: linear for regression; sigmoid (two classes) or "
     "softmax for classification (csv: known only once the file is read)",
     false},
    {"data.path and model.weights name files that exist and parse", false},
};

ordered_json type_schema(const KeySpec& k) {
  ordered_json s;
  switch (k.type) {
    case KeyType::integer:
      s["type"] = {"integer", "null"};
      s["minimum"] = k.dynamic_lo ? 0.0 : k.lo;
      s["maximum"] = k.hi;
      break;
    case KeyType::number:
      s["type"] = {"number", "null"};
      s[k.lo_open ? "exclusiveMinimum" : "minimum"] = k.lo;
      s[k.hi_open ? "exclusiveMaximum" : "maximum"] = k.hi;
      break;
    case KeyType::boolean: s["type"] = {"boolean", "null"}; break;
    case KeyType::string:
      s["type"] = {"string", "null"};
      if (k.non_empty) s["minLength"] = 1;
      break;
    case KeyType::choice: {
      ordered_json values = k.choices;
      values.push_back(nullptr);
      s["enum"] = values;
      break;
    }
    case KeyType::seed:
      s["type"] = {"integer", "null"};
      s["minimum"] = 0;
      s["maximum"] = 18446744073709551615ULL;
      break;
    case KeyType::widths: {
      const ordered_json one = {{"type", "integer"}, {"minimum", k.lo}, {"maximum", k.hi}};
      s["anyOf"] = {one, {{"type", "array"}, {"items", one}}, {{"type", "null"}}};
      break;
    }
    case KeyType::any: break;
  }
  return s;
}

std::string description(const KeySpec& k) {
  std::string text = k.doc;
  if (!k.when.empty()) text += ". Applies only when " + condition_text(k);
  if (k.required) text += k.when.empty() ? ". Required" : " (required then)";
  if (!k.default_text.empty()) text += ". Default: " + k.default_text;
  if (!k.aliases.empty()) {
    text += ". Other names (suggested, not accepted):";
    for (const auto& [other, name] : k.aliases) text += " " + other + " -> " + name + ";";
    text.pop_back();
  }
  return text + ".";
}

ordered_json key_schema(const KeySpec& k) {
  ordered_json s = type_schema(k);
  s["description"] = description(k);
  if (!k.fallback.is_null() && k.default_text.empty()) s["default"] = k.fallback;
  return s;
}

// A JSON Schema object for a section: its keys, nothing else (keys starting with '_' are
// comments).
ordered_json object_schema(const std::vector<KeySpec>& keys, std::string_view section) {
  ordered_json props = ordered_json::object();
  for (const auto& k : keys)
    if (section_of(k.path) == section && (section.empty() || !k.path.empty()))
      props[std::string(leaf(k.path))] = key_schema(k);
  return {{"type", section.empty() ? ordered_json("object") : ordered_json({"object", "null"})},
          {"properties", props},
          {"patternProperties", {{"^_", ordered_json::object()}}},
          {"additionalProperties", false}};
}

// "clause holds" at the root of a config: a value that is absent or null takes the default.
ordered_json clause_schema(const Clause& clause) {
  const KeySpec* key = find_key(config_keys(), clause.key);
  const std::string section(section_of(clause.key)), name(leaf(clause.key));
  ordered_json values = ordered_json::array();
  for (const auto& v : clause.values)
    values.push_back(v == "true" ? ordered_json(true) : v == "false" ? ordered_json(false) : ordered_json(v));
  ordered_json inner = clause.negate ? ordered_json{{"not", {{"enum", values}}}}
                                     : ordered_json{{"enum", values}};
  const std::string fallback =
      key->fallback.is_string() ? key->fallback.get<std::string>() : key->fallback.dump();
  const bool by_default = (std::find(clause.values.begin(), clause.values.end(), fallback) !=
                           clause.values.end()) != clause.negate;
  ordered_json leaf_schema = inner;
  if (by_default) {
    ordered_json null_type;
    null_type["type"] = "null";
    leaf_schema = ordered_json::object();
    leaf_schema["anyOf"] = ordered_json::array({null_type, inner});
  }
  ordered_json section_schema;
  if (!by_default) section_schema["required"] = ordered_json::array({name});
  section_schema["properties"][name] = leaf_schema;
  ordered_json out;
  if (!by_default) out["required"] = ordered_json::array({section});
  out["properties"][section] = section_schema;
  return out;
}

// {"properties": {section: {"properties": {name: schema}}}}: a rule on one key when it is given.
ordered_json at_key(const std::string& section, const std::string& name, ordered_json schema) {
  ordered_json out;
  out["properties"][section]["properties"][name] = std::move(schema);
  return out;
}

ordered_json condition_schema(const KeySpec& k) {
  ordered_json any = ordered_json::array();
  for (const auto& group : k.when) {
    ordered_json all = ordered_json::array();
    for (const auto& clause : group) all.push_back(clause_schema(clause));
    any.push_back(all.size() == 1 ? all[0] : ordered_json{{"allOf", all}});
  }
  return any.size() == 1 ? any[0] : ordered_json{{"anyOf", any}};
}

// "section.name is given (not null)".
ordered_json given_schema(const std::string& section, const std::string& name) {
  ordered_json not_null;
  not_null["not"]["type"] = "null";
  ordered_json out = at_key(section, name, not_null);
  out["required"] = ordered_json::array({section});
  out["properties"][section]["required"] = ordered_json::array({name});
  return out;
}

ordered_json rules_schema() {
  ordered_json rules = ordered_json::array();
  for (const auto& k : config_keys()) {
    if (k.when.empty()) continue;
    const std::string section(section_of(k.path)), name(leaf(k.path));
    const ordered_json cond = condition_schema(k);
    ordered_json rule = {{"$comment", k.path + ": applies only when " + condition_text(k)},
                         {"if", cond},
                         {"else", {{"not", given_schema(section, name)}}}};
    if (k.required) rule["then"] = given_schema(section, name);
    rules.push_back(rule);
  }
  // Rules between keys (kRules) that JSON Schema can state.
  const Clause recurrent{"model.type", {"rnn", "lstm", "gru"}};
  rules.push_back({{"$comment", "a recurrent model needs a sequence task or sine"},
                   {"if", clause_schema(recurrent)},
                   {"then", clause_schema({"data.type", {"adding", "copy", "temporal_order",
                                                         "sine", "text"}})},
                   {"else", clause_schema({"data.type", {"adding", "copy", "temporal_order",
                                                         "text"}, true})}});
  ordered_json not_zero, not_true;
  not_zero["not"]["const"] = 0;
  not_true["not"]["const"] = true;
  ordered_json depth_rule, save_rule;
  depth_rule["$comment"] = "a recurrent model has at least one layer";
  depth_rule["if"] = clause_schema(recurrent);
  depth_rule["then"] = at_key("model", "depth", not_zero);
  rules.push_back(depth_rule);
  save_rule["$comment"] = "log.save_data applies only to model.type mlp";
  save_rule["if"] = clause_schema(recurrent);
  save_rule["then"] = at_key("log", "save_data", not_true);
  rules.push_back(save_rule);
  return rules;
}

// Keys an override may name: a config key, or model.width.N.
std::string override_key_pattern() {
  std::string alternatives;
  for (const auto& path : key_paths(config_keys())) {
    if (path == "$schema") continue;
    std::string escaped;
    for (char c : path) escaped += c == '.' ? std::string("\\.") : std::string(1, c);
    alternatives += (alternatives.empty() ? "" : "|") + escaped;
  }
  return "^(" + alternatives + ")(\\.[0-9]+)?$";
}

std::string markdown_escape(std::string text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

ordered_json config_schema() {
  ordered_json s;
  s["$schema"] = kSchemaDialect;
  s["$id"] = "https://nnlab.invalid/schema/config.schema.json";
  s["title"] = "nnlab config";
  s["description"] = "An nnlab experiment config (nnlab train CONFIG.json). Generated by "
                     "`nnlab schema config` from the key table; see docs/config.md.";
  ordered_json top = object_schema(config_keys(), "");
  s["type"] = top["type"];
  ordered_json props = top["properties"];
  for (const auto& section : config_sections()) {
    ordered_json o = object_schema(config_keys(), section);
    o["description"] = "the " + section + " section";
    props[section] = o;
  }
  s["properties"] = props;
  s["patternProperties"] = top["patternProperties"];
  s["additionalProperties"] = false;
  s["allOf"] = rules_schema();
  return s;
}

ordered_json sweep_schema() {
  ordered_json value_props = ordered_json::object(), grid_props = ordered_json::object();
  for (const auto& k : config_keys()) {
    if (k.path == "$schema") continue;
    ordered_json v = type_schema(k);
    v["description"] = description(k);
    value_props[k.path] = v;
    ordered_json item = type_schema(k);
    grid_props[k.path] = {{"type", "array"}, {"minItems", 1}, {"uniqueItems", true},
                          {"items", item}, {"description", description(k)}};
  }
  const std::string pattern = override_key_pattern();
  const ordered_json override_object = {{"type", "object"},
                                        {"propertyNames", {{"pattern", pattern}}},
                                        {"properties", value_props}};
  const ordered_json override_list = {
      {"type", "array"},
      {"items", {{"type", "string"}, {"pattern", pattern.substr(0, pattern.size() - 1) + "=.*$"}}}};
  const ordered_json override_set = {{"anyOf", {override_object, override_list}}};

  ordered_json props;
  for (const auto& k : sweep_keys()) {
    ordered_json p;
    if (k.path == "$schema") p = {{"type", "string"}};
    else if (k.path == "name") p = {{"type", "string"}, {"minLength", 1}, {"pattern", "^[^/]*$"}};
    else if (k.path == "out") p = {{"type", "string"}, {"minLength", 1}};
    else if (k.path == "base")
      p = {{"anyOf", {{{"type", "string"}, {"minLength", 1}}, {{"$ref", "#/$defs/config"}}}}};
    else if (k.path == "set") p = override_set;
    else if (k.path == "grid")
      p = {{"type", "object"}, {"propertyNames", {{"pattern", pattern}}}, {"properties", grid_props},
           {"additionalProperties", {{"type", "array"}, {"minItems", 1}}}};
    else if (k.path == "runs") p = {{"type", "array"}, {"items", override_set}};
    else if (k.path == "seeds")
      p = {{"anyOf", {{{"type", "integer"}, {"minimum", 1}},
                      {{"type", "array"}, {"uniqueItems", true},
                       {"items", {{"type", "integer"}, {"minimum", 0}}}}}}};
    p["description"] = description(k);
    props[k.path] = p;
  }
  ordered_json s;
  s["$schema"] = kSchemaDialect;
  s["$id"] = "https://nnlab.invalid/schema/sweep.schema.json";
  s["title"] = "nnlab sweep file";
  s["description"] = "An nnlab sweep file (nnlab sweep SWEEP.json). Generated by `nnlab schema "
                     "sweep` from the key table; see docs/config.md.";
  s["type"] = "object";
  s["properties"] = props;
  s["patternProperties"] = {{"^_", ordered_json::object()}};
  s["additionalProperties"] = false;
  s["required"] = {"base"};
  ordered_json config = config_schema();
  config.erase("$schema");
  config.erase("$id");
  s["$defs"] = {{"config", config}};
  return s;
}

std::string explain_key(const KeySpec& k) {
  std::ostringstream out;
  out << k.path << ": " << k.doc << "\n";
  out << "  type:    " << type_text(k) << "\n";
  out << "  default: " << default_text(k) << "\n";
  const std::string range = range_text(k);
  if (!range.empty()) out << "  " << (k.type == KeyType::choice ? "choices" : "range  ") << ": "
                          << range << "\n";
  if (!k.when.empty())
    out << "  applies only when " << condition_text(k) << (k.required ? " (required then)" : "")
        << "\n";
  for (const auto& [other, name] : k.aliases)
    out << "  \"" << other << "\" is another name for \"" << name << "\" (suggested, not accepted)\n";
  return out.str();
}

std::string explain_list(const std::vector<KeySpec>& keys) {
  std::size_t width = 0;
  for (const auto& k : keys) width = std::max(width, k.path.size());
  std::ostringstream out;
  for (const auto& k : keys)
    out << k.path << std::string(width + 2 - k.path.size(), ' ') << k.doc << "\n";
  return out.str();
}

std::string config_markdown() {
  std::ostringstream md;
  md << "<!-- Generated by `nnlab docs > docs/config.md` from lib/config/config_table.cpp; do not edit. "
        "CI (cli.test_config_table) fails when this file is stale. -->\n"
     << "# Config reference\n\n"
     << "A config is a JSON object; every key is optional. `nnlab validate CONFIG.json` prints "
        "the resolved config, `nnlab explain KEY` explains one key, `nnlab schema` prints the "
        "JSON Schema. A key that does not apply to the config's choices (the \"applies only "
        "when\" column) is refused, as are unknown keys (with the likely intended key), wrong "
        "types and values out of range; every problem is reported at once (exit 2). A value of "
        "`null` means \"not given\": the default applies. Keys starting with `_` are comments. "
        "Relative paths (`data.path`, `model.weights`) are resolved from the config file's "
        "directory and written as absolute paths into the run's `config.json`; `log.dir` is "
        "relative to the current directory.\n\n"
     << "Other names of a choice (`glorot_uniform`, `kaiming_normal`, ...) are not accepted "
        "(one spelling per scheme keeps run names and resolved configs comparable); the reader "
        "suggests the accepted name.\n";
  const std::vector<std::pair<std::string, std::string>> titles{
      {"", "Top level"}, {"data", "`data`"}, {"model", "`model`"}, {"train", "`train`"},
      {"log", "`log`"}};
  for (const auto& [section, title] : titles) {
    md << "\n## " << title << "\n\n"
       << "| key | type | default | range or choices | applies only when | meaning |\n"
       << "|---|---|---|---|---|---|\n";
    for (const auto& k : config_keys()) {
      if (section_of(k.path) != section) continue;
      std::string doc = k.doc;
      for (const auto& [other, name] : k.aliases) doc += "; `" + other + "` → `" + name + "`";
      const std::string fallback = default_text(k);
      const bool literal = k.default_text.empty() && !k.required && !k.fallback.is_null();
      md << "| `" << k.path << "` | " << type_text(k) << " | "
         << (literal ? "`" + fallback + "`" : fallback) << " | "
         << markdown_escape(range_text(k)) << " | "
         << markdown_escape(condition_text(k) + (k.required ? " (required then)" : "")) << " | "
         << markdown_escape(doc) << " |\n";
    }
  }
  md << "\n## Rules between keys\n\nBeyond each key's own condition the reader checks:\n\n";
  for (const auto& rule : kRules)
    md << "- " << rule.text << (rule.in_schema ? "" : " (not in the JSON Schema)") << "\n";
  md << "\n## Sweep files\n\n"
     << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& k : sweep_keys())
    md << "| `" << k.path << "` | " << type_text(k) << " | " << default_text(k) << " | "
       << markdown_escape(k.doc) << " |\n";
  md << "\nA `runs` entry may set `label` (a config key) to name what the run stands for: "
        "`{\"label\": \"he\", \"model.init\": \"he_normal\"}`.\n";
  md << "\n## JSON Schema and editors\n\n"
     << "`docs/schema/config.schema.json` and `docs/schema/sweep.schema.json` (draft 2020-12) are "
        "`nnlab schema config` and `nnlab schema sweep`. They give editors completion, "
        "documentation on hover and checks while typing: types, defaults, choices, ranges, "
        "unknown keys, and the \"applies only when\" and \"required when\" rules as "
        "`if`/`then`/`else`. Point a config at its schema with a top-level `\"$schema\"` key "
        "(nnlab ignores it):\n\n"
     << "```json\n{\"$schema\": \"../docs/schema/config.schema.json\", \"model\": {\"depth\": 4}}\n"
        "```\n\n"
     << "or map files to schemas in VS Code's `settings.json`:\n\n"
     << "```json\n\"json.schemas\": [\n"
        "  {\"fileMatch\": [\"configs/*.json\"], \"url\": \"./docs/schema/config.schema.json\"},\n"
        "  {\"fileMatch\": [\"configs/sweeps/*.json\"], \"url\": "
        "\"./docs/schema/sweep.schema.json\"}\n]\n```\n\n"
     << "Command line: `python3 -m jsonschema -i CONFIG.json docs/schema/config.schema.json` "
        "(Debian's python3-jsonschema) or `check-jsonschema --schemafile ...`. The schema "
        "cannot say everything nnlab checks; the rules marked \"not in the JSON Schema\" above "
        "need nnlab (`nnlab validate`). The schema also treats `null` on a key that decides a "
        "condition as a value, not as the default.\n";
  md << "\n## Changes\n\n"
     << "- The key table (lib/config/config_table.cpp) is the only place a default lives. Defaults "
        "that had drifted away from it were fixed: the optimizer no longer falls back to "
        "lr 0.1 for Adam (the reader always sets `train.lr`: 0.001 for Adam); the sequence "
        "tasks' own defaults (1000/200 sequences, noise 0.0) are gone (the data defaults "
        "512/256/0.1 were always the ones configs got). Resolved configs are unchanged.\n"
     << "- New top-level key `label` (also in sweep `runs` entries); new top-level `$schema` "
        "(ignored).\n"
     << "- `data.path` missing for csv/text: the message quotes the type (`required when "
        "data.type is \"csv\"`), like every other \"required when\".\n";
  return md.str();
}

}  // namespace nnlab
