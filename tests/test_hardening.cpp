// Tests of the hostile-input limits (docs/hardening.md): the one JSON reader (depth, size,
// duplicate keys, number overflow) in every place that reads JSON, bounded error messages and
// suggestions, the CSV loader's cost per cell, the 1-row CSV warning, and the weights reader's
// checks (version, dtype, non-finite and absurd values, a directory).
#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "config/config.h"
#include "data/data.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "base/json_io.h"
#include "sweep/summarize.h"
#include "sweep/sweep.h"
#include "test_util.h"
#include "nn/weights.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // our new is malloc, our delete free
#endif

// Counts heap allocations made through operator new while `counting` is set (the CSV loader's
// cost per cell). Everything else in the test binary allocates as usual.
namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): with only the throwing
// ones replaced, ASan pairs its own nothrow new with our free and reports a mismatch.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace nnlab;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  std::string templ = (fs::temp_directory_path() / "nnlab_hardening.XXXXXX").string();
  REQUIRE(::mkdtemp(templ.data()) != nullptr);
  return templ;
}

fs::path write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string nested(std::size_t levels, const std::string& inner = "1") {
  return std::string(levels, '[') + inner + std::string(levels, ']');
}

std::string message_of(const ConfigError& e) {
  std::string text;
  for (const auto& issue : e.issues()) text += issue.path + ": " + issue.message + "\n";
  return text;
}

}  // namespace

TEST_CASE("parse_json bounds depth and size, refuses duplicate keys and overflow") {
  SUBCASE("depth: up to the limit is read, one more level is refused with its position") {
    CHECK(parse_json(nested(128)).is_array());
    CHECK_THROWS_WITH_AS(parse_json(nested(129)),
                         "nested deeper than 128 levels at line 1, column 129", JsonError);
    CHECK_THROWS_WITH_AS(parse_json("{\"a\":\n" + nested(100000)),
                         "nested deeper than 128 levels at line 2, column 128", JsonError);
    // Brackets inside strings are text, not nesting.
    CHECK(parse_json("{\"a\": \"" + std::string(100000, '[') + "\"}").is_object());
    CHECK(parse_json(nested(3), {3, 100}).is_array());
    CHECK_THROWS_AS(parse_json(nested(4), {3, 100}), JsonError);
  }
  SUBCASE("size") {
    try {
      parse_json(std::string(101, ' ') + "1", {8, 100});
      FAIL("accepted");
    } catch (const JsonError& e) {
      CHECK(e.kind() == JsonError::Kind::too_large);
      CHECK(std::string(e.what()) == "larger than the 100 bytes limit (102 bytes)");
    }
  }
  SUBCASE("duplicate keys name the key and the object's path") {
    CHECK_THROWS_WITH_AS(parse_json(R"({"seed": 1, "seed": 2})"),
                         "duplicate key \"seed\" at the top level", JsonError);
    CHECK_THROWS_WITH_AS(parse_json(R"({"model": {"width": [{"a": 1}, {"b": 1, "b": 2}]}})"),
                         "duplicate key \"b\" in model.width[1]", JsonError);
    CHECK_THROWS_WITH_AS(parse_ordered_json(R"({"grid": {"x": 1, "x": 1}})"),
                         "duplicate key \"x\" in grid", JsonError);
    // The same key in different objects is fine.
    CHECK(parse_json(R"({"a": {"k": 1}, "b": {"k": 2}, "k": 3})")["b"]["k"] == 2);
  }
  SUBCASE("overflow names the number and its position") {
    CHECK_THROWS_WITH_AS(parse_json("{\"train\": {\n  \"lr\": 1e400}}"),
                         "number 1e400 at line 2, column 9 is out of the range of a double",
                         JsonError);
    CHECK_THROWS_AS(parse_json("[-1e999]"), JsonError);
    CHECK(parse_json("1e-400") == 0.0);  // underflow reads as zero, as strtod does
  }
  SUBCASE("syntax errors keep nlohmann's message") {
    try {
      parse_json("{\"a\": }");
      FAIL("accepted");
    } catch (const JsonError& e) {
      CHECK(e.kind() == JsonError::Kind::syntax);
      CHECK(std::string(e.what()).rfind("invalid JSON: [json.exception.parse_error.101] parse "
                                        "error at line 1, column 7", 0) == 0);
    }
    CHECK_THROWS_AS(parse_json("{} // comment"), JsonError);
  }
  SUBCASE("what is read is nlohmann's value") {
    const std::string text = R"({"b": [1, 2.5, -3, true, null, "x", {}], "a": {"c": []}})";
    CHECK(parse_json(text) == json::parse(text));
    CHECK(parse_ordered_json(text).begin().key() == "b");
  }
}

TEST_CASE("json_excerpt and describe_json stay short for huge and deep values") {
  CHECK(describe_json(json("abc")) == "\"abc\" (a string)");
  CHECK(describe_json(json::parse("[1,2,3]")) == "[1,2,3] (an array)");
  const json big = json::array({std::string(200000, '1'), 2});
  CHECK(describe_json(big).size() < 60);
  json many = json::array();
  for (int i = 0; i < 100000; ++i) many.push_back(i);
  const std::string text = json_excerpt(many, 40);
  CHECK(text == many.dump().substr(0, 37) + "...");
  const json deep = parse_json(nested(128));
  CHECK(json_excerpt(deep, 40) == std::string(17, '[') + "..." + std::string(17, ']'));
  CHECK(json_excerpt(json(std::string(1 << 20, 'x'))).size() == 40);
}

TEST_CASE("every JSON the program reads goes through the limits") {
  const fs::path dir = temp_dir();
  const std::string deep_config = "{\"model\": {\"width\": " + nested(60000) + "}}";

  SUBCASE("config file") {
    for (const auto& [text, expected] :
         std::vector<std::pair<std::string, std::string>>{
             {deep_config, ": nested deeper than 128 levels at line 1, column 147"},
             {"{\"seed\": 1,\n \"seed\": 2}", ": duplicate key \"seed\" at the top level"},
             {"{\"seed\": 3,\n \"train\": {\"lr\": -1e400}}",
              ": number -1e400 at line 2, column 18 is out of the range of a double"}}) {
      const fs::path file = write(dir / "config.json", text);
      try {
        read_config_file(file);
        FAIL("accepted " << text.substr(0, 40));
      } catch (const ConfigError& e) {
        CHECK(message_of(e) == ": " + file.string() + expected + "\n");
      }
    }
  }
  SUBCASE("--set values") {
    json doc = json::object();
    try {
      apply_override(doc, "model.width=" + nested(60000));
      FAIL("accepted");
    } catch (const ConfigError& e) {
      CHECK(message_of(e) ==
            "--set model.width: nested deeper than 128 levels at line 1, column 129\n");
    }
    CHECK_THROWS_AS(apply_override(doc, R"(data={"type": "xor", "type": "moons"})"), ConfigError);
    // Not JSON, or a number out of range: the text, which the reader then refuses by type.
    apply_override(doc, "train.lr=1e400");
    CHECK(doc["train"]["lr"] == "1e400");
    apply_override(doc, "name=a[b");
    CHECK(doc["name"] == "a[b");
  }
  SUBCASE("sweep files and their key=value strings") {
    const fs::path file = write(dir / "sweep.json", R"({"base": "b.json", "grid": {"seed": [1]},
      "grid": {"seed": [2]}})");
    CHECK_THROWS_WITH_AS(read_sweep_file(file, (dir / "out").string()),
                         doctest::Contains("sweep.json: duplicate key \"grid\" at the top level"),
                         ConfigError);
    write(file, "{\"base\": \"b.json\", \"grid\": {\"model.width\": " + nested(100000) + "}}");
    CHECK_THROWS_WITH_AS(read_sweep_file(file, (dir / "out").string()),
                         doctest::Contains("nested deeper than 128 levels"), ConfigError);
    write(file, "{\"base\": \"b.json\", \"runs\": [[\"model.width=" + nested(200) + "\"]]}");
    CHECK_THROWS_WITH_AS(read_sweep_file(file, (dir / "out").string()),
                         doctest::Contains("nested deeper than 128 levels"), ConfigError);
  }
  SUBCASE("a run's config.json and summary.json: unreadable, so the run is skipped") {
    const fs::path run = dir / "runs" / "r1";
    fs::create_directories(run);
    write(run / "config.json", deep_config);
    write(run / "summary.json", "{\"status\": \"completed\", \"status\": \"running\"}");
    CHECK(recorded_status(run) == "");
    const auto table = summarize(dir / "runs", 10);
    CHECK(table.rows.empty());
    REQUIRE(table.warnings.size() == 1);
  }
  fs::remove_all(dir);
}

TEST_CASE("suggestions only for short words") {
  const std::string long_key(64, 'k');
  CHECK_FALSE(closest_match(long_key + "x", {long_key}));  // 65 characters: no suggestion
  CHECK(closest_match(long_key.substr(1) + "x", {long_key}) == long_key);
  CHECK_FALSE(closest_match(std::string(65, 'k') + "x", {std::string(65, 'k')}));
  CHECK_FALSE(closest_match(std::string(1 << 20, 'a'), {"activation", "depth"}));
  CHECK(closest_match("activatoin", {"activation", "depth"}) == "activation");
  CHECK(closest_match("batch", {"batch_size", "epochs"}) == "batch_size");
}

TEST_CASE("the CSV loader allocates per file, not per cell or row") {
  const fs::path dir = temp_dir();
  const fs::path file = dir / "a_file_name_longer_than_fifteen_characters.csv";
  std::string text = "first_feature,second_feature,third_feature,fourth_feature,label\n";
  const int rows = 2000;
  for (int r = 0; r < rows; ++r)
    text += "0.123456789012345678,1.123456789012345678,2.123456789012345678,"
            "\"3.12345678901234567\"," + std::to_string(r % 3) + "\n";
  write(file, text);
  DataConfig config = default_config().data;
  config.type = DataKind::csv;
  config.path = file.string();
  allocations = 0;
  counting = true;
  const Dataset d = make_dataset(config, 1);
  counting = false;
  CHECK(d.x_train.cols() + d.x_test.cols() == rows);
  CHECK(d.x_train(3, 0) != 0.0);
  INFO("allocations: " << allocations.load());
  CHECK(allocations < 200);  // 10,000 cells and 2,000 rows
  fs::remove_all(dir);
}

TEST_CASE("CSV error messages quote at most 60 characters of a cell or column") {
  const fs::path dir = temp_dir();
  const std::string huge(100000, 'z');
  DataConfig config = default_config().data;
  config.type = DataKind::csv;
  config.path = write(dir / "d.csv", "a,y\n" + huge + ",1\n2,0\n").string();
  try {
    make_dataset(config, 1);
    FAIL("accepted");
  } catch (const ConfigError& e) {
    CHECK(message_of(e).size() < 300);
    CHECK(message_of(e).find(std::string(57, 'z') + "...") != std::string::npos);
  }
  config.target = huge;
  CHECK_THROWS_WITH_AS(make_dataset(config, 1), doctest::Contains("(columns: a, y)"), ConfigError);
  fs::remove_all(dir);
}

TEST_CASE("a CSV whose test split rounds to nothing is reported") {
  const fs::path dir = temp_dir();
  DataConfig config = default_config().data;
  config.type = DataKind::csv;
  config.task = Task::regression;
  config.path = write(dir / "one.csv", "a,b,y\n1,2,0.5\n").string();
  const Dataset one = make_dataset(config, 1);
  CHECK(one.x_test.cols() == 0);
  REQUIRE(one.warnings.size() == 1);
  CHECK(one.warnings[0] == "data.test_fraction 0.2 of the 1 rows in " + config.path +
                               " rounds to no test rows: the run has no test loss or accuracy");
  config.test_fraction = 0.0;  // asked for: nothing to warn about
  CHECK(make_dataset(config, 1).warnings.empty());
  config.test_fraction = 0.2;
  config.path = write(dir / "five.csv", "a,b,y\n1,2,0.5\n2,3,1\n3,4,2\n4,5,3\n5,6,4\n").string();
  CHECK(make_dataset(config, 1).warnings.empty());
  fs::remove_all(dir);
}

TEST_CASE("the weights reader checks version, dtype and every value") {
  const fs::path dir = temp_dir();
  json doc = json::parse(test::slurp(fs::path(NNLAB_SOURCE_DIR) / "configs/worked_example.json"));
  doc.erase("_comment");
  doc["model"].erase("weights");
  const Config config = test::parse(doc);
  auto e = build_experiment<double>(config);
  const std::string good = weights_to_json(*e.model, DType::float64);
  auto load = [&](const std::string& text) {
    return load_weights(*e.model, write(dir / "w.json", text));
  };
  CHECK_NOTHROW(load(good));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  const std::string w = "model.weights: " + dir.string() + "/w.json: ";
  CHECK_THROWS_WITH_AS(load(with("\"version\": 1", "\"version\": 2")),
                       (w + "\"version\" 2 is not supported (this nnlab reads "
                            "version 1)").c_str(), ConfigError);
  CHECK_THROWS_WITH_AS(load(with("\"version\": 1,", "")), doctest::Contains("\"version\" null"),
                       ConfigError);
  CHECK_THROWS_WITH_AS(load(with("\"float64\"", "\"float16\"")),
                       (w + "\"dtype\" \"float16\" is not \"float32\" or \"float64\"")
                           .c_str(), ConfigError);
  CHECK_THROWS_WITH_AS(load(with("\"format\": \"nnlab-weights\"", "\"format\": 7")),
                       doctest::Contains("not an nnlab weights file"), ConfigError);
  const std::string first = "\"layers.1.W\": [[";
  CHECK_THROWS_WITH_AS(load(with(first, first + "null, ")),
                       doctest::Contains("expected"), ConfigError);  // one number too many
  const std::string b = "\"layers.1.b\": [";
  const std::string rest = good.substr(good.find(b) + b.size());
  const std::string first_b = rest.substr(0, rest.find_first_of(",]"));
  CHECK_THROWS_WITH_AS(load(with(b + first_b, b + "null")),
                       (w + "layers.1.b[0]: null (a non-finite value)").c_str(), ConfigError);
  CHECK_THROWS_WITH_AS(load(with(b + first_b, b + "1e300")),
                       (w + "layers.1.b[0]: 1e+300 is out of range (|value| <= 1e9)").c_str(),
                       ConfigError);
  CHECK_THROWS_WITH_AS(load(with(b + first_b, b + "1e400")),
                       doctest::Contains("number 1e400 at line"), ConfigError);
  CHECK_THROWS_WITH_AS(load(with(b, "\"layers.1.b\": [], " + b)),
                       doctest::Contains("duplicate key \"layers.1.b\" in tensors"), ConfigError);
  fs::create_directories(dir / "wdir");
  CHECK_THROWS_WITH_AS(load_weights(*e.model, dir / "wdir"),
                       ("model.weights: " + dir.string() + "/wdir is a directory, not a weights file").c_str(),
                       ConfigError);
  fs::remove_all(dir);
}
