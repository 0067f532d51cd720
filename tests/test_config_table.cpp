// Tests driven by the key table itself: for every key, a value out of its range is refused at its
// path, a key given where it does not apply is refused, its default is what the resolved config
// holds, and every key has a doc. A key added to the table is checked here without a new test.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_table.h"
#include "base/errors.h"

using namespace nnlab;
using nlohmann::json;

namespace {

const ConfigContext kContext{"/base/dir", "run"};

json typed(const KeySpec& controller, const std::string& value) {
  if (controller.type == KeyType::boolean) return value == "true";
  return value;
}

// Sets the keys a condition group names so that it holds (or, with `hold` false, so that its
// first clause fails).
void set_group(json& doc, const std::vector<Clause>& group, bool hold) {
  for (std::size_t i = 0; i < group.size(); ++i) {
    const Clause& clause = group[i];
    const KeySpec* controller = find_key(config_keys(), clause.key);
    REQUIRE(controller != nullptr);
    std::vector<std::string> domain =
        controller->type == KeyType::boolean ? std::vector<std::string>{"true", "false"}
                                             : controller->choices;
    const bool want_in = (hold || i > 0) != clause.negate;
    std::string value;
    for (const auto& v : domain) {
      const bool in = std::find(clause.values.begin(), clause.values.end(), v) != clause.values.end();
      if (in == want_in && v != "auto") {
        value = v;
        break;
      }
    }
    REQUIRE(!value.empty());
    apply_override(doc, clause.key + "=" + typed(*controller, value).dump());
  }
}

// A config in which `key` applies: its condition's first group holds, and a recurrent model
// gets sequence data (and a sequence task a recurrent model).
json applying(const KeySpec& key) {
  json doc = json::object();
  if (!key.when.empty()) set_group(doc, key.when.front(), true);
  return doc;
}

std::vector<ConfigIssue> issues_of(const json& doc) {
  try {
    parse_config(doc, kContext);
  } catch (const ConfigError& e) {
    return e.issues();
  }
  return {};
}

bool has_issue(const std::vector<ConfigIssue>& issues, const std::string& path,
               const std::string& text) {
  return std::any_of(issues.begin(), issues.end(), [&](const ConfigIssue& i) {
    return i.path == path && i.message.find(text) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("table: every key has a doc, and its section and condition keys exist") {
  for (const auto& key : config_keys()) {
    CAPTURE(key.path);
    CHECK(!key.doc.empty());
    for (const auto& group : key.when)
      for (const auto& clause : group) CHECK(find_key(config_keys(), clause.key) != nullptr);
  }
  for (const auto& key : sweep_keys()) CHECK(!key.doc.empty());
}

TEST_CASE("table: a value outside a key's range is refused at the key's path") {
  for (const auto& key : config_keys()) {
    if (key.type != KeyType::integer && key.type != KeyType::number) continue;
    CAPTURE(key.path);
    const std::vector<double> outside{key.hi_open ? key.hi : key.hi * 10 + 1,
                                      key.lo_open ? key.lo : key.lo - 1};
    for (double x : outside) {
      CAPTURE(x);
      json doc = applying(key);
      apply_override(doc, key.path + "=" + json(x).dump());
      CHECK(has_issue(issues_of(doc), key.path, "expected"));
    }
    if (key.type == KeyType::integer) {
      json doc = applying(key);
      apply_override(doc, key.path + "=2.5");
      CHECK(has_issue(issues_of(doc), key.path, "an integer"));
    }
  }
}

TEST_CASE("table: a key's range as written shows both bounds with their signs") {
  for (const auto& key : config_keys()) {
    if ((key.type != KeyType::integer && key.type != KeyType::number) || !key.range_text.empty())
      continue;
    CAPTURE(key.path);
    const std::string text = range_text(key);
    const auto comma = text.find(", ");
    REQUIRE(comma != std::string::npos);
    CHECK((text[1] == '-') == (key.lo < 0));
    CHECK((text[comma + 2] == '-') == (key.hi < 0));
  }
  CHECK(range_text(*find_key(config_keys(), "model.bias_init")) == "[-10^6, 10^6]");
}

TEST_CASE("table: a choice outside its choices is refused with the choices") {
  for (const auto& key : config_keys()) {
    if (key.type != KeyType::choice) continue;
    CAPTURE(key.path);
    json doc = applying(key);
    apply_override(doc, key.path + "=\"no_such_choice\"");
    CHECK(has_issue(issues_of(doc), key.path, "expected one of \"" + key.choices.front() + "\""));
    for (const auto& [other, name] : key.aliases) {
      json alias_doc = applying(key);
      apply_override(alias_doc, key.path + "=\"" + other + "\"");
      CHECK(has_issue(issues_of(alias_doc), key.path, "(did you mean \"" + name + "\"?)"));
    }
  }
}

TEST_CASE("table: a key given where it does not apply is refused") {
  for (const auto& key : config_keys()) {
    if (key.when.size() != 1) continue;  // data.length: its own test in test_config.cpp
    CAPTURE(key.path);
    json doc = json::object();
    set_group(doc, key.when.front(), false);
    const json value = key.fallback.is_null() ? json(1.0) : key.fallback;
    apply_override(doc, key.path + "=" + value.dump());
    CHECK(has_issue(issues_of(doc), key.path, "applies only "));
  }
}

TEST_CASE("table: the resolved config holds each applying key's default") {
  for (const auto& key : config_keys()) {
    if (!key.field.get || key.fallback.is_null() || key.omit_empty || key.dynamic_default)
      continue;
    CAPTURE(key.path);
    json doc = applying(key);
    if (key.when.empty() && key.path.find('.') != std::string::npos) doc = json::object();
    Config c;
    try {
      c = parse_config(doc, kContext);
    } catch (const ConfigError&) {
      continue;  // the condition needs other keys (e.g. a recurrent model's data): not here
    }
    const json resolved = to_json(c);
    const std::string section(section_of(key.path)), name(leaf(key.path));
    const json& where = section.empty() ? resolved : resolved.at(section);
    REQUIRE(where.contains(name));
    if (key.path == "model.init" || key.path == "model.output") continue;  // "auto" is resolved
    if (key.type == KeyType::widths) {
      CHECK(where[name][0] == key.fallback);
    } else {
      CHECK(where[name] == key.fallback);
    }
  }
}
