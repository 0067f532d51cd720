// The table of every config key and every sweep-file key: path, type, default, range or choices,
// when it applies, whether it is a path, other names, and a one-line doc. It is the only place a
// key is defined: the strict reader, the resolved-config writer, the sweep reader's path handling,
// docs/config.md, the JSON Schemas, `nnlab explain` and the shell completions are made from it.
//
// Adding a key: a field in config.h's struct, one entry in config_table.cpp (in reading order),
// the code that uses the value, and a test.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace nnlab {

enum class KeyType {
  integer,  // an integer in [lo, hi]; an integral float such as 3.0 is accepted
  number,   // a finite number in the range [lo, hi] (or open ends)
  boolean,
  string,
  choice,   // one of `choices`
  seed,     // a non-negative integer up to 2^64-1
  widths,   // an integer, or an array of one integer per hidden layer (model.width)
  any,      // sweep files: a structure the sweep reader checks itself
};
std::string_view name_of(KeyType type);

// "key is one of values" (or, with negate, "is none of them"). Boolean keys compare "true"/"false".
struct Clause {
  std::string key;
  std::vector<std::string> values;
  bool negate = false;
};

// The value of a key in a Config, as JSON: the value the resolved config holds (an unset
// optional is null).
struct FieldAccess {
  std::function<nlohmann::json(const Config&)> get;
  std::function<void(Config&, const nlohmann::json&)> set;
};

struct KeySpec {
  std::string path;                        // "train.epochs"; top-level keys have no dot
  KeyType type = KeyType::string;
  nlohmann::json fallback;                 // the default; null: unset unless given
  double lo = 0, hi = 0;                   // integer/number range
  bool lo_open = false, hi_open = false;
  std::vector<std::string> choices;        // choice: the accepted names ("auto" first if one)
  std::vector<std::pair<std::string, std::string>> aliases;  // other name -> choice: suggested
  std::vector<std::vector<Clause>> when;   // applies when every clause of some group holds;
                                           // empty: always
  std::string when_text;                   // the condition as messages say it; empty: from `when`
  std::string note;                        // added to the "applies only when" message
  std::string required_note;               // added to the "required when" message
  bool required = false;                   // must be given whenever it applies
  bool is_path = false;                    // a file path, relative to the config's directory
  bool non_empty = false;                  // a string that must not be ""
  bool path_component = false;             // names one directory: no '/', '.', '..', controls
  bool omit_empty = false;                 // the resolved config leaves out ""
  bool read_anyway = false;                // refused where it does not apply, but still read
  std::string default_text;                // the default in words when it depends on other keys
  std::string range_text;                  // the range in words when it depends on other keys
  std::string doc;                         // one line
  // The default when it depends on other keys or on the config file (null: `fallback`).
  nlohmann::json (*dynamic_default)(const Config&, const ConfigContext&) = nullptr;
  double (*dynamic_lo)(const Config&) = nullptr;  // the lower bound when it depends
  std::string (*refusal)(const Config&) = nullptr;  // a message replacing "applies only when"
  void (*resolve)(Config&) = nullptr;      // after reading: turns "auto" into a value
  FieldAccess field;                       // empty for keys the reader accepts and ignores
};

// Every config key in reading order: top level, then data, model, train, log.
const std::vector<KeySpec>& config_keys();
// Every sweep-file key.
const std::vector<KeySpec>& sweep_keys();
// The sections of a config ("data", "model", "train", "log") in reading order.
const std::vector<std::string>& config_sections();

// The key with this path, or nullptr.
const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view path);
// The paths of `keys` (sections included when `with_sections`).
std::vector<std::string> key_paths(const std::vector<KeySpec>& keys, bool with_sections = false);

// Whether a key applies to this config.
bool applies(const KeySpec& key, const Config& config);
// The condition in words: `train.optimizer is "adam"`; empty when it always applies.
std::string condition_text(const KeySpec& key);
// The last segment of a path: "epochs" for "train.epochs".
std::string_view leaf(std::string_view path);
// The section of a path ("" at the top level).
std::string_view section_of(std::string_view path);

// Texts for docs and `explain`: "20", "0.1 (sgd, momentum, nesterov), 0.001 (adam)", "[0, 10^7]".
std::string default_text(const KeySpec& key);
std::string range_text(const KeySpec& key);
std::string type_text(const KeySpec& key);

// Whether a config key path (as --set or a sweep writes it) names a file path key.
bool is_path_key(std::string_view path);

}  // namespace nnlab
