// What the key table says to people and tools outside the binary: docs/config.md, the JSON
// Schemas of configs and sweep files (docs/schema/), and `nnlab explain`'s text. All are made from
// config_table.h; none is written by hand.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config_table.h"

namespace nnlab {

// JSON Schema (draft 2020-12) of a config file: types, defaults, enums, ranges, descriptions and
// the "applies only when"/"required when" rules as if/then/else.
nlohmann::ordered_json config_schema();
// JSON Schema of a sweep file; an inline base and every override value are checked against the
// config keys' schemas.
nlohmann::ordered_json sweep_schema();

// docs/config.md.
std::string config_markdown();

// `nnlab explain KEY`: several lines on one key.
std::string explain_key(const KeySpec& key);
// `nnlab explain`: one line per key.
std::string explain_list(const std::vector<KeySpec>& keys);

}  // namespace nnlab
