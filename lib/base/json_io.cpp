// parse_json: a depth pre-scan, then nlohmann's (non-recursive) SAX parser feeding a DOM builder
// that refuses duplicate keys and turns number overflow into an error with its line.
#include "base/json_io.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "base/errors.h"

namespace nnlab {

namespace {

struct Position {
  std::size_t line = 1;
  std::size_t column = 1;
};

// Line and column (1-based) of the byte at offset in text.
Position position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  Position p;
  const std::size_t last_newline = text.substr(0, offset).rfind('\n');
  p.line = 1 + static_cast<std::size_t>(
                   std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  p.column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return p;
}

std::string position_text(Position p) {
  return "at line " + std::to_string(p.line) + ", column " + std::to_string(p.column);
}

std::string size_text(std::size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// The first '[' or '{' (outside strings) that opens a level deeper than max_depth.
void check_depth(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw JsonError(JsonError::Kind::too_deep,
                        "nested deeper than " + std::to_string(max_depth) + " levels " +
                            position_text(position_of(text, i)));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

std::string short_key(const std::string& key) {
  return key.size() <= 40 ? key : key.substr(0, 37) + "...";
}

// nlohmann's json_sax_dom_parser, plus: a key already present in its object is an error (with
// the object's JSON path), and a number that overflows is an error with its line. Iterative: the
// open containers are kept on a stack.
template <typename Json>
class DomBuilder {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  DomBuilder(Json& root, std::string_view text) : root_(root), text_(text) {}

  bool null() { return add(nullptr), true; }
  bool boolean(bool v) { return add(v), true; }
  bool number_integer(number_integer_t v) { return add(v), true; }
  bool number_unsigned(number_unsigned_t v) { return add(v), true; }
  bool number_float(number_float_t v, const string_t&) { return add(v), true; }
  bool string(string_t& v) { return add(std::move(v)), true; }
  bool binary(binary_t& v) { return add(Json::binary(std::move(v))), true; }

  bool start_object(std::size_t) {
    open(add(Json::object()));
    return true;
  }
  bool key(string_t& k) {
    auto [it, inserted] = stack_.back()->emplace(k, nullptr);
    if (!inserted) {
      const std::string where = path();
      throw JsonError(JsonError::Kind::duplicate_key,
                      "duplicate key \"" + short_key(k) + "\"" +
                          (where.empty() ? " at the top level" : " in " + where));
    }
    element_ = &it.value();
    key_ = k;
    return true;
  }
  bool end_object() { return close(), true; }
  bool start_array(std::size_t) {
    open(add(Json::array()));
    return true;
  }
  bool end_array() { return close(), true; }

  template <class Exception>
  bool parse_error(std::size_t offset, const std::string& token, const Exception& ex) {
    if (ex.id == 406) {  // out_of_range.406: number overflow
      const std::size_t start = offset > 0 ? offset - token.size() : 0;
      throw JsonError(JsonError::Kind::overflow,
                      "number " + short_key(token) + " " +
                          position_text(position_of(text_, start)) +
                          " is out of the range of a double");
    }
    throw JsonError(JsonError::Kind::syntax, std::string("invalid JSON: ") + ex.what());
  }

 private:
  template <typename V>
  Json* add(V&& v) {
    if (stack_.empty()) {
      root_ = Json(std::forward<V>(v));
      return &root_;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(Json(std::forward<V>(v)));
      return &stack_.back()->back();
    }
    *element_ = Json(std::forward<V>(v));
    return element_;
  }
  void open(Json* container) {
    keys_.push_back(stack_.empty() || stack_.back()->is_array() ? std::string() : key_);
    stack_.push_back(container);
  }
  void close() {
    stack_.pop_back();
    keys_.pop_back();
  }
  // "model.width[2]" of the innermost open container.
  std::string path() const {
    std::string p;
    for (std::size_t i = 1; i < stack_.size(); ++i) {
      // Appended piece by piece: GCC 12 warns falsely (-Wstringop-overflow) on "[" + string&&.
      if (stack_[i - 1]->is_array()) {
        p += '[';
        p += std::to_string(stack_[i - 1]->size() - 1);
        p += ']';
      } else {
        if (!p.empty()) p += '.';
        p += short_key(keys_[i]);
      }
    }
    return p;
  }

  Json& root_;
  std::string_view text_;
  std::vector<Json*> stack_;       // open arrays and objects, outermost first
  std::vector<std::string> keys_;  // the key of each open container in its parent object
  Json* element_ = nullptr;        // the value the last key names
  std::string key_;
};

template <typename Json>
Json parse(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw JsonError(JsonError::Kind::too_large, "larger than the " + size_text(limits.max_bytes) +
                                                    " limit (" + std::to_string(text.size()) +
                                                    " bytes)");
  check_depth(text, limits.max_depth);
  Json root;
  DomBuilder<Json> builder(root, text);
  Json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, /*strict=*/true,
                  /*ignore_comments=*/false);
  return root;
}

void excerpt(const nlohmann::json& v, std::string& out, std::size_t max_chars, int depth) {
  if (out.size() > max_chars) return;
  const auto dump = [](const nlohmann::json& x) {
    return x.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    out += dump(nlohmann::json(s.substr(0, max_chars + 1)));
  } else if (v.is_array() || v.is_object()) {
    if (depth > 16) {
      out += "...";
      return;
    }
    out += v.is_array() ? '[' : '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end() && out.size() <= max_chars; ++it) {
      if (!first) out += ',';
      first = false;
      if (v.is_object()) out += dump(nlohmann::json(it.key().substr(0, max_chars + 1))) + ':';
      excerpt(*it, out, max_chars, depth + 1);
    }
    out += v.is_array() ? ']' : '}';
  } else {
    out += dump(v);
  }
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const JsonLimits& limits) {
  return parse<nlohmann::json>(text, limits);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text, const JsonLimits& limits) {
  return parse<nlohmann::ordered_json>(text, limits);
}

nlohmann::json parse_override_value(const std::string& text, const std::string& where) {
  try {
    return parse_json(text);
  } catch (const JsonError& e) {
    if (e.kind() == JsonError::Kind::syntax || e.kind() == JsonError::Kind::overflow) return text;
    throw ConfigError(where, e.what());
  }
}

std::optional<Assignment> split_assignment(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  return Assignment{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string read_json_text(const std::filesystem::path& path, const JsonLimits& limits) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(path.string() + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read " + path.string());
  std::string text;
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > limits.max_bytes)
      throw JsonError(JsonError::Kind::too_large,
                      "larger than the " + size_text(limits.max_bytes) + " limit");
  }
  if (in.bad()) throw IoError("read error in " + path.string());
  return text;
}

std::string json_excerpt(const nlohmann::json& v, std::size_t max_chars) {
  std::string out;
  excerpt(v, out, max_chars, 0);
  if (out.size() > max_chars) out = out.substr(0, max_chars - 3) + "...";
  return out;
}

std::optional<nlohmann::json> read_json_object(const std::filesystem::path& path) {
  nlohmann::json doc;
  try {
    doc = parse_json(read_json_text(path));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!doc.is_object()) return std::nullopt;
  return doc;
}

}  // namespace nnlab
