// The one JSON reader: every JSON text nnlab reads (configs, --set values, sweep files, weights
// files, a run's config.json and summary.json) goes through parse_json, which bounds the input's
// size and nesting depth, refuses duplicate keys and numbers that overflow a double, and never
// recurses as deep as the input goes. docs/hardening.md lists the limits.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nnlab {

struct JsonLimits {
  std::size_t max_depth = 128;          // nested arrays/objects; configs need about 4
  std::size_t max_bytes = 16u << 20;    // 16 MiB of text
};
// weights.json holds every parameter of a model: allow more text, not more depth.
inline constexpr JsonLimits kWeightsJsonLimits{128, std::size_t{1} << 30};

// Why a text was refused, in one line that names the line and column (or the JSON path of a
// duplicate key): "invalid JSON: " and nlohmann's message for syntax errors. Callers prefix the
// file name.
class JsonError : public std::runtime_error {
 public:
  enum class Kind { syntax, too_large, too_deep, duplicate_key, overflow };
  JsonError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Parses one JSON value (no comments, nothing after it). Throws JsonError.
nlohmann::json parse_json(std::string_view text, const JsonLimits& limits = {});
nlohmann::ordered_json parse_ordered_json(std::string_view text, const JsonLimits& limits = {});

// A "key=value" override's value (--set, a sweep's "key=value" strings): its JSON when it reads
// as JSON, else the text itself as a string (so name=foo needs no quotes). A number too large for
// a double stays text, which the config reader then refuses as not a number. JSON nested too deep
// or with a duplicate key throws ConfigError(where, ...).
nlohmann::json parse_override_value(const std::string& text, const std::string& where);

// "key.path=value" (--set, a sweep's list form) split at its first '=' into key and value text;
// nullopt when there is no '=' or the key is empty.
struct Assignment {
  std::string key;
  std::string value_text;
};
std::optional<Assignment> split_assignment(std::string_view text);

// The whole text of a file of at most limits.max_bytes; JsonError(too_large) when it is longer,
// std::nullopt-like failure as IoError (cannot open, a directory, read error).
std::string read_json_text(const std::filesystem::path& path, const JsonLimits& limits = {});

// A run file that may be missing or damaged (a run's config.json, summary.json): its JSON object
// through parse_json, or std::nullopt when it cannot be read, is refused, or is not an object.
std::optional<nlohmann::json> read_json_object(const std::filesystem::path& path);

// A JSON value for an error message: at most max_chars characters of its compact text ("..."
// when cut), computed without serialising the whole value.
std::string json_excerpt(const nlohmann::json& v, std::size_t max_chars = 40);

}  // namespace nnlab
