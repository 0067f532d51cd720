// The key table: one entry per config key and per sweep-file key (see config_table.h). The
// entries are in reading order; a key's default, range, condition and doc live here only.
#include "config/config_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "config/config_names.h"

namespace nnlab {

using nlohmann::json;

namespace {

// JSON <-> typed field values. A choice is its name; an unset optional is null ("auto" for
// choices that have it, which the writer spells out).
json to_value(int v) { return v; }
json to_value(long v) { return v; }
json to_value(double v) { return v; }
json to_value(bool v) { return v; }
json to_value(std::uint64_t v) { return v; }
json to_value(const std::string& v) { return v; }
json to_value(const std::vector<int>& v) { return v; }
template <typename E>
  requires std::is_enum_v<E>
json to_value(E e) {
  return std::string(enum_names(e).name(e));
}
template <typename T>
json to_value(const std::optional<T>& v) {
  return v ? to_value(*v) : json();
}

template <typename T>
void from_value(const json& v, T& out) {
  out = v.get<T>();
}
template <typename E>
  requires std::is_enum_v<E>
void from_value(const json& v, E& out) {
  if (auto e = enum_names(out).find(v.get<std::string>())) out = *e;
}
template <typename T>
void from_value(const json& v, std::optional<T>& out) {
  if (v.is_null() || (v.is_string() && v.get<std::string>() == "auto")) {
    out.reset();
    return;
  }
  T value{};
  from_value(v, value);
  out = value;
}

template <typename T>
FieldAccess at(T Config::*member) {
  return {[member](const Config& c) { return to_value(c.*member); },
          [member](Config& c, const json& v) { from_value(v, c.*member); }};
}
template <typename S, typename T>
FieldAccess at(S Config::*section, T S::*member) {
  return {[section, member](const Config& c) { return to_value(c.*section.*member); },
          [section, member](Config& c, const json& v) { from_value(v, c.*section.*member); }};
}

template <typename E, std::size_t N>
std::vector<std::string> names(const EnumNames<E, N>& table, bool with_auto = false) {
  std::vector<std::string> all = table.all();
  if (with_auto) all.insert(all.begin(), "auto");
  return all;
}

std::vector<std::string> without(std::vector<std::string> all, const std::string& name) {
  all.erase(std::remove(all.begin(), all.end(), name), all.end());
  return all;
}

const std::vector<std::string> kRecurrent{"rnn", "lstm", "gru"};
const std::vector<std::string> kSequenceTasks{"adding", "copy", "temporal_order", "text"};
const std::vector<std::pair<std::string, std::string>> kInitAliases{
    {"glorot_uniform", "xavier_uniform"}, {"glorot_normal", "xavier_normal"},
    {"kaiming_uniform", "he_uniform"},    {"kaiming_normal", "he_normal"}};
constexpr double kMaxSize = 10'000'000;

std::vector<KeySpec> make_config_keys() {
  std::vector<KeySpec> k;
  // Top level.
  k.push_back({.path = "$schema", .type = KeyType::string,
               .doc = "the JSON Schema an editor checks this file with; nnlab ignores it"});
  k.push_back({.path = "name", .type = KeyType::string, .non_empty = true, .path_component = true,
               .default_text = "the config file's name without .json",
               .range_text = "one path component: no '/', not . or .., no control characters, "
                             "at most 200 bytes",
               .doc = "names the default run directory (a run started with --set and no --out "
                      "is named after its overrides too: README, Commands)",
               .dynamic_default = [](const Config&, const ConfigContext& c) -> json {
                 return c.default_name;
               },
               .field = at(&Config::name)});
  k.push_back({.path = "label", .type = KeyType::string, .fallback = "", .omit_empty = true,
               .doc = "a free-text label of the run, recorded in config.json and summary.json",
               .field = at(&Config::label)});
  k.push_back({.path = "seed", .type = KeyType::seed, .fallback = 0,
               .doc = "seeds everything random: data, initialisation, shuffling (each from its "
                      "own stream)",
               .field = at(&Config::seed)});
  k.push_back({.path = "dtype", .type = KeyType::choice, .fallback = "float32",
               .choices = names(kDTypes),
               .doc = "the scalar type of the model and of every computation in training",
               .field = at(&Config::dtype)});

  // data
  k.push_back({.path = "data.type", .type = KeyType::choice, .fallback = "moons",
               .choices = names(kDataKinds),
               .doc = "a built-in generator (mlp: xor, circles, moons, spirals, blobs, sine), a "
                      "CSV file, or a sequence task (recurrent: adding, copy, temporal_order, "
                      "sine, text)",
               .field = at(&Config::data, &DataConfig::type)});
  k.push_back({.path = "data.seed", .type = KeyType::seed,
               .default_text = "derived from seed",
               .doc = "the data's own seed: fix it to vary seed (initialisation, shuffling) over "
                      "the same data",
               .field = at(&Config::data, &DataConfig::seed)});
  k.push_back({.path = "data.path", .type = KeyType::string, .fallback = "",
               .when = {{{"data.type", {"csv", "text"}}}}, .required = true, .is_path = true,
               .non_empty = true, .doc = "the CSV or text file",
               .field = at(&Config::data, &DataConfig::path)});
  k.push_back({.path = "data.test_fraction", .type = KeyType::number, .lo = 0, .hi = 1,
               .hi_open = true, .when = {{{"data.type", {"csv", "text"}}}},
               .default_text = "0.2 (text: 0.1)",
               .doc = "csv: share of rows held out as the test split; text: the last share of "
                      "the file",
               .dynamic_default = [](const Config& c, const ConfigContext&) -> json {
                 return c.data.type == DataKind::text ? 0.1 : 0.2;
               },
               .field = at(&Config::data, &DataConfig::test_fraction)});
  k.push_back({.path = "data.target", .type = KeyType::string, .fallback = "",
               .when = {{{"data.type", {"csv"}}}},
               .default_text = "the last column (\"\")",
               .doc = "the target column",
               .field = at(&Config::data, &DataConfig::target)});
  k.push_back({.path = "data.standardize", .type = KeyType::boolean, .fallback = true,
               .when = {{{"data.type", {"csv"}}}},
               .doc = "z-score every feature with the training split's mean and (population) "
                      "std; a constant feature is only centred",
               .field = at(&Config::data, &DataConfig::standardize)});
  k.push_back({.path = "data.task", .type = KeyType::choice, .fallback = "auto",
               .choices = names(kTasks, true), .when = {{{"data.type", {"csv"}}}},
               .doc = "auto: classification when every target is a label or an integer with at "
                      "most 100 distinct values, else regression",
               .field = at(&Config::data, &DataConfig::task)});
  k.push_back({.path = "data.train_size", .type = KeyType::integer, .lo = 1, .hi = kMaxSize,
               .when = {{{"data.type", {"csv"}, true}}},
               .default_text = "512 (text: 0)", .range_text = "[1, 10^7] (text: [0, 10^7])",
               .doc = "training samples or sequences; text: at most this many sequences, 0 = all",
               .dynamic_default = [](const Config& c, const ConfigContext&) -> json {
                 return c.data.type == DataKind::text ? 0 : 512;
               },
               .dynamic_lo = [](const Config& c) { return c.data.type == DataKind::text ? 0.0 : 1.0; },
               .field = at(&Config::data, &DataConfig::train_size)});
  k.push_back({.path = "data.test_size", .type = KeyType::integer, .lo = 0, .hi = kMaxSize,
               .when = {{{"data.type", {"csv"}, true}}}, .default_text = "256 (text: 0)",
               .doc = "test samples or sequences (0 = no test split; text: 0 = all)",
               .dynamic_default = [](const Config& c, const ConfigContext&) -> json {
                 return c.data.type == DataKind::text ? 0 : 256;
               },
               .field = at(&Config::data, &DataConfig::test_size)});
  k.push_back({.path = "data.noise", .type = KeyType::number, .fallback = 0.1, .lo = 0,
               .hi = 1e6,
               .when = {{{"data.type", {"xor", "circles", "moons", "spirals", "blobs", "sine"}}}},
               .when_text = "data.type is a built-in generator of samples or \"sine\"",
               .doc = "standard deviation of the Gaussian noise of a generator",
               .field = at(&Config::data, &DataConfig::noise)});
  k.push_back({.path = "data.classes", .type = KeyType::integer, .fallback = 3, .lo = 2,
               .hi = 1000, .when = {{{"data.type", {"blobs"}}}},
               .doc = "number of classes (blob centres)",
               .field = at(&Config::data, &DataConfig::classes)});
  k.push_back({.path = "data.features", .type = KeyType::integer, .fallback = 2, .lo = 1,
               .hi = 100'000, .when = {{{"data.type", {"blobs"}}}}, .doc = "input dimensions",
               .field = at(&Config::data, &DataConfig::features)});
  k.push_back({.path = "data.length", .type = KeyType::integer, .fallback = 50, .lo = 1,
               .hi = 100'000,
               .when = {{{"data.type", kSequenceTasks}},
                        {{"data.type", {"sine"}}, {"model.type", kRecurrent}}},
               .when_text = "data.type is a sequence task",
               .doc = "time steps T of a sequence (copy: the delay); also sine with a "
                      "recurrent model",
               .refusal = [](const Config& c) -> std::string {
                 if (c.data.type != DataKind::sine) return "";
                 return "applies only to sequence tasks (data.type \"sine\" with an mlp is "
                        "y = sin x, one sample at a time)";
               },
               .field = at(&Config::data, &DataConfig::length)});
  k.push_back({.path = "data.pattern_length", .type = KeyType::integer, .fallback = 5, .lo = 1,
               .hi = 1000, .when = {{{"data.type", {"copy"}}}}, .doc = "symbols to remember",
               .field = at(&Config::data, &DataConfig::pattern_length)});
  k.push_back({.path = "data.symbols", .type = KeyType::integer, .fallback = 8, .lo = 2,
               .hi = 1000, .when = {{{"data.type", {"copy"}}}}, .doc = "alphabet size",
               .field = at(&Config::data, &DataConfig::symbols)});

  // model
  k.push_back({.path = "model.type", .type = KeyType::choice, .fallback = "mlp",
               .choices = names(kModelTypes), .doc = "the network family",
               .field = at(&Config::model, &ModelConfig::type)});
  k.push_back({.path = "model.depth", .type = KeyType::integer, .fallback = 2, .lo = 0,
               .hi = 1000, .range_text = "[0, 1000] (recurrent: at least 1)",
               .doc = "hidden layers (0 = logistic/linear regression); recurrent: stacked layers",
               .field = at(&Config::model, &ModelConfig::depth)});
  k.push_back({.path = "model.width", .type = KeyType::widths, .fallback = 32, .lo = 1,
               .hi = 100'000,
               .doc = "hidden width: one number for every layer, or a list of exactly depth widths",
               .field = at(&Config::model, &ModelConfig::width)});
  k.push_back({.path = "model.activation", .type = KeyType::choice, .fallback = "tanh",
               .choices = names(kActivations), .when = {{{"model.type", {"mlp", "rnn"}}}},
               .note = "its gates have fixed activations", .read_anyway = true,
               .doc = "the activation of every hidden layer",
               .field = at(&Config::model, &ModelConfig::activation)});
  k.push_back({.path = "model.negative_slope", .type = KeyType::number, .fallback = 0.01,
               .lo = 0, .hi = 1, .hi_open = true,
               .when = {{{"model.activation", {"leaky_relu"}}}},
               .doc = "leaky_relu's slope for z < 0",
               .field = at(&Config::model, &ModelConfig::negative_slope)});
  k.push_back({.path = "model.elu_alpha", .type = KeyType::number, .fallback = 1.0, .lo = 0,
               .hi = 1e6, .lo_open = true, .when = {{{"model.activation", {"elu"}}}},
               .doc = "elu's alpha: a(e^z - 1) for z < 0",
               .field = at(&Config::model, &ModelConfig::elu_alpha)});
  k.push_back({.path = "model.init", .type = KeyType::choice, .fallback = "auto",
               .choices = without(names(kInits, true), "identity"), .aliases = kInitAliases,
               .doc = "how every W is drawn; auto: he_normal for relu, leaky_relu and elu, else "
                      "xavier_normal",
               .resolve = [](Config& c) {
                 if (c.model.init) return;
                 const Activation a = c.model.activation;
                 const bool rectifier = a == Activation::relu || a == Activation::leaky_relu ||
                                        a == Activation::elu;
                 c.model.init = rectifier ? InitScheme::he_normal : InitScheme::xavier_normal;
               },
               .field = at(&Config::model, &ModelConfig::init)});
  k.push_back({.path = "model.gain", .type = KeyType::number, .fallback = 1.0, .lo = 0,
               .hi = 1e6, .lo_open = true,
               .doc = "multiplies the scheme's standard deviation (or half-width)",
               .field = at(&Config::model, &ModelConfig::gain)});
  k.push_back({.path = "model.init_scale", .type = KeyType::number, .lo = 0, .hi = 1e6,
               .lo_open = true, .when = {{{"model.init", {"normal", "uniform"}}}},
               .required_note = "the std of normal, the half-width of uniform", .required = true,
               .doc = "the std of normal, the half-width of uniform",
               .field = at(&Config::model, &ModelConfig::init_scale)});
  k.push_back({.path = "model.bias_init", .type = KeyType::number, .fallback = 0.0, .lo = -1e6,
               .hi = 1e6, .doc = "every bias starts at this constant",
               .field = at(&Config::model, &ModelConfig::bias_init)});
  k.push_back({.path = "model.skip", .type = KeyType::integer, .fallback = 0, .lo = 0,
               .hi = 1000, .when = {{{"model.type", {"mlp"}}}},
               .range_text = "[0, model.depth]",
               .doc = "residual span s: a(l) = act(z(l)) + a(l-s); 0 = none",
               .field = at(&Config::model, &ModelConfig::skip)});
  k.push_back({.path = "model.batch_norm", .type = KeyType::boolean, .fallback = false,
               .when = {{{"model.type", {"mlp"}}}},
               .doc = "batch-normalise z(l) of every hidden layer before the activation",
               .field = at(&Config::model, &ModelConfig::batch_norm)});
  k.push_back({.path = "model.recurrent_init", .type = KeyType::choice, .fallback = "orthogonal",
               .choices = names(kInits), .aliases = kInitAliases,
               .when = {{{"model.type", kRecurrent}}},
               .doc = "each gate's (H, H) block of W_hh (identity: the IRNN); init sets W_ih",
               .field = at(&Config::model, &ModelConfig::recurrent_init)});
  k.push_back({.path = "model.recurrent_gain", .type = KeyType::number, .fallback = 1.0,
               .lo = 0, .hi = 1e6, .lo_open = true, .when = {{{"model.type", kRecurrent}}},
               .doc = "the gain of recurrent_init",
               .field = at(&Config::model, &ModelConfig::recurrent_gain)});
  k.push_back({.path = "model.recurrent_init_scale", .type = KeyType::number, .lo = 0,
               .hi = 1e6, .lo_open = true,
               .when = {{{"model.type", kRecurrent},
                         {"model.recurrent_init", {"normal", "uniform"}}}},
               .required = true, .doc = "as init_scale, for W_hh",
               .field = at(&Config::model, &ModelConfig::recurrent_init_scale)});
  k.push_back({.path = "model.spectral_radius", .type = KeyType::number, .lo = 0, .hi = 1e6,
               .lo_open = true, .when = {{{"model.type", kRecurrent}}},
               .default_text = "none",
               .doc = "rescale each W_hh block to this spectral radius after drawing it",
               .field = at(&Config::model, &ModelConfig::spectral_radius)});
  k.push_back({.path = "model.forget_bias", .type = KeyType::number, .fallback = 1.0,
               .lo = -1e6, .hi = 1e6, .when = {{{"model.type", {"lstm"}}}},
               .doc = "added to the forget-gate rows of b_ih",
               .field = at(&Config::model, &ModelConfig::forget_bias)});
  k.push_back({.path = "model.bn_momentum", .type = KeyType::number, .fallback = 0.1, .lo = 0,
               .hi = 1, .lo_open = true, .when = {{{"model.batch_norm", {"true"}}}},
               .doc = "running-statistics update rate (PyTorch's convention)",
               .field = at(&Config::model, &ModelConfig::bn_momentum)});
  k.push_back({.path = "model.bn_eps", .type = KeyType::number, .fallback = 1e-5, .lo = 0,
               .hi = 1, .lo_open = true, .when = {{{"model.batch_norm", {"true"}}}},
               .doc = "added to the batch variance",
               .field = at(&Config::model, &ModelConfig::bn_eps)});
  k.push_back({.path = "model.output", .type = KeyType::choice, .fallback = "auto",
               .choices = names(kOutputs, true),
               .doc = "the output layer and its loss; auto: from the data's task and classes",
               .field = at(&Config::model, &ModelConfig::output)});
  k.push_back({.path = "model.weights", .type = KeyType::string, .fallback = "", .is_path = true,
               .omit_empty = true, .default_text = "none",
               .doc = "start from this weights file (a run's weights.json) instead of a random init",
               .field = at(&Config::model, &ModelConfig::weights)});

  // train
  k.push_back({.path = "train.epochs", .type = KeyType::integer, .fallback = 20, .lo = 0,
               .hi = kMaxSize,
               .doc = "passes over the training split (0 = evaluate and save the initial model)",
               .field = at(&Config::train, &TrainConfig::epochs)});
  k.push_back({.path = "train.batch_size", .type = KeyType::integer, .fallback = 32, .lo = 0,
               .hi = kMaxSize, .doc = "samples per step; 0 = the whole training set",
               .field = at(&Config::train, &TrainConfig::batch_size)});
  k.push_back({.path = "train.optimizer", .type = KeyType::choice, .fallback = "sgd",
               .choices = names(kOptimizers), .doc = "the update rule (as torch.optim)",
               .field = at(&Config::train, &TrainConfig::optimizer)});
  k.push_back({.path = "train.lr", .type = KeyType::number, .lo = 0, .hi = 1e6, .lo_open = true,
               .default_text = "0.1 (sgd, momentum, nesterov), 0.001 (adam)",
               .doc = "learning rate",
               .dynamic_default = [](const Config& c, const ConfigContext&) -> json {
                 return c.train.optimizer == OptimizerKind::adam ? 0.001 : 0.1;
               },
               .field = at(&Config::train, &TrainConfig::lr)});
  k.push_back({.path = "train.momentum", .type = KeyType::number, .fallback = 0.9, .lo = 0,
               .hi = 1, .hi_open = true,
               .when = {{{"train.optimizer", {"momentum", "nesterov"}}}},
               .doc = "mu: v = mu v + g; p = p - lr v (nesterov: p = p - lr (g + mu v))",
               .field = at(&Config::train, &TrainConfig::momentum)});
  k.push_back({.path = "train.beta1", .type = KeyType::number, .fallback = 0.9, .lo = 0, .hi = 1,
               .hi_open = true, .when = {{{"train.optimizer", {"adam"}}}},
               .doc = "Adam's first-moment decay",
               .field = at(&Config::train, &TrainConfig::beta1)});
  k.push_back({.path = "train.beta2", .type = KeyType::number, .fallback = 0.999, .lo = 0,
               .hi = 1, .hi_open = true, .when = {{{"train.optimizer", {"adam"}}}},
               .doc = "Adam's second-moment decay",
               .field = at(&Config::train, &TrainConfig::beta2)});
  k.push_back({.path = "train.eps", .type = KeyType::number, .fallback = 1e-8, .lo = 0, .hi = 1,
               .lo_open = true, .when = {{{"train.optimizer", {"adam"}}}},
               .doc = "Adam's epsilon", .field = at(&Config::train, &TrainConfig::eps)});
  k.push_back({.path = "train.weight_decay", .type = KeyType::number, .fallback = 0.0, .lo = 0,
               .hi = 1e6, .doc = "L2 penalty: lambda p is added to the gradient at the update",
               .field = at(&Config::train, &TrainConfig::weight_decay)});
  k.push_back({.path = "train.clip_threshold", .type = KeyType::number, .fallback = 0.0,
               .lo = 0, .hi = 1e30,
               .doc = "tau: scale the gradients so their global L2 norm is at most tau; 0 = off",
               .field = at(&Config::train, &TrainConfig::clip_threshold)});
  k.push_back({.path = "train.shuffle", .type = KeyType::boolean, .fallback = true,
               .doc = "reshuffle the training split every epoch (seeded)",
               .field = at(&Config::train, &TrainConfig::shuffle)});
  k.push_back({.path = "train.truncation", .type = KeyType::integer, .fallback = 0, .lo = 0,
               .hi = 100'000, .when = {{{"model.type", kRecurrent}}},
               .doc = "truncated-BPTT chunk length k; 0 = full BPTT",
               .field = at(&Config::train, &TrainConfig::truncation)});
  k.push_back({.path = "train.checkpoint_every", .type = KeyType::integer, .fallback = 0,
               .lo = 0, .hi = 1e12,
               .doc = "steps between checkpoints (0 = only at the end, on SIGINT/SIGTERM and "
                      "on SIGUSR1)",
               .field = at(&Config::train, &TrainConfig::checkpoint_every)});

  // log
  k.push_back({.path = "log.every", .type = KeyType::integer, .fallback = 1, .lo = 1, .hi = 1e9,
               .doc = "steps between grad_norms.csv/activations.csv rows (logged at steps 1, "
                      "1 + every, ..., and always at the step a run diverges)",
               .field = at(&Config::log, &LogConfig::every)});
  k.push_back({.path = "log.dir", .type = KeyType::string, .fallback = "runs", .non_empty = true,
               .doc = "where default run directories are created (relative to the current "
                      "directory)",
               .field = at(&Config::log, &LogConfig::dir)});
  k.push_back({.path = "log.save_data", .type = KeyType::boolean, .fallback = false,
               .range_text = "mlp only",
               .doc = "also write the splits as data_train.csv and data_test.csv (mlp only)",
               .field = at(&Config::log, &LogConfig::save_data)});
  k.push_back({.path = "log.quantiles", .type = KeyType::boolean, .fallback = false,
               .doc = "also write grad_quantiles.csv: exact quantiles of every parameter "
                      "tensor's gradient entries, their absolute values and the weights at the "
                      "logged steps (docs/diagnostics.md)",
               .field = at(&Config::log, &LogConfig::quantiles)});
  return k;
}

std::vector<KeySpec> make_sweep_keys() {
  std::vector<KeySpec> k;
  k.push_back({.path = "$schema", .type = KeyType::string,
               .doc = "the JSON Schema an editor checks this file with; nnlab ignores it"});
  k.push_back({.path = "name", .type = KeyType::string,
               .default_text = "the file's name without .json",
               .doc = "names the default sweep directory (non-empty, no '/')"});
  k.push_back({.path = "base", .type = KeyType::any, .required = true, .is_path = true,
               .doc = "the config every run starts from: a path relative to the sweep file, or "
                      "an inline config object"});
  k.push_back({.path = "set", .type = KeyType::any, .default_text = "none",
               .doc = "overrides for every run, not part of run names: {\"key.path\": value} or "
                      "[\"key.path=value\"]"});
  k.push_back({.path = "grid", .type = KeyType::any, .default_text = "none",
               .doc = "{\"key.path\": [value, ...]}: every combination of the lists"});
  k.push_back({.path = "runs", .type = KeyType::any, .default_text = "none",
               .doc = "override sets for keys that change together (e.g. {\"label\": \"he\", "
                      "\"model.init\": \"he_normal\"}); each with every grid point"});
  k.push_back({.path = "seeds", .type = KeyType::any, .default_text = "none",
               .doc = "N: seeds 0 ... N-1; a list: those seeds; each run gets --set seed=S"});
  k.push_back({.path = "out", .type = KeyType::string, .default_text = "runs/NAME",
               .doc = "the sweep directory, relative to the current directory (--out replaces "
                      "it)"});
  return k;
}

std::string default_number_text(double x) {
  const std::string sign = x < 0 ? "-" : "";
  if (std::isinf(x)) return sign + "inf";
  const double p = std::log10(std::fabs(x));
  if (x != 0 && std::fabs(x) >= 1e5 && std::floor(p) == p)
    return sign + "10^" + std::to_string(static_cast<int>(p));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

std::string or_list(const std::vector<std::string>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += i + 1 == values.size() ? " or " : ", ";
    text += values[i] == "true" || values[i] == "false" ? values[i] : "\"" + values[i] + "\"";
  }
  return text;
}

}  // namespace

std::string_view name_of(KeyType type) {
  switch (type) {
    case KeyType::integer: return "integer";
    case KeyType::number: return "number";
    case KeyType::boolean: return "boolean";
    case KeyType::string: return "string";
    case KeyType::choice: return "choice";
    case KeyType::seed: return "seed";
    case KeyType::widths: return "widths";
    case KeyType::any: return "any";
  }
  return "?";
}

const std::vector<KeySpec>& config_keys() {
  static const std::vector<KeySpec> keys = make_config_keys();
  return keys;
}

const std::vector<KeySpec>& sweep_keys() {
  static const std::vector<KeySpec> keys = make_sweep_keys();
  return keys;
}

const std::vector<std::string>& config_sections() {
  static const std::vector<std::string> sections = [] {
    std::vector<std::string> out;
    for (const auto& k : config_keys()) {
      const std::string s(section_of(k.path));
      if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
  }();
  return sections;
}

const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view path) {
  for (const auto& k : keys)
    if (k.path == path) return &k;
  return nullptr;
}

std::vector<std::string> key_paths(const std::vector<KeySpec>& keys, bool with_sections) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    const std::string s(section_of(k.path));
    if (with_sections && !s.empty() && std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(s);
    out.push_back(k.path);
  }
  return out;
}

std::string_view leaf(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::string_view section_of(std::string_view path) {
  const auto dot = path.find('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

bool applies(const KeySpec& key, const Config& config) {
  if (key.when.empty()) return true;
  for (const auto& group : key.when) {
    bool all = true;
    for (const auto& clause : group) {
      const KeySpec* other = find_key(config_keys(), clause.key);
      const json v = other->field.get(config);
      const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      const bool in = std::find(clause.values.begin(), clause.values.end(), text) !=
                      clause.values.end();
      if (in == clause.negate) all = false;
    }
    if (all) return true;
  }
  return false;
}

std::string condition_text(const KeySpec& key) {
  if (!key.when_text.empty()) return key.when_text;
  std::string text;
  for (const auto& group : key.when) {
    if (!text.empty()) text += "; or ";
    std::string part;
    for (const auto& clause : group) {
      if (!part.empty()) part += " and ";
      part += clause.key + " is " + (clause.negate ? "not " : "") + or_list(clause.values);
    }
    text += part;
  }
  return text;
}

std::string default_text(const KeySpec& key) {
  if (!key.default_text.empty()) return key.default_text;
  if (key.required) return "required";
  if (key.fallback.is_null()) return "none";
  return key.fallback.dump();
}

std::string range_text(const KeySpec& key) {
  if (!key.range_text.empty()) return key.range_text;
  switch (key.type) {
    case KeyType::integer:
    case KeyType::widths:
      return (key.type == KeyType::widths ? "each " : std::string()) + "[" +
             default_number_text(key.lo) + ", " + default_number_text(key.hi) + "]";
    case KeyType::number:
      return std::string(key.lo_open ? "(" : "[") + default_number_text(key.lo) + ", " +
             default_number_text(key.hi) + (key.hi_open ? ")" : "]");
    case KeyType::seed: return "[0, 2^64-1]";
    case KeyType::choice: {
      std::string text;
      for (const auto& c : key.choices) text += (text.empty() ? "" : ", ") + c;
      return text;
    }
    case KeyType::string: return key.non_empty ? "non-empty" : "";
    default: return "";
  }
}

std::string type_text(const KeySpec& key) {
  switch (key.type) {
    case KeyType::choice: return "string (a choice)";
    case KeyType::seed: return "integer";
    case KeyType::widths: return "integer or list of integers";
    case KeyType::any: return "see doc";
    default: return std::string(name_of(key.type)) + (key.is_path ? " (a path)" : "");
  }
}

bool is_path_key(std::string_view path) {
  const KeySpec* k = find_key(config_keys(), path);
  return k != nullptr && k->is_path;
}

}  // namespace nnlab
