// Tests of lib/config/config: the strict reader (defaults, every key landing in its field, every kind of
// error with its exact path and message, all problems reported at once), the resolved-config
// writer and its round trip, --set overrides, reading config files and the typo suggestions.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "base/errors.h"

using namespace nnlab;
using nlohmann::json;

namespace {

const ConfigContext kContext{"/base/dir", "default-run"};

Config parse(std::string_view text, const ConfigContext& context = kContext) {
  return parse_config(json::parse(text), context);
}

// Parses a config that must be accepted; reports every issue if it is not.
Config accept(std::string_view text) {
  INFO("config: " << text);
  try {
    return parse(text);
  } catch (const ConfigError& e) {
    FAIL_CHECK("refused:\n" << e.what());
  }
  return Config{};
}

// The issues of a config that must be refused.
std::vector<ConfigIssue> issues_of(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.issues();
  }
  FAIL_CHECK("accepted, but a ConfigError was expected: " << text);
  return {};
}

struct Expected {
  std::string path;
  std::string message;
};

void check_issue_list(const std::vector<ConfigIssue>& issues,
                      const std::vector<Expected>& expected) {
  CHECK(issues.size() == expected.size());
  for (std::size_t i = 0; i < std::max(issues.size(), expected.size()); ++i) {
    CAPTURE(i);
    if (i >= issues.size()) {
      FAIL_CHECK("missing issue " << expected[i].path << ": " << expected[i].message);
    } else if (i >= expected.size()) {
      FAIL_CHECK("unexpected issue " << issues[i].path << ": " << issues[i].message);
    } else {
      CHECK(issues[i].path == expected[i].path);
      CHECK(issues[i].message == expected[i].message);
    }
  }
}

// The config is refused with exactly these issues, in this order.
void check_issues(std::string_view text, const std::vector<Expected>& expected) {
  INFO("config: " << text);
  check_issue_list(issues_of(text), expected);
}

void check_issue(std::string_view text, const std::string& path, const std::string& message) {
  check_issues(text, {{path, message}});
}

// The keys of a JSON object, sorted and comma-separated (readable in a failed CHECK).
std::string keys_of(const json& object) {
  std::string text;
  for (const auto& [key, value] : object.items()) text += (text.empty() ? "" : ",") + key;
  return text;
}

// Every field of two configs is equal.
void check_same(const Config& a, const Config& b) {
  CHECK(a.name == b.name);
  CHECK(a.seed == b.seed);
  CHECK(a.dtype == b.dtype);

  const DataConfig &da = a.data, &db = b.data;
  CHECK(da.type == db.type);
  CHECK(da.seed == db.seed);
  CHECK(da.train_size == db.train_size);
  CHECK(da.test_size == db.test_size);
  CHECK(da.noise == db.noise);
  CHECK(da.classes == db.classes);
  CHECK(da.features == db.features);
  CHECK(da.length == db.length);
  CHECK(da.pattern_length == db.pattern_length);
  CHECK(da.symbols == db.symbols);
  CHECK(da.path == db.path);
  CHECK(da.target == db.target);
  CHECK(da.task == db.task);
  CHECK(da.test_fraction == db.test_fraction);
  CHECK(da.standardize == db.standardize);

  const ModelConfig &ma = a.model, &mb = b.model;
  CHECK(ma.type == mb.type);
  CHECK(ma.depth == mb.depth);
  CHECK(ma.width == mb.width);
  CHECK(ma.activation == mb.activation);
  CHECK(ma.negative_slope == mb.negative_slope);
  CHECK(ma.elu_alpha == mb.elu_alpha);
  CHECK(ma.init == mb.init);
  CHECK(ma.gain == mb.gain);
  CHECK(ma.init_scale == mb.init_scale);
  CHECK(ma.bias_init == mb.bias_init);
  CHECK(ma.skip == mb.skip);
  CHECK(ma.batch_norm == mb.batch_norm);
  CHECK(ma.bn_momentum == mb.bn_momentum);
  CHECK(ma.bn_eps == mb.bn_eps);
  CHECK(ma.output == mb.output);
  CHECK(ma.weights == mb.weights);
  CHECK(ma.recurrent_init == mb.recurrent_init);
  CHECK(ma.recurrent_gain == mb.recurrent_gain);
  CHECK(ma.recurrent_init_scale == mb.recurrent_init_scale);
  CHECK(ma.spectral_radius == mb.spectral_radius);
  CHECK(ma.forget_bias == mb.forget_bias);

  const TrainConfig &ta = a.train, &tb = b.train;
  CHECK(ta.epochs == tb.epochs);
  CHECK(ta.batch_size == tb.batch_size);
  CHECK(ta.optimizer == tb.optimizer);
  CHECK(ta.lr == tb.lr);
  CHECK(ta.momentum == tb.momentum);
  CHECK(ta.beta1 == tb.beta1);
  CHECK(ta.beta2 == tb.beta2);
  CHECK(ta.eps == tb.eps);
  CHECK(ta.weight_decay == tb.weight_decay);
  CHECK(ta.clip_threshold == tb.clip_threshold);
  CHECK(ta.shuffle == tb.shuffle);
  CHECK(ta.truncation == tb.truncation);
  CHECK(ta.checkpoint_every == tb.checkpoint_every);

  CHECK(a.log.every == b.log.every);
  CHECK(a.log.dir == b.log.dir);
  CHECK(a.log.save_data == b.log.save_data);
}

const std::vector<std::string> kInitNames{
    "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "standard", "normal", "uniform"};

// A fresh directory for the files of one test, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("nnlab_test_config_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto file = path / name;
    std::ofstream(file) << text;
    return file;
  }
};

}  // namespace

// ---- defaults --------------------------------------------------------------------------------

TEST_CASE("config: an empty object gives every documented default") {
  const Config c = accept("{}");
  CHECK(c.name == "default-run");
  CHECK(c.seed == 0);
  CHECK(c.dtype == DType::float32);

  CHECK(c.data.type == DataKind::moons);
  CHECK_FALSE(c.data.seed.has_value());
  CHECK(c.data.train_size == 512);
  CHECK(c.data.test_size == 256);
  CHECK(c.data.noise == 0.1);
  CHECK(c.data.classes == 3);
  CHECK(c.data.features == 2);
  CHECK(c.data.length == 50);
  CHECK(c.data.pattern_length == 5);
  CHECK(c.data.symbols == 8);
  CHECK(c.data.path.empty());
  CHECK(c.data.target.empty());
  CHECK_FALSE(c.data.task.has_value());
  CHECK(c.data.test_fraction == 0.2);
  CHECK(c.data.standardize);

  CHECK(c.model.type == ModelType::mlp);
  CHECK(c.model.depth == 2);
  CHECK(c.model.width == std::vector<int>{32, 32});
  CHECK(c.model.activation == Activation::tanh);
  CHECK(c.model.negative_slope == 0.01);
  CHECK(c.model.elu_alpha == 1.0);
  CHECK(c.model.init == InitScheme::xavier_normal);  // auto, resolved for tanh
  CHECK(c.model.gain == 1.0);
  CHECK_FALSE(c.model.init_scale.has_value());
  CHECK(c.model.bias_init == 0.0);
  CHECK(c.model.skip == 0);
  CHECK_FALSE(c.model.batch_norm);
  CHECK(c.model.bn_momentum == 0.1);
  CHECK(c.model.bn_eps == 1e-5);
  CHECK_FALSE(c.model.output.has_value());
  CHECK(c.model.weights.empty());
  CHECK(c.model.recurrent_init == InitScheme::orthogonal);
  CHECK(c.model.recurrent_gain == 1.0);
  CHECK_FALSE(c.model.recurrent_init_scale.has_value());
  CHECK_FALSE(c.model.spectral_radius.has_value());
  CHECK(c.model.forget_bias == 1.0);

  CHECK(c.train.epochs == 20);
  CHECK(c.train.batch_size == 32);
  CHECK(c.train.optimizer == OptimizerKind::sgd);
  CHECK(c.train.lr == 0.1);
  CHECK(c.train.momentum == 0.9);
  CHECK(c.train.beta1 == 0.9);
  CHECK(c.train.beta2 == 0.999);
  CHECK(c.train.eps == 1e-8);
  CHECK(c.train.weight_decay == 0.0);
  CHECK(c.train.clip_threshold == 0.0);
  CHECK(c.train.shuffle);
  CHECK(c.train.truncation == 0);
  CHECK(c.train.checkpoint_every == 0);

  CHECK(c.log.every == 1);
  CHECK(c.log.dir == "runs");
  CHECK_FALSE(c.log.save_data);
}

TEST_CASE("config: defaults that depend on other choices") {
  SUBCASE("name comes from the context") {
    CHECK(parse("{}", ConfigContext{"/x", "my-config"}).name == "my-config");
    CHECK(accept(R"({"name": "given"})").name == "given");
  }
  SUBCASE("init auto: xavier_normal for sigmoid, tanh, identity; he_normal for the ReLU family") {
    const std::vector<std::pair<std::string, InitScheme>> cases{
        {"sigmoid", InitScheme::xavier_normal}, {"tanh", InitScheme::xavier_normal},
        {"identity", InitScheme::xavier_normal}, {"relu", InitScheme::he_normal},
        {"leaky_relu", InitScheme::he_normal},   {"elu", InitScheme::he_normal}};
    for (const auto& [activation, scheme] : cases) {
      const auto& activation_ = activation;  // clang 14 cannot capture a structured binding
      CAPTURE(activation_);
      const std::string implicit = R"({"model": {"activation": ")" + activation + R"("}})";
      const std::string explicit_auto =
          R"({"model": {"init": "auto", "activation": ")" + activation + R"("}})";
      CHECK(accept(implicit).model.init == scheme);
      CHECK(accept(explicit_auto).model.init == scheme);
    }
  }
  SUBCASE("lr: 0.1 for the sgd family, 0.001 for adam") {
    CHECK(accept(R"({"train": {"optimizer": "sgd"}})").train.lr == 0.1);
    CHECK(accept(R"({"train": {"optimizer": "momentum"}})").train.lr == 0.1);
    CHECK(accept(R"({"train": {"optimizer": "nesterov"}})").train.lr == 0.1);
    CHECK(accept(R"({"train": {"optimizer": "adam"}})").train.lr == 0.001);
  }
  SUBCASE("the default width is replicated to depth entries") {
    CHECK(accept(R"({"model": {"depth": 5}})").model.width == std::vector<int>(5, 32));
    CHECK(accept(R"({"model": {"depth": 1}})").model.width == std::vector<int>{32});
    CHECK(accept(R"({"model": {"depth": 0}})").model.width.empty());
  }
}

// ---- every key lands in its field ------------------------------------------------------------

TEST_CASE("config: every data key is read into its field") {
  SUBCASE("each built-in generator of samples") {
    for (const char* name : {"xor", "circles", "moons", "spirals", "blobs", "sine"}) {
      CAPTURE(name);
      const Config c = accept(R"({"data": {"type": ")" + std::string(name) + R"("}})");
      CHECK(name_of(c.data.type) == name);
    }
  }
  SUBCASE("generator keys") {
    const Config c = accept(R"({"data": {"type": "spirals", "seed": 12, "train_size": 100,
                                         "test_size": 0, "noise": 0.25}})");
    CHECK(c.data.type == DataKind::spirals);
    CHECK(c.data.seed == std::uint64_t{12});
    CHECK(c.data.train_size == 100);
    CHECK(c.data.test_size == 0);
    CHECK(c.data.noise == 0.25);
  }
  SUBCASE("blobs: classes and features") {
    const Config c = accept(R"({"data": {"type": "blobs", "classes": 5, "features": 7}})");
    CHECK(c.data.type == DataKind::blobs);
    CHECK(c.data.classes == 5);
    CHECK(c.data.features == 7);
  }
  SUBCASE("csv: every key, the relative path resolved against the base directory") {
    const Config c = accept(R"({"data": {"type": "csv", "path": "../data/./iris.csv",
        "target": "species", "task": "classification", "test_fraction": 0.3,
        "standardize": false, "seed": 5}})");
    CHECK(c.data.type == DataKind::csv);
    CHECK(c.data.path == "/base/data/iris.csv");
    CHECK(c.data.target == "species");
    CHECK(c.data.task == Task::classification);
    CHECK(c.data.test_fraction == 0.3);
    CHECK_FALSE(c.data.standardize);
    CHECK(c.data.seed == std::uint64_t{5});
  }
  SUBCASE("csv: task regression and auto; test_fraction 0 and just below 1") {
    CHECK(accept(R"({"data": {"type": "csv", "path": "a.csv", "task": "regression"}})")
              .data.task == Task::regression);
    CHECK_FALSE(accept(R"({"data": {"type": "csv", "path": "a.csv", "task": "auto"}})")
                    .data.task.has_value());
    CHECK(accept(R"({"data": {"type": "csv", "path": "a.csv", "test_fraction": 0}})")
              .data.test_fraction == 0.0);
    CHECK(accept(R"({"data": {"type": "csv", "path": "a.csv", "test_fraction": 0.999}})")
              .data.test_fraction == 0.999);
  }
  SUBCASE("csv: an absolute path is kept, normalised") {
    CHECK(accept(R"({"data": {"type": "csv", "path": "/srv/./x/../d.csv"}})").data.path ==
          "/srv/d.csv");
  }
  SUBCASE("csv: with a relative base directory the path is made absolute from the cwd") {
    const Config c =
        parse(R"({"data": {"type": "csv", "path": "a.csv"}})", ConfigContext{"sub", "r"});
    CHECK(c.data.path == (std::filesystem::current_path() / "sub" / "a.csv").string());
  }
}

TEST_CASE("config: every model key is read into its field") {
  SUBCASE("type, depth and one width for every layer") {
    const Config c = accept(R"({"model": {"type": "mlp", "depth": 3, "width": 16}})");
    CHECK(c.model.type == ModelType::mlp);
    CHECK(c.model.depth == 3);
    CHECK(c.model.width == std::vector<int>{16, 16, 16});
  }
  SUBCASE("a list of widths, one per layer; an integral float counts as an integer") {
    CHECK(accept(R"({"model": {"depth": 3, "width": [8, 4, 2]}})").model.width ==
          std::vector<int>{8, 4, 2});
    CHECK(accept(R"({"model": {"depth": 2, "width": [8.0, 4]}})").model.width ==
          std::vector<int>{8, 4});
    CHECK(accept(R"({"model": {"depth": 3.0}})").model.depth == 3);
    CHECK(accept(R"({"model": {"depth": 0, "width": []}})").model.width.empty());
  }
  SUBCASE("each activation") {
    for (const char* name : {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity"}) {
      CAPTURE(name);
      const Config c = accept(R"({"model": {"activation": ")" + std::string(name) + R"("}})");
      CHECK(name_of(c.model.activation) == name);
    }
  }
  SUBCASE("negative_slope with leaky_relu, elu_alpha with elu") {
    const Config leaky =
        accept(R"({"model": {"activation": "leaky_relu", "negative_slope": 0.2}})");
    CHECK(leaky.model.activation == Activation::leaky_relu);
    CHECK(leaky.model.negative_slope == 0.2);
    const Config elu = accept(R"({"model": {"activation": "elu", "elu_alpha": 0.5}})");
    CHECK(elu.model.activation == Activation::elu);
    CHECK(elu.model.elu_alpha == 0.5);
  }
  SUBCASE("each init scheme; init_scale with normal and uniform") {
    for (const auto& name : kInitNames) {
      CAPTURE(name);
      const bool scaled = name == "normal" || name == "uniform";
      const Config c = accept(R"({"model": {"init": ")" + name + "\"" +
                              (scaled ? R"(, "init_scale": 0.05)" : "") + "}}");
      REQUIRE(c.model.init.has_value());
      CHECK(name_of(*c.model.init) == name);
      if (scaled)
        CHECK(c.model.init_scale == 0.05);
      else
        CHECK_FALSE(c.model.init_scale.has_value());
    }
  }
  SUBCASE("gain and bias_init") {
    const Config c = accept(R"({"model": {"gain": 1.5, "bias_init": -0.25}})");
    CHECK(c.model.gain == 1.5);
    CHECK(c.model.bias_init == -0.25);
  }
  SUBCASE("skip, batch_norm, bn_momentum and bn_eps") {
    const Config c = accept(R"({"model": {"depth": 3, "skip": 3, "batch_norm": true,
                                          "bn_momentum": 1, "bn_eps": 0.001}})");
    CHECK(c.model.skip == 3);
    CHECK(c.model.batch_norm);
    CHECK(c.model.bn_momentum == 1.0);
    CHECK(c.model.bn_eps == 0.001);
    CHECK_FALSE(accept(R"({"model": {"batch_norm": false}})").model.batch_norm);
  }
  SUBCASE("each output, and auto") {
    CHECK(accept(R"({"model": {"output": "sigmoid"}})").model.output == Output::sigmoid);
    CHECK(accept(R"({"model": {"output": "softmax"}})").model.output == Output::softmax);
    CHECK(accept(R"({"data": {"type": "blobs"}, "model": {"output": "softmax"}})").model.output ==
          Output::softmax);
    CHECK(accept(R"({"data": {"type": "sine"}, "model": {"output": "linear"}})").model.output ==
          Output::linear);
    CHECK_FALSE(accept(R"({"model": {"output": "auto"}})").model.output.has_value());
    // csv's task is known only once the file is read: any output passes here.
    CHECK(accept(R"({"data": {"type": "csv", "path": "a.csv"}, "model": {"output": "linear"}})")
              .model.output == Output::linear);
  }
  SUBCASE("weights: relative to the base directory, absolute and normalised") {
    CHECK(accept(R"({"model": {"weights": "w/../weights.json"}})").model.weights ==
          "/base/dir/weights.json");
    CHECK(accept(R"({"model": {"weights": "../runs/a/weights.json"}})").model.weights ==
          "/base/runs/a/weights.json");
    CHECK(accept(R"({"model": {"weights": "/abs/./x/../w.json"}})").model.weights ==
          "/abs/w.json");
  }
}

TEST_CASE("config: recurrent model keys and sequence tasks") {
  SUBCASE("rnn on adding: activation, recurrent init keys, truncation, length") {
    const Config c = accept(R"({"data": {"type": "adding", "length": 20, "train_size": 64,
        "test_size": 16}, "model": {"type": "rnn", "depth": 1, "width": 16,
        "activation": "relu", "recurrent_init": "identity", "recurrent_gain": 0.9,
        "spectral_radius": 0.95}, "train": {"truncation": 10}})");
    CHECK(c.data.type == DataKind::adding);
    CHECK(c.data.length == 20);
    CHECK(c.data.train_size == 64);
    CHECK(c.data.test_size == 16);
    CHECK(c.model.type == ModelType::rnn);
    CHECK(c.model.activation == Activation::relu);
    CHECK(c.model.recurrent_init == InitScheme::identity);
    CHECK(c.model.recurrent_gain == 0.9);
    CHECK(c.model.spectral_radius == 0.95);
    CHECK(c.train.truncation == 10);
  }
  SUBCASE("lstm on copy: forget_bias, recurrent_init_scale, pattern_length, symbols") {
    const Config c = accept(R"({"data": {"type": "copy", "pattern_length": 3, "symbols": 4},
        "model": {"type": "lstm", "forget_bias": 2, "recurrent_init": "uniform",
        "recurrent_init_scale": 0.1}})");
    CHECK(c.data.type == DataKind::copy);
    CHECK(c.data.pattern_length == 3);
    CHECK(c.data.symbols == 4);
    CHECK(c.model.type == ModelType::lstm);
    CHECK(c.model.forget_bias == 2.0);
    CHECK(c.model.recurrent_init == InitScheme::uniform);
    CHECK(c.model.recurrent_init_scale == 0.1);
  }
  SUBCASE("gru on sine with a length; text with its own defaults") {
    const Config sine =
        accept(R"({"data": {"type": "sine", "length": 7}, "model": {"type": "gru"}})");
    CHECK(sine.model.type == ModelType::gru);
    CHECK(sine.data.length == 7);
    const Config text =
        accept(R"({"data": {"type": "text", "path": "t.txt"}, "model": {"type": "lstm"}})");
    CHECK(text.data.path == "/base/dir/t.txt");
    CHECK(text.data.test_fraction == 0.1);
    CHECK(text.data.train_size == 0);
    CHECK(text.data.test_size == 0);
    CHECK(accept(R"({"data": {"type": "temporal_order"}, "model": {"type": "rnn"}})").data.type ==
          DataKind::temporal_order);
  }
  SUBCASE("conflicts between recurrent models and the data") {
    check_issue(R"({"model": {"type": "rnn"}})", "data.type",
                "\"moons\" holds samples, not sequences; a recurrent model (rnn) needs adding, "
                "copy, temporal_order, sine or text");
    check_issue(R"({"data": {"type": "copy"}})", "data.type",
                "\"copy\" is a sequence task; use model.type rnn, lstm or gru");
    check_issue(R"({"data": {"type": "sine", "length": 3}})", "data.length",
                "applies only to sequence tasks (data.type \"sine\" with an mlp is y = sin x, one "
                "sample at a time)");
    check_issue(R"({"data": {"type": "moons", "length": 5}})", "data.length",
                "applies only when data.type is a sequence task (data.type is moons)");
    check_issue(R"({"data": {"type": "adding", "noise": 0.1}, "model": {"type": "gru"}})",
                "data.noise",
                "applies only when data.type is a built-in generator of samples or \"sine\" "
                "(data.type is adding)");
  }
  SUBCASE("keys of recurrent models are refused where they do not apply") {
    check_issues(R"({"data": {"type": "adding"}, "model": {"type": "rnn", "depth": 0, "skip": 1,
                     "batch_norm": true}})",
                 {{"model.skip", "applies only when model.type is \"mlp\" (model.type is rnn)"},
                  {"model.batch_norm",
                   "applies only when model.type is \"mlp\" (model.type is rnn)"},
                  {"model.depth", "a recurrent model needs at least one layer (got 0)"}});
    check_issue(R"({"data": {"type": "adding"}, "model": {"type": "lstm", "activation": "relu"}})",
                "model.activation",
                "applies only when model.type is \"mlp\" or \"rnn\" (model.type is lstm; its gates "
                "have fixed activations)");
    check_issue(R"({"data": {"type": "adding"}, "model": {"type": "gru", "forget_bias": 1}})",
                "model.forget_bias",
                "applies only when model.type is \"lstm\" (model.type is gru)");
    check_issue(R"({"data": {"type": "adding"}, "model": {"type": "gru",
                    "recurrent_init": "normal"}})",
                "model.recurrent_init_scale", "required when model.recurrent_init is \"normal\"");
    check_issue(R"({"data": {"type": "adding"}, "model": {"type": "gru",
                    "recurrent_init_scale": 0.1}})",
                "model.recurrent_init_scale",
                "applies only when model.recurrent_init is \"normal\" or \"uniform\" "
                "(model.recurrent_init is orthogonal)");
    check_issue(R"({"model": {"spectral_radius": 1}})", "model.spectral_radius",
                "applies only when model.type is \"rnn\", \"lstm\" or \"gru\" (model.type is mlp)");
    check_issue(R"({"train": {"truncation": 5}})", "train.truncation",
                "applies only when model.type is \"rnn\", \"lstm\" or \"gru\"");
    check_issue(R"({"data": {"type": "adding"}, "model": {"type": "rnn"},
                    "log": {"save_data": true}})",
                "log.save_data",
                "applies only to model.type \"mlp\" (its data are samples; sequence tasks are not "
                "written out)");
    check_issue(R"({"data": {"symbols": 3}})", "data.symbols",
                "applies only when data.type is \"copy\" (data.type is moons)");
  }
}

TEST_CASE("config: every train key is read into its field") {
  SUBCASE("each optimizer") {
    for (const char* name : {"sgd", "momentum", "nesterov", "adam"}) {
      CAPTURE(name);
      const Config c = accept(R"({"train": {"optimizer": ")" + std::string(name) + R"("}})");
      CHECK(name_of(c.train.optimizer) == name);
    }
  }
  SUBCASE("the keys every optimizer has") {
    const Config c = accept(R"({"train": {"epochs": 0, "batch_size": 0, "lr": 0.5,
        "weight_decay": 0.0001, "clip_threshold": 5, "shuffle": false}})");
    CHECK(c.train.epochs == 0);
    CHECK(c.train.batch_size == 0);
    CHECK(c.train.lr == 0.5);
    CHECK(c.train.weight_decay == 0.0001);
    CHECK(c.train.clip_threshold == 5.0);
    CHECK_FALSE(c.train.shuffle);
  }
  SUBCASE("momentum with momentum and nesterov") {
    for (const char* name : {"momentum", "nesterov"}) {
      CAPTURE(name);
      const Config c = accept(R"({"train": {"optimizer": ")" + std::string(name) +
                              R"(", "momentum": 0.5}})");
      CHECK(c.train.momentum == 0.5);
    }
    CHECK(accept(R"({"train": {"optimizer": "momentum", "momentum": 0}})").train.momentum == 0.0);
  }
  SUBCASE("beta1, beta2, eps and lr with adam") {
    const Config c = accept(R"({"train": {"optimizer": "adam", "beta1": 0.8, "beta2": 0.99,
                                          "eps": 1e-7, "lr": 0.003}})");
    CHECK(c.train.optimizer == OptimizerKind::adam);
    CHECK(c.train.beta1 == 0.8);
    CHECK(c.train.beta2 == 0.99);
    CHECK(c.train.eps == 1e-7);
    CHECK(c.train.lr == 0.003);
  }
  SUBCASE("an integer is accepted for a number") {
    CHECK(accept(R"({"train": {"lr": 1}})").train.lr == 1.0);
  }
}

TEST_CASE("config: log and top-level keys, seeds up to 2^64-1") {
  SUBCASE("log") {
    const Config c = accept(R"({"log": {"every": 10, "dir": "out/runs", "save_data": true}})");
    CHECK(c.log.every == 10);
    CHECK(c.log.dir == "out/runs");  // relative to the cwd, not resolved
    CHECK(c.log.save_data);
  }
  SUBCASE("name and dtype") {
    const Config c = accept(R"({"name": "deep-tanh", "dtype": "float64"})");
    CHECK(c.name == "deep-tanh");
    CHECK(c.dtype == DType::float64);
    CHECK(accept(R"({"dtype": "float32"})").dtype == DType::float32);
  }
  SUBCASE("seeds above 2^53 are exact, up to 2^64-1") {
    const std::vector<std::pair<std::string, std::uint64_t>> seeds{
        {"0", 0},
        {"9007199254740993", 9007199254740993ULL},  // 2^53 + 1: not a double
        {"9223372036854775808", 9223372036854775808ULL},  // 2^63
        {"18446744073709551615", std::numeric_limits<std::uint64_t>::max()},
        {"3.0", 3}};
    for (const auto& [text, value] : seeds) {
      const auto& text_ = text;  // clang 14 cannot capture a structured binding
      CAPTURE(text_);
      CHECK(accept(R"({"seed": )" + text + "}").seed == value);
      CHECK(accept(R"({"data": {"seed": )" + text + "}}").data.seed == value);
    }
  }
  SUBCASE("seeds that are not non-negative integers") {
    const std::string expected = "expected a non-negative integer (up to 2^64-1), got ";
    check_issue(R"({"seed": -1})", "seed", expected + "-1 (an integer)");
    check_issue(R"({"seed": 1.5})", "seed", expected + "1.5 (a number)");
    check_issue(R"({"seed": "1"})", "seed", expected + "\"1\" (a string)");
    check_issue(R"({"seed": 18446744073709551616})", "seed",
                expected + "1.8446744073709552e+19 (a number)");
    check_issue(R"({"data": {"seed": true}})", "data.seed", expected + "true (a boolean)");
  }
}

TEST_CASE("config: null means not given, so the default applies") {
  const Config c = accept(R"({"name": null, "seed": null, "dtype": null, "data": null,
      "model": {"depth": null, "width": null, "activation": null, "init": null, "output": null},
      "train": {"lr": null, "optimizer": "adam", "beta1": null}, "log": null})");
  CHECK(c.name == "default-run");
  CHECK(c.seed == 0);
  CHECK(c.data.type == DataKind::moons);
  CHECK(c.model.depth == 2);
  CHECK(c.model.width == std::vector<int>{32, 32});
  CHECK(c.model.init == InitScheme::xavier_normal);
  CHECK_FALSE(c.model.output.has_value());
  CHECK(c.train.lr == 0.001);
  CHECK(c.train.beta1 == 0.9);
  // A null key that would not apply is not refused; an unknown one still is.
  accept(R"({"model": {"negative_slope": null, "init_scale": null}, "train": {"momentum": null}})");
  check_issue(R"({"model": {"zzz": null, "depth": 1}})", "model.zzz",
              "unknown key (known keys: \"activation\", \"batch_norm\", \"bias_init\", "
              "\"bn_eps\", \"bn_momentum\", \"depth\", \"elu_alpha\", \"forget_bias\", \"gain\", "
              "\"init\", \"init_scale\", \"negative_slope\", \"output\", \"recurrent_gain\", "
              "\"recurrent_init\", \"recurrent_init_scale\", \"skip\", \"spectral_radius\", "
              "\"type\", \"weights\", \"width\")");
  // A required key given as null is missing.
  check_issue(R"({"data": {"type": "csv", "path": null}})", "data.path",
              "required when data.type is \"csv\"");
  check_issue(R"({"model": {"init": "normal", "init_scale": null}})", "model.init_scale",
              "required when model.init is \"normal\" (the std of normal, the half-width of "
              "uniform)");
  // Inside a width list null is not a width.
  check_issue(R"({"model": {"width": [4, null]}})", "model.width[1]",
              "expected an integer in [1, 100000], got null (null)");
  // --set key=null undoes the file's value.
  json doc = json::parse(R"({"model": {"depth": 5, "activation": "relu"}})");
  apply_override(doc, "model.depth=null");
  apply_override(doc, "model.activation=null");
  const Config undone = parse_config(doc, kContext);
  CHECK(undone.model.depth == 2);
  CHECK(undone.model.activation == Activation::tanh);
}

TEST_CASE("config regression: a null data.length with sine and an mlp is not given, so accepted") {
  // parse_config's cross-section check looks at doc["data"].contains("length"), so the null
  // that means "not given" everywhere else is refused here.
  accept(R"({"data": {"type": "sine", "length": null}})");
}

TEST_CASE("config: keys starting with _ are comments") {
  const Config c = accept(R"({"_comment": "top", "_": 1,
      "data": {"_why": {"any": ["thing"]}, "type": "sine"},
      "model": {"_note": 3, "depth": 1}, "train": {"_": null}, "log": {"_x": false}})");
  CHECK(c.data.type == DataKind::sine);
  CHECK(c.model.depth == 1);
  // Not a comment: the underscore must come first.
  check_issue(R"({"model": {"depth_": 1}})", "model.depth_",
              "unknown key (did you mean \"depth\"?)");
}

// ---- errors ----------------------------------------------------------------------------------

TEST_CASE("config: unknown keys are reported with the likely key or the known keys") {
  SUBCASE("a typo gets a suggestion") {
    check_issue(R"({"model": {"activaton": "relu"}})", "model.activaton",
                "unknown key (did you mean \"activation\"?)");
    check_issue(R"({"train": {"optimiser": "adam"}})", "train.optimiser",
                "unknown key (did you mean \"optimizer\"?)");
    check_issue(R"({"data": {"noize": 0.1}})", "data.noize",
                "unknown key (did you mean \"noise\"?)");
    check_issue(R"({"log": {"evrey": 2}})", "log.evrey", "unknown key (did you mean \"every\"?)");
    check_issue(R"({"modle": {}})", "modle", "unknown key (did you mean \"model\"?)");
    check_issue(R"({"model": {"Depth": 3}})", "model.Depth",
                "unknown key (did you mean \"depth\"?)");
  }
  SUBCASE("without a plausible suggestion the known keys are listed") {
    check_issue(R"({"log": {"zzzzzz": 1}})", "log.zzzzzz",
                "unknown key (known keys: \"dir\", \"every\", \"quantiles\", \"save_data\")");
    check_issue(R"({"lr": 0.1})", "lr",
                "unknown key (known keys: \"data\", \"dtype\", \"label\", \"log\", \"model\", \"name\", "
                "\"seed\", \"train\")");
  }
  SUBCASE("several unknown keys of one section are all reported, sorted by key") {
    check_issues(R"({"train": {"zeta": 1, "alpha": 2}})",
                 {{"train.alpha", "unknown key (known keys: \"batch_size\", \"beta1\", \"beta2\", "
                                  "\"checkpoint_every\", \"clip_threshold\", \"epochs\", \"eps\", \"lr\", \"momentum\", "
                                  "\"optimizer\", \"shuffle\", \"truncation\", \"weight_decay\")"},
                  {"train.zeta", "unknown key (known keys: \"batch_size\", \"beta1\", \"beta2\", "
                                 "\"checkpoint_every\", \"clip_threshold\", \"epochs\", \"eps\", \"lr\", \"momentum\", "
                                 "\"optimizer\", \"shuffle\", \"truncation\", \"weight_decay\")"}});
  }
}

TEST_CASE("config: wrong types name what was expected and what was given") {
  const std::vector<std::pair<std::string, Expected>> cases{
      {R"({"model": {"depth": "3"}})",
       {"model.depth", "expected an integer in [0, 1000], got \"3\" (a string)"}},
      {R"({"model": {"depth": 2.5}})",
       {"model.depth", "expected an integer in [0, 1000], got 2.5 (a number)"}},
      {R"({"model": {"depth": true}})",
       {"model.depth", "expected an integer in [0, 1000], got true (a boolean)"}},
      {R"({"model": {"width": "wide"}})",
       {"model.width", "expected an integer in [1, 100000], got \"wide\" (a string)"}},
      {R"({"train": {"lr": true}})",
       {"train.lr", "expected a number in (0, 1e+06], got true (a boolean)"}},
      {R"({"train": {"lr": "0.1"}})",
       {"train.lr", "expected a number in (0, 1e+06], got \"0.1\" (a string)"}},
      {R"({"train": {"shuffle": 1}})",
       {"train.shuffle", "expected true or false, got 1 (an integer)"}},
      {R"({"model": {"batch_norm": "yes"}})",
       {"model.batch_norm", "expected true or false, got \"yes\" (a string)"}},
      {R"({"name": 42})", {"name", "expected a string, got 42 (an integer)"}},
      {R"({"log": {"dir": ["a"]}})", {"log.dir", "expected a string, got [\"a\"] (an array)"}},
      {R"({"model": {"activation": 3}})",
       {"model.activation", "expected one of \"sigmoid\", \"tanh\", \"relu\", \"leaky_relu\", "
                            "\"elu\", \"identity\"; got 3 (an integer)"}},
      {R"({"data": {"type": {"name": "moons"}}})",
       {"data.type", "expected one of \"xor\", \"circles\", \"moons\", \"spirals\", \"blobs\", "
                     "\"sine\", \"csv\", \"adding\", \"copy\", \"temporal_order\", \"text\"; got "
                     "{\"name\":\"moons\"} (an object)"}},
      {R"({"data": {"type": "csv", "path": "a.csv", "target": 3}})",
       {"data.target", "expected a string, got 3 (an integer)"}},
  };
  SUBCASE("each wrong type") {
    for (const auto& [text, expected] : cases) check_issue(text, expected.path, expected.message);
  }

  SUBCASE("a long value is shortened in the message") {
    check_issue(R"({"name": ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"]})", "name",
                "expected a string, got [\"aaaaaaaaaa\",\"bbbbbbbbbb\",\"ccccccccc... (an array)");
  }
}

TEST_CASE("config: sections that are not objects") {
  check_issue(R"({"model": 3})", "model", "expected an object, got 3 (an integer)");
  check_issue(R"({"data": []})", "data", "expected an object, got [] (an array)");
  check_issue(R"({"train": "fast"})", "train", "expected an object, got \"fast\" (a string)");
  check_issue(R"({"log": true})", "log", "expected an object, got true (a boolean)");
  check_issue("[]", "", "expected an object, got [] (an array)");
  // The rest of the config is still read.
  check_issues(R"({"model": 3, "train": {"lr": 0}})",
               {{"model", "expected an object, got 3 (an integer)"},
                {"train.lr", "expected a number in (0, 1e+06], got 0"}});
}

TEST_CASE("config: out-of-range values at each boundary") {
  struct Boundary {
    std::string config;
    std::string path;
    std::string message;  // empty: accepted
  };
  const std::vector<Boundary> cases{
      // data
      {R"({"data": {"train_size": 0}})", "data.train_size",
       "expected an integer in [1, 10000000], got 0"},
      {R"({"data": {"train_size": 1}})", "", ""},
      {R"({"data": {"train_size": 10000000}})", "", ""},
      {R"({"data": {"train_size": 10000001}})", "data.train_size",
       "expected an integer in [1, 10000000], got 10000001"},
      {R"({"data": {"test_size": -1}})", "data.test_size",
       "expected an integer in [0, 10000000], got -1"},
      {R"({"data": {"test_size": 0}})", "", ""},
      {R"({"data": {"noise": -0.1}})", "data.noise", "expected a number in [0, 1e+06], got -0.1"},
      {R"({"data": {"noise": 0}})", "", ""},
      {R"({"data": {"type": "blobs", "classes": 1}})", "data.classes",
       "expected an integer in [2, 1000], got 1"},
      {R"({"data": {"type": "blobs", "classes": 2}})", "", ""},
      {R"({"data": {"type": "blobs", "classes": 1000}})", "", ""},
      {R"({"data": {"type": "blobs", "classes": 1001}})", "data.classes",
       "expected an integer in [2, 1000], got 1001"},
      {R"({"data": {"type": "blobs", "features": 0}})", "data.features",
       "expected an integer in [1, 100000], got 0"},
      {R"({"data": {"type": "blobs", "features": 100001}})", "data.features",
       "expected an integer in [1, 100000], got 100001"},
      {R"({"data": {"type": "csv", "path": "a.csv", "test_fraction": 1.0}})",
       "data.test_fraction", "expected a number in [0, 1), got 1.0"},
      {R"({"data": {"type": "csv", "path": "a.csv", "test_fraction": -0.1}})",
       "data.test_fraction", "expected a number in [0, 1), got -0.1"},
      // model
      {R"({"model": {"depth": -1}})", "model.depth", "expected an integer in [0, 1000], got -1"},
      {R"({"model": {"depth": 0}})", "", ""},
      {R"({"model": {"depth": 1000, "width": 1}})", "", ""},
      {R"({"model": {"depth": 1001}})", "model.depth",
       "expected an integer in [0, 1000], got 1001"},
      {R"({"model": {"depth": 1001.0}})", "model.depth",
       "expected an integer in [0, 1000], got 1001.0 (a number)"},
      {R"({"model": {"depth": 18446744073709551615}})", "model.depth",
       "expected an integer in [0, 1000], got 18446744073709551615"},
      {R"({"model": {"width": 0}})", "model.width", "expected an integer in [1, 100000], got 0"},
      {R"({"model": {"width": 100000, "depth": 1}})", "", ""},
      {R"({"model": {"width": 100001}})", "model.width",
       "expected an integer in [1, 100000], got 100001"},
      {R"({"model": {"activation": "leaky_relu", "negative_slope": 0}})", "", ""},
      {R"({"model": {"activation": "leaky_relu", "negative_slope": 1.0}})", "model.negative_slope",
       "expected a number in [0, 1), got 1.0"},
      {R"({"model": {"activation": "leaky_relu", "negative_slope": -0.1}})",
       "model.negative_slope", "expected a number in [0, 1), got -0.1"},
      {R"({"model": {"activation": "elu", "elu_alpha": 0}})", "model.elu_alpha",
       "expected a number in (0, 1e+06], got 0"},
      {R"({"model": {"gain": 0}})", "model.gain", "expected a number in (0, 1e+06], got 0"},
      {R"({"model": {"gain": -1}})", "model.gain", "expected a number in (0, 1e+06], got -1"},
      {R"({"model": {"init": "normal", "init_scale": 0}})", "model.init_scale",
       "expected a number in (0, 1e+06], got 0"},
      {R"({"model": {"init": "uniform", "init_scale": -0.5}})", "model.init_scale",
       "expected a number in (0, 1e+06], got -0.5"},
      {R"({"model": {"bias_init": -1000000}})", "", ""},
      {R"({"model": {"bias_init": 1e7}})", "model.bias_init",
       "expected a number in [-1e+06, 1e+06], got 10000000.0"},
      {R"({"model": {"skip": -1}})", "model.skip", "expected an integer in [0, 1000], got -1"},
      {R"({"model": {"batch_norm": true, "bn_momentum": 0}})", "model.bn_momentum",
       "expected a number in (0, 1], got 0"},
      {R"({"model": {"batch_norm": true, "bn_momentum": 1.5}})", "model.bn_momentum",
       "expected a number in (0, 1], got 1.5"},
      {R"({"model": {"batch_norm": true, "bn_eps": 0}})", "model.bn_eps",
       "expected a number in (0, 1], got 0"},
      {R"({"model": {"batch_norm": true, "bn_eps": 1}})", "", ""},
      // train
      {R"({"train": {"epochs": -1}})", "train.epochs",
       "expected an integer in [0, 10000000], got -1"},
      {R"({"train": {"epochs": 10000001}})", "train.epochs",
       "expected an integer in [0, 10000000], got 10000001"},
      {R"({"train": {"batch_size": -1}})", "train.batch_size",
       "expected an integer in [0, 10000000], got -1"},
      {R"({"train": {"checkpoint_every": -1}})", "train.checkpoint_every",
       "expected an integer in [0, 1000000000000], got -1"},
      {R"({"train": {"checkpoint_every": 1.5}})", "train.checkpoint_every",
       "expected an integer in [0, 1000000000000], got 1.5 (a number)"},
      {R"({"train": {"checkpoint_every": 1000000000000}})", "", ""},
      {R"({"train": {"lr": 0}})", "train.lr", "expected a number in (0, 1e+06], got 0"},
      {R"({"train": {"lr": -1}})", "train.lr", "expected a number in (0, 1e+06], got -1"},
      {R"({"train": {"lr": 1e-12}})", "", ""},
      {R"({"train": {"lr": 1e6}})", "", ""},
      {R"({"train": {"lr": 1e7}})", "train.lr", "expected a number in (0, 1e+06], got 10000000.0"},
      {R"({"train": {"optimizer": "momentum", "momentum": 1.0}})", "train.momentum",
       "expected a number in [0, 1), got 1.0"},
      {R"({"train": {"optimizer": "nesterov", "momentum": -0.5}})", "train.momentum",
       "expected a number in [0, 1), got -0.5"},
      {R"({"train": {"optimizer": "adam", "beta1": 1.0}})", "train.beta1",
       "expected a number in [0, 1), got 1.0"},
      {R"({"train": {"optimizer": "adam", "beta1": 0}})", "", ""},
      {R"({"train": {"optimizer": "adam", "beta2": -0.1}})", "train.beta2",
       "expected a number in [0, 1), got -0.1"},
      {R"({"train": {"optimizer": "adam", "eps": 0}})", "train.eps",
       "expected a number in (0, 1], got 0"},
      {R"({"train": {"weight_decay": -1}})", "train.weight_decay",
       "expected a number in [0, 1e+06], got -1"},
      {R"({"train": {"clip_threshold": -1}})", "train.clip_threshold",
       "expected a number in [0, 1e+30], got -1"},
      {R"({"train": {"clip_threshold": 0}})", "", ""},
      // log
      {R"({"log": {"every": 0}})", "log.every", "expected an integer in [1, 1000000000], got 0"},
      {R"({"log": {"every": 1000000000}})", "", ""},
      {R"({"log": {"every": 1000000001}})", "log.every",
       "expected an integer in [1, 1000000000], got 1000000001"},
  };
  for (const auto& b : cases) {
    if (b.message.empty())
      accept(b.config);
    else
      check_issue(b.config, b.path, b.message);
  }
}

TEST_CASE("config: empty strings where a value is needed") {
  check_issue(R"({"name": ""})", "name", "must not be empty");
  check_issue(R"({"log": {"dir": ""}})", "log.dir", "must not be empty");
  check_issue(R"({"data": {"type": "csv", "path": ""}})", "data.path", "must not be empty");
}

TEST_CASE("config: bad choices list the valid ones and the likely one") {
  const std::string activations =
      "expected one of \"sigmoid\", \"tanh\", \"relu\", \"leaky_relu\", \"elu\", \"identity\"; ";
  check_issue(R"({"model": {"activation": "rellu"}})", "model.activation",
              activations + "got \"rellu\" (did you mean \"relu\"?)");
  check_issue(R"({"model": {"activation": "ReLU"}})", "model.activation",
              activations + "got \"ReLU\" (did you mean \"relu\"?)");
  check_issue(R"({"model": {"activation": "swish"}})", "model.activation",
              activations + "got \"swish\"");
  check_issue(R"({"model": {"init": "xavier"}})", "model.init",
              "expected one of \"auto\", \"xavier_uniform\", \"xavier_normal\", \"he_uniform\", "
              "\"he_normal\", \"lecun_uniform\", \"lecun_normal\", \"orthogonal\", \"standard\", "
              "\"normal\", \"uniform\"; got \"xavier\" (did you mean \"xavier_uniform\"?)");
  check_issue(R"({"model": {"output": "softmx"}})", "model.output",
              "expected one of \"auto\", \"sigmoid\", \"softmax\", \"linear\"; got \"softmx\" (did "
              "you mean \"softmax\"?)");
  check_issue(R"({"model": {"type": "lsmt"}})", "model.type",
              "expected one of \"mlp\", \"rnn\", \"lstm\", \"gru\"; got \"lsmt\" (did you mean "
              "\"lstm\"?)");
  check_issue(R"({"train": {"optimizer": "Adam"}})", "train.optimizer",
              "expected one of \"sgd\", \"momentum\", \"nesterov\", \"adam\"; got \"Adam\" (did "
              "you mean \"adam\"?)");
  check_issue(R"({"data": {"type": "moon"}})", "data.type",
              "expected one of \"xor\", \"circles\", \"moons\", \"spirals\", \"blobs\", \"sine\", "
              "\"csv\", \"adding\", \"copy\", \"temporal_order\", \"text\"; got \"moon\" (did you "
              "mean \"moons\"?)");
  check_issue(R"({"data": {"type": "csv", "path": "a.csv", "task": "regresion"}})", "data.task",
              "expected one of \"auto\", \"classification\", \"regression\"; got \"regresion\" "
              "(did you mean \"regression\"?)");
  check_issue(R"({"dtype": "double"})", "dtype",
              "expected one of \"float32\", \"float64\"; got \"double\"");
  check_issue(R"({"dtype": "float16"})", "dtype",
              "expected one of \"float32\", \"float64\"; got \"float16\" (did you mean "
              "\"float32\"?)");
}

TEST_CASE("config: width lists") {
  check_issue(R"({"model": {"depth": 3, "width": [4, 8]}})", "model.width",
              "expected 3 widths (one per hidden layer, model.depth = 3), got 2");
  check_issue(R"({"model": {"width": [4, 8, 16]}})", "model.width",
              "expected 2 widths (one per hidden layer, model.depth = 2), got 3");
  check_issue(R"({"model": {"depth": 1, "width": []}})", "model.width",
              "expected 1 widths (one per hidden layer, model.depth = 1), got 0");
  check_issue(R"({"model": {"width": [4, 0]}})", "model.width[1]",
              "expected an integer in [1, 100000], got 0");
  check_issue(R"({"model": {"width": [4, "x"]}})", "model.width[1]",
              "expected an integer in [1, 100000], got \"x\" (a string)");
  check_issue(R"({"model": {"width": [4, 2.5]}})", "model.width[1]",
              "expected an integer in [1, 100000], got 2.5 (a number)");
  check_issues(R"({"model": {"depth": 3, "width": [0, 8, 100001]}})",
               {{"model.width[0]", "expected an integer in [1, 100000], got 0"},
                {"model.width[2]", "expected an integer in [1, 100000], got 100001"}});
}

TEST_CASE("config: keys that apply only to another choice are refused") {
  SUBCASE("model") {
    check_issue(R"({"model": {"activation": "tanh", "negative_slope": 0.1}})",
                "model.negative_slope",
                "applies only when model.activation is \"leaky_relu\" (model.activation is tanh)");
    check_issue(R"({"model": {"activation": "relu", "elu_alpha": 1}})", "model.elu_alpha",
                "applies only when model.activation is \"elu\" (model.activation is relu)");
    check_issue(R"({"model": {"init": "he_normal", "init_scale": 0.1}})", "model.init_scale",
                "applies only when model.init is \"normal\" or \"uniform\" (model.init is "
                "he_normal)");
    // With init auto, the message names the scheme auto chose.
    check_issue(R"({"model": {"init_scale": 0.1}})", "model.init_scale",
                "applies only when model.init is \"normal\" or \"uniform\" (model.init is "
                "xavier_normal)");
    check_issue(R"({"model": {"bn_eps": 0.1}})", "model.bn_eps",
                "applies only when model.batch_norm is true");
    check_issue(R"({"model": {"batch_norm": false, "bn_momentum": 0.1}})", "model.bn_momentum",
                "applies only when model.batch_norm is true");
  }
  SUBCASE("train") {
    check_issue(R"({"train": {"momentum": 0.5}})", "train.momentum",
                "applies only when train.optimizer is \"momentum\" or \"nesterov\" "
                "(train.optimizer is sgd)");
    check_issue(R"({"train": {"optimizer": "adam", "momentum": 0.5}})", "train.momentum",
                "applies only when train.optimizer is \"momentum\" or \"nesterov\" "
                "(train.optimizer is adam)");
    check_issues(R"({"train": {"beta1": 0.9, "beta2": 0.9, "eps": 1e-8}})",
                 {{"train.beta1", "applies only when train.optimizer is \"adam\" (train.optimizer "
                                  "is sgd)"},
                  {"train.beta2", "applies only when train.optimizer is \"adam\" (train.optimizer "
                                  "is sgd)"},
                  {"train.eps", "applies only when train.optimizer is \"adam\" (train.optimizer "
                                "is sgd)"}});
    check_issue(R"({"train": {"optimizer": "nesterov", "beta1": 0.9}})", "train.beta1",
                "applies only when train.optimizer is \"adam\" (train.optimizer is nesterov)");
  }
  SUBCASE("data: blobs-only keys with another generator") {
    check_issues(R"({"data": {"type": "moons", "classes": 4, "features": 3}})",
                 {{"data.classes", "applies only when data.type is \"blobs\" (data.type is moons)"},
                  {"data.features",
                   "applies only when data.type is \"blobs\" (data.type is moons)"}});
  }
  SUBCASE("data: csv keys with a generator") {
    check_issues(R"({"data": {"type": "moons", "path": "a.csv", "test_fraction": 0.1,
                     "target": "y", "standardize": true, "task": "auto"}})",
                 {{"data.path", "applies only when data.type is \"csv\" or \"text\" (data.type is "
                                "moons)"},
                  {"data.test_fraction", "applies only when data.type is \"csv\" or \"text\" "
                                         "(data.type is moons)"},
                  {"data.target", "applies only when data.type is \"csv\" (data.type is moons)"},
                  {"data.standardize", "applies only when data.type is \"csv\" (data.type is "
                                       "moons)"},
                  {"data.task", "applies only when data.type is \"csv\" (data.type is moons)"}});
  }
  SUBCASE("data: generator keys with csv") {
    check_issues(R"({"data": {"type": "csv", "path": "a.csv", "train_size": 10, "test_size": 5,
                     "noise": 0.1, "classes": 3}})",
                 {{"data.train_size", "applies only when data.type is not \"csv\" (data.type is "
                                      "csv)"},
                  {"data.test_size", "applies only when data.type is not \"csv\" (data.type is "
                                     "csv)"},
                  {"data.noise", "applies only when data.type is a built-in generator of samples "
                                 "or \"sine\" (data.type is csv)"},
                  {"data.classes", "applies only when data.type is \"blobs\" (data.type is csv)"}});
  }
}

TEST_CASE("config: required keys and choices that contradict each other") {
  SUBCASE("csv without a path") {
    check_issue(R"({"data": {"type": "csv"}})", "data.path", "required when data.type is \"csv\"");
  }
  SUBCASE("init_scale missing for normal and uniform") {
    check_issue(R"({"model": {"init": "normal"}})", "model.init_scale",
                "required when model.init is \"normal\" (the std of normal, the half-width of "
                "uniform)");
    check_issue(R"({"model": {"init": "uniform"}})", "model.init_scale",
                "required when model.init is \"uniform\" (the std of normal, the half-width of "
                "uniform)");
  }
  SUBCASE("skip longer than depth") {
    check_issue(R"({"model": {"depth": 2, "skip": 3}})", "model.skip",
                "expected 0 or a span up to model.depth (2), got 3");
    check_issue(R"({"model": {"depth": 0, "skip": 1}})", "model.skip",
                "expected 0 or a span up to model.depth (0), got 1");
    accept(R"({"model": {"depth": 2, "skip": 2}})");
  }
  SUBCASE("outputs that do not fit the data") {
    check_issue(R"({"data": {"type": "sine"}, "model": {"output": "sigmoid"}})", "model.output",
                "\"sigmoid\" needs a classification task; data.type \"sine\" is regression (use "
                "\"linear\" or \"auto\")");
    check_issue(R"({"data": {"type": "sine"}, "model": {"output": "softmax"}})", "model.output",
                "\"softmax\" needs a classification task; data.type \"sine\" is regression (use "
                "\"linear\" or \"auto\")");
    for (const char* type : {"xor", "circles", "moons", "spirals", "blobs"}) {
      CAPTURE(type);
      check_issue(R"({"data": {"type": ")" + std::string(type) +
                      R"("}, "model": {"output": "linear"}})",
                  "model.output",
                  "\"linear\" needs a regression task; data.type \"" + std::string(type) +
                      "\" is classification (use \"sigmoid\", \"softmax\" or \"auto\")");
    }
    check_issue(R"({"data": {"type": "blobs", "classes": 3}, "model": {"output": "sigmoid"}})",
                "model.output",
                "\"sigmoid\" needs two classes; the data has 3 (use \"softmax\" or \"auto\")");
    accept(R"({"data": {"type": "blobs", "classes": 2}, "model": {"output": "sigmoid"}})");
  }
}

TEST_CASE("config: every problem is reported at once, in reading order") {
  SUBCASE("one mistake in each of four sections gives four issues") {
    const std::string text = R"({"log": {"every": 0}, "train": {"lr": 0},
        "model": {"activaton": "relu"}, "data": {"type": "moons", "classes": 4}})";
    check_issues(text,
                 {{"data.classes", "applies only when data.type is \"blobs\" (data.type is moons)"},
                  {"model.activaton", "unknown key (did you mean \"activation\"?)"},
                  {"train.lr", "expected a number in (0, 1e+06], got 0"},
                  {"log.every", "expected an integer in [1, 1000000000], got 0"}});
    try {
      parse(text);
      FAIL_CHECK("accepted");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()) ==
            "data.classes: applies only when data.type is \"blobs\" (data.type is moons)\n"
            "model.activaton: unknown key (did you mean \"activation\"?)\n"
            "train.lr: expected a number in (0, 1e+06], got 0\n"
            "log.every: expected an integer in [1, 1000000000], got 0");
    }
  }
  SUBCASE("top level first, then data, model, train, log, unknown top-level keys, conflicts") {
    check_issues(R"({"zzz": 1, "log": {"every": 0}, "train": {"lr": -1, "optimiser": "adam"},
                    "model": {"depth": 1001, "width": 0, "output": "linear"},
                    "data": {"noize": 0.1, "type": "moon"}, "seed": -1})",
                 {{"seed", "expected a non-negative integer (up to 2^64-1), got -1 (an integer)"},
                  {"data.type", "expected one of \"xor\", \"circles\", \"moons\", \"spirals\", "
                                "\"blobs\", \"sine\", \"csv\", \"adding\", \"copy\", "
                                "\"temporal_order\", \"text\"; got \"moon\" (did you mean "
                                "\"moons\"?)"},
                  {"data.noize", "unknown key (did you mean \"noise\"?)"},
                  {"model.depth", "expected an integer in [0, 1000], got 1001"},
                  {"model.width", "expected an integer in [1, 100000], got 0"},
                  {"train.lr", "expected a number in (0, 1e+06], got -1"},
                  {"train.optimiser", "unknown key (did you mean \"optimizer\"?)"},
                  {"log.every", "expected an integer in [1, 1000000000], got 0"},
                  {"zzz", "unknown key (known keys: \"data\", \"dtype\", \"label\", \"log\", \"model\", "
                          "\"name\", \"seed\", \"train\")"},
                  {"model.output", "\"linear\" needs a regression task; data.type \"moons\" is "
                                   "classification (use \"sigmoid\", \"softmax\" or \"auto\")"}});
  }
  SUBCASE("ConfigError's text names the top level") {
    const ConfigError e("", "something");
    CHECK(std::string(e.what()) == "(top level): something");
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path.empty());
  }
}

// Regressions of defects found in review: each asserts the correct behaviour.
// Names start with "config regression:".
TEST_CASE("config regression: an invalid choice does not cascade into errors on its dependent keys") {
  SUBCASE("init typo with init_scale") {
    const auto issues = issues_of(R"({"model": {"init": "normall", "init_scale": 0.1}})");
    CHECK(issues.size() == 1);
    REQUIRE_FALSE(issues.empty());
    CHECK(issues[0].path == "model.init");
  }
  SUBCASE("activation typo with negative_slope") {
    const auto issues =
        issues_of(R"({"model": {"activation": "leaky_rellu", "negative_slope": 0.1}})");
    CHECK(issues.size() == 1);
    REQUIRE_FALSE(issues.empty());
    CHECK(issues[0].path == "model.activation");
  }
  SUBCASE("optimizer typo with beta1") {
    const auto issues = issues_of(R"({"train": {"optimizer": "adamm", "beta1": 0.8}})");
    CHECK(issues.size() == 1);
    REQUIRE_FALSE(issues.empty());
    CHECK(issues[0].path == "train.optimizer");
  }
  SUBCASE("data.type typo with classes") {
    const auto issues = issues_of(R"({"data": {"type": "blob", "classes": 4}})");
    CHECK(issues.size() == 1);
    REQUIRE_FALSE(issues.empty());
    CHECK(issues[0].path == "data.type");
  }
  SUBCASE("an out-of-range depth with a width list") {
    // The width list is judged against the default depth 2, which the user never wrote.
    const auto issues = issues_of(R"({"model": {"depth": -1, "width": [4, 4, 4]}})");
    CHECK(issues.size() == 1);
    REQUIRE_FALSE(issues.empty());
    CHECK(issues[0].path == "model.depth");
  }
}

TEST_CASE("config regression: a data.path that is not a string is reported once") {
  // Now also "data.path: must not be empty", although the user wrote 3, not "".
  check_issue(R"({"data": {"type": "csv", "path": 3}})", "data.path",
              "expected a string, got 3 (an integer)");
}

// ---- to_json ---------------------------------------------------------------------------------

TEST_CASE("config: to_json round trip gives the same config") {
  const std::vector<std::string> configs{
      "{}",
      R"({"name": "csv", "data": {"type": "csv", "path": "../data/iris.csv", "target": "species",
          "task": "classification", "test_fraction": 0.3, "standardize": false, "seed": 7}})",
      R"({"data": {"type": "csv", "path": "/abs/r.csv", "task": "regression"},
          "model": {"output": "linear", "depth": 0}})",
      R"({"data": {"type": "blobs", "classes": 5, "features": 7, "noise": 1.5, "train_size": 100,
          "test_size": 0}, "model": {"output": "softmax"}})",
      R"({"model": {"activation": "leaky_relu", "negative_slope": 0.2, "depth": 3,
          "width": [8, 16, 4], "init": "he_uniform", "gain": 1.5, "bias_init": -0.25},
          "train": {"optimizer": "adam", "beta1": 0.8, "beta2": 0.99, "eps": 1e-7, "lr": 0.003,
          "weight_decay": 1e-4, "clip_threshold": 5}})",
      R"({"name": "bn", "seed": 18446744073709551615, "dtype": "float64",
          "model": {"batch_norm": true, "bn_momentum": 0.2, "bn_eps": 1e-3, "skip": 2,
          "activation": "elu", "elu_alpha": 0.5, "init": "normal", "init_scale": 0.05,
          "weights": "w.json", "output": "sigmoid"},
          "train": {"optimizer": "nesterov", "momentum": 0.5, "shuffle": false, "batch_size": 0,
          "epochs": 0}, "log": {"every": 10, "dir": "out", "save_data": true}})",
      R"({"data": {"type": "sine", "noise": 0, "seed": 9007199254740993},
          "model": {"init": "uniform", "init_scale": 0.3, "activation": "identity"},
          "train": {"optimizer": "momentum", "momentum": 0}})",
      R"({"data": {"type": "copy", "length": 12, "pattern_length": 3, "symbols": 4},
          "model": {"type": "lstm", "depth": 1, "width": 8, "forget_bias": 0.5,
          "recurrent_init": "normal", "recurrent_init_scale": 0.02, "spectral_radius": 0.9},
          "train": {"truncation": 4}})",
      R"({"data": {"type": "sine", "length": 9}, "model": {"type": "rnn", "activation": "relu",
          "recurrent_init": "identity", "recurrent_gain": 0.5}})",
      R"({"data": {"type": "text", "path": "t.txt", "test_fraction": 0.25, "train_size": 10},
          "model": {"type": "gru"}})",
  };
  for (const auto& text : configs) {
    const auto& text_ = text;  // clang 14 cannot capture a structured binding
    CAPTURE(text_);
    const Config c = accept(text);
    const json written = to_json(c);
    const std::string dumped = written.dump();
    CAPTURE(dumped);
    const Config again = accept(dumped);  // through text, as config.json is read back
    check_same(c, again);
    CHECK(to_json(again) == written);
  }
}

TEST_CASE("config: to_json writes exactly the keys that apply") {
  SUBCASE("defaults: moons, mlp, sgd; every auto choice but output resolved") {
    const json j = to_json(accept("{}"));
    CHECK(keys_of(j) == "data,dtype,log,model,name,seed,train");
    CHECK(keys_of(j["data"]) == "noise,test_size,train_size,type");
    CHECK(keys_of(j["model"]) ==
          "activation,batch_norm,bias_init,depth,gain,init,output,skip,type,width");
    CHECK(keys_of(j["train"]) ==
          "batch_size,checkpoint_every,clip_threshold,epochs,lr,optimizer,shuffle,weight_decay");
    CHECK(keys_of(j["log"]) == "dir,every,quantiles,save_data");
    CHECK(j["name"] == "default-run");
    CHECK(j["model"]["init"] == "xavier_normal");
    CHECK(j["model"]["output"] == "auto");
    CHECK(j["model"]["width"] == json::array({32, 32}));
    CHECK(j["train"]["lr"] == 0.1);
  }
  SUBCASE("adam: betas and eps, no momentum") {
    const json t = to_json(accept(R"({"train": {"optimizer": "adam"}})"))["train"];
    CHECK(keys_of(t) ==
          "batch_size,beta1,beta2,checkpoint_every,clip_threshold,epochs,eps,lr,optimizer,shuffle,weight_decay");
    CHECK(t["lr"] == 0.001);
  }
  SUBCASE("momentum and nesterov: momentum, no betas") {
    for (const char* name : {"momentum", "nesterov"}) {
      CAPTURE(name);
      const json t =
          to_json(accept(R"({"train": {"optimizer": ")" + std::string(name) + R"("}})"))["train"];
      CHECK(keys_of(t) ==
            "batch_size,checkpoint_every,clip_threshold,epochs,lr,momentum,optimizer,shuffle,weight_decay");
    }
  }
  SUBCASE("csv: path, target, task, test_fraction, standardize; no generator keys") {
    const json d = to_json(accept(R"({"data": {"type": "csv", "path": "a.csv"}})"))["data"];
    CHECK(keys_of(d) == "path,standardize,target,task,test_fraction,type");
    CHECK(d["path"] == "/base/dir/a.csv");
    CHECK(d["task"] == "auto");
    CHECK(d["target"] == "");
  }
  SUBCASE("blobs: classes and features; a given data seed") {
    const json d = to_json(accept(R"({"data": {"type": "blobs", "seed": 3}})"))["data"];
    CHECK(keys_of(d) == "classes,features,noise,seed,test_size,train_size,type");
  }
  SUBCASE("model: the keys of the chosen activation, init and batch norm") {
    CHECK(keys_of(to_json(accept(R"({"model": {"activation": "leaky_relu"}})"))["model"]) ==
          "activation,batch_norm,bias_init,depth,gain,init,negative_slope,output,skip,type,width");
    CHECK(keys_of(to_json(accept(R"({"model": {"activation": "elu"}})"))["model"]) ==
          "activation,batch_norm,bias_init,depth,elu_alpha,gain,init,output,skip,type,width");
    CHECK(keys_of(to_json(accept(R"({"model": {"init": "normal", "init_scale": 1}})"))["model"]) ==
          "activation,batch_norm,bias_init,depth,gain,init,init_scale,output,skip,type,width");
    CHECK(keys_of(to_json(accept(R"({"model": {"batch_norm": true}})"))["model"]) ==
          "activation,batch_norm,bias_init,bn_eps,bn_momentum,depth,gain,init,output,skip,type,"
          "width");
    const json m = to_json(accept(R"({"model": {"weights": "w.json", "activation": "relu"}})"))
        ["model"];
    CHECK(m["weights"] == "/base/dir/w.json");
    CHECK(m["init"] == "he_normal");
  }
  SUBCASE("recurrent: recurrent keys and truncation, no skip or batch_norm") {
    const json j = to_json(accept(R"({"data": {"type": "adding"}, "model": {"type": "lstm"}})"));
    CHECK(keys_of(j["model"]) ==
          "bias_init,depth,forget_bias,gain,init,output,recurrent_gain,recurrent_init,type,width");
    CHECK(keys_of(j["data"]) == "length,test_size,train_size,type");
    CHECK(keys_of(j["train"]) ==
          "batch_size,checkpoint_every,clip_threshold,epochs,lr,optimizer,shuffle,truncation,weight_decay");
  }
}

// ---- apply_override --------------------------------------------------------------------------

TEST_CASE("config: apply_override sets values in the JSON document") {
  json doc = json::parse(R"({"seed": 3, "name": "a", "model": {"depth": 2, "width": [4, 8]}})");

  SUBCASE("a nested integer") {
    apply_override(doc, "model.depth=5");
    CHECK(doc["model"]["depth"].is_number_integer());
    CHECK(doc["model"]["depth"] == 5);
    CHECK(doc["model"]["width"] == json::array({4, 8}));  // siblings untouched
  }
  SUBCASE("values are JSON literals") {
    apply_override(doc, "train.lr=0.5");
    apply_override(doc, "train.shuffle=false");
    apply_override(doc, "model.batch_norm=true");
    apply_override(doc, "model.output=null");
    apply_override(doc, "model.width=[16,8]");
    apply_override(doc, R"(data={"type":"blobs","classes":4})");
    apply_override(doc, R"(name="42")");
    apply_override(doc, "seed=18446744073709551615");
    CHECK(doc["train"]["lr"].is_number_float());
    CHECK(doc["train"]["lr"] == 0.5);
    CHECK(doc["train"]["shuffle"] == false);
    CHECK(doc["model"]["batch_norm"] == true);
    CHECK(doc["model"]["output"].is_null());
    CHECK(doc["model"]["width"] == json::array({16, 8}));
    CHECK(doc["data"] == json::parse(R"({"type":"blobs","classes":4})"));
    CHECK(doc["name"] == "42");
    CHECK(doc["seed"] == std::numeric_limits<std::uint64_t>::max());
  }
  SUBCASE("a value that is not JSON is a string") {
    apply_override(doc, "model.activation=relu");
    apply_override(doc, "name=a=b");
    apply_override(doc, "log.dir=");
    apply_override(doc, "data.path=../data/x y.csv");
    apply_override(doc, "train.optimizer=[adam");
    CHECK(doc["model"]["activation"] == "relu");
    CHECK(doc["name"] == "a=b");
    CHECK(doc["log"]["dir"] == "");
    CHECK(doc["data"]["path"] == "../data/x y.csv");
    CHECK(doc["train"]["optimizer"] == "[adam");
  }
  SUBCASE("missing sections and keys are created") {
    json empty = json::object();
    apply_override(empty, "model.depth=5");
    apply_override(empty, "a.b.c=1");
    CHECK(empty == json::parse(R"({"model": {"depth": 5}, "a": {"b": {"c": 1}}})"));
    json with_null = json::parse(R"({"model": null})");
    apply_override(with_null, "model.depth=3");
    CHECK(with_null == json::parse(R"({"model": {"depth": 3}})"));
  }
  SUBCASE("a numeric segment sets an element of an existing array") {
    apply_override(doc, "model.width.1=7");
    apply_override(doc, "model.width.0=2");
    CHECK(doc["model"]["width"] == json::array({2, 7}));
    const Config c = accept(doc.dump());
    CHECK(c.model.width == std::vector<int>{2, 7});
  }
  SUBCASE("the result is checked by parse_config like a file") {
    apply_override(doc, "model.depth=3");
    apply_override(doc, "model.width=[16,8,4]");
    apply_override(doc, "train.optimizer=adam");
    apply_override(doc, "model.activation=relu");
    const Config c = parse_config(doc, kContext);
    CHECK(c.model.width == std::vector<int>{16, 8, 4});
    CHECK(c.train.optimizer == OptimizerKind::adam);
    CHECK(c.model.activation == Activation::relu);
  }
  SUBCASE("an override that introduces a typo is reported with the suggestion") {
    apply_override(doc, "model.activaton=relu");
    try {
      parse_config(doc, kContext);
      FAIL_CHECK("accepted");
    } catch (const ConfigError& e) {
      check_issue_list(e.issues(),
                       {{"model.activaton", "unknown key (did you mean \"activation\"?)"}});
    }
  }
}

TEST_CASE("config: apply_override refuses what it cannot set") {
  const json original =
      json::parse(R"({"seed": 3, "name": "a", "model": {"depth": 2, "width": [4, 8]}})");
  const std::vector<std::pair<std::string, Expected>> cases{
      {"model.depth", {"--set", "expected key.path=value, got \"model.depth\""}},
      {"", {"--set", "expected key.path=value, got \"\""}},
      {"=5", {"--set", "expected key.path=value, got \"=5\""}},
      {"model..depth=5", {"--set", "empty segment in key \"model..depth\""}},
      {".depth=5", {"--set", "empty segment in key \".depth\""}},
      {"model.=5", {"--set", "empty segment in key \"model.\""}},
      {"model.width.2=7",
       {"model.width", "--set model.width.2: \"2\" is not an index of this 2-element array"}},
      {"model.width.x=7",
       {"model.width", "--set model.width.x: \"x\" is not an index of this 2-element array"}},
      {"model.width.-1=7",
       {"model.width", "--set model.width.-1: \"-1\" is not an index of this 2-element array"}},
      {"model.width.1x=7",
       {"model.width", "--set model.width.1x: \"1x\" is not an index of this 2-element array"}},
      {"seed.x=1", {"seed", "--set seed.x: cannot set \"x\" inside an integer"}},
      {"name.first=1", {"name", "--set name.first: cannot set \"first\" inside a string"}},
      {"model.width.1.x=3",
       {"model.width[1]", "--set model.width.1.x: cannot set \"x\" inside an integer"}},
  };
  for (const auto& [assignment, expected] : cases) {
    const auto& assignment_ = assignment;  // clang 14 cannot capture a structured binding
    CAPTURE(assignment_);
    json doc = original;
    try {
      apply_override(doc, assignment);
      FAIL_CHECK("no ConfigError");
    } catch (const ConfigError& e) {
      check_issue_list(e.issues(), {expected});
    }
    CHECK(doc == original);  // nothing half-applied
  }
}

// ---- read_config_file ------------------------------------------------------------------------

TEST_CASE("config: read_config_file") {
  const TempDir dir;

  SUBCASE("a JSON object is returned as it is") {
    const auto file = dir.write("ok.json", R"({"model": {"depth": 3}, "_c": "x"})");
    CHECK(read_config_file(file) == json::parse(R"({"model": {"depth": 3}, "_c": "x"})"));
  }
  SUBCASE("a missing file") {
    const auto file = dir.path / "missing.json";
    try {
      read_config_file(file);
      FAIL_CHECK("no ConfigError");
    } catch (const ConfigError& e) {
      check_issue_list(e.issues(), {{"", "cannot read config file " + file.string() + ": no such file"}});
    }
  }
  SUBCASE("invalid JSON names the file and the position") {
    const std::vector<std::pair<std::string, std::string>> bad{
        {"trailing_comma.json", "{\n  \"seed\": 1,\n}\n"},
        {"comment.json", "{\n  // a comment\n  \"seed\": 1\n}\n"},
        {"empty.json", ""},
        {"garbage_after.json", "{} x"},
        {"single_quotes.json", "{'seed': 1}"},
    };
    for (const auto& [name, text] : bad) {
      const auto& name_ = name;  // clang 14 cannot capture a structured binding
      CAPTURE(name_);
      const auto file = dir.write(name, text);
      try {
        read_config_file(file);
        FAIL_CHECK("no ConfigError");
      } catch (const ConfigError& e) {
        REQUIRE(e.issues().size() == 1);
        const std::string message = e.issues()[0].message;
        CAPTURE(message);
        CHECK(e.issues()[0].path.empty());
        CHECK(message.rfind(file.string() + ": invalid JSON: ", 0) == 0);
        if (name == "trailing_comma.json") CHECK(message.find("line 3") != std::string::npos);
      }
    }
  }
  SUBCASE("the top level must be an object") {
    for (const std::string text : {"[1, 2]", "3", "\"config\"", "null"}) {
      const auto& text_ = text;  // clang 14 cannot capture a structured binding
      CAPTURE(text_);
      const auto file = dir.write("top.json", text);
      try {
        read_config_file(file);
        FAIL_CHECK("no ConfigError");
      } catch (const ConfigError& e) {
        check_issue_list(e.issues(),
                         {{"", file.string() + ": expected a JSON object at the top level"}});
      }
    }
  }
}

TEST_CASE("config regression: read_config_file on a directory throws ConfigError") {
  // Now std::ios_base::failure ("basic_filebuf::underflow error reading the file: Is a
  // directory") escapes from nlohmann's stream reader.
  const TempDir dir;
  CHECK_THROWS_AS(read_config_file(dir.path), ConfigError);
}

// ---- closest_match ---------------------------------------------------------------------------

TEST_CASE("config: closest_match suggests plausible typos only") {
  const std::vector<std::string> model_keys{"activation", "depth", "width", "init", "init_scale",
                                            "skip", "batch_norm", "bn_eps"};
  std::vector<std::string> inits{"auto"};
  inits.insert(inits.end(), kInitNames.begin(), kInitNames.end());

  SUBCASE("one edit and one transposition") {
    CHECK(closest_match("activaton", model_keys) == "activation");
    CHECK(closest_match("dept", model_keys) == "depth");
    CHECK(closest_match("widht", model_keys) == "width");  // transposition
    CHECK(closest_match("bn_esp", model_keys) == "bn_eps");
    CHECK(closest_match("optimzier", {"optimizer", "epochs"}) == "optimizer");
    CHECK(closest_match("rl", {"lr", "eps"}) == "lr");
  }
  SUBCASE("longer words allow more edits (a third of the length, at most 3)") {
    CHECK(closest_match("actvaton", model_keys) == "activation");     // 8 letters, 2 edits
    CHECK(closest_match("relluu", {"relu", "tanh"}) == "relu");       // 6 letters, 2 edits
    CHECK(closest_match("rluu", {"relu", "tanh"}) == std::nullopt);   // 4 letters, 2 edits
    CHECK(closest_match("atvtn", model_keys) == std::nullopt);
  }
  SUBCASE("case-insensitive, answering with the candidate's spelling") {
    CHECK(closest_match("RELU", {"tanh", "relu"}) == "relu");
    CHECK(closest_match("Activation", model_keys) == "activation");
    CHECK(closest_match("relu", {"tanh", "ReLU"}) == "ReLU");
  }
  SUBCASE("a prefix of at least three letters, either way round") {
    const auto xavier = closest_match("xavier", inits);
    REQUIRE(xavier.has_value());
    CHECK(xavier->rfind("xavier_", 0) == 0);
    CHECK(closest_match("batch", {"batch_size", "epochs"}) == "batch_size");
    CHECK(closest_match("bn_eps_value", model_keys) == "bn_eps");
    CHECK(closest_match("ba", {"batch_size", "epochs"}) == std::nullopt);
  }
  SUBCASE("nothing plausible") {
    CHECK(closest_match("zzzz", model_keys) == std::nullopt);
    CHECK(closest_match("learning_rate", {"lr", "momentum", "epochs"}) == std::nullopt);
    CHECK(closest_match("relu", {}) == std::nullopt);
    CHECK(closest_match("", {"lr"}) == std::nullopt);
  }
}

TEST_CASE("config: label is free text, written to the resolved config only when given") {
  const Config plain = accept("{}");
  CHECK(plain.label.empty());
  CHECK_FALSE(to_json(plain).contains("label"));
  const Config labelled = accept(R"({"label": "he, deeper"})");
  CHECK(labelled.label == "he, deeper");
  CHECK(to_json(labelled)["label"] == "he, deeper");
  CHECK(parse_config(to_json(labelled), kContext).label == "he, deeper");
  check_issue(R"({"label": 3})", "label", "expected a string, got 3 (an integer)");
  check_issue(R"({"lable": "x"})", "lable", "unknown key (did you mean \"label\"?)");
  json doc = json::object();
  apply_override(doc, "label=he");  // as a sweep's {"runs": [{"label": "he"}]} sets it
  CHECK(parse_config(doc, kContext).label == "he");
}
