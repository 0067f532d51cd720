// The experiment config: plain typed structs, a strict reader that knows the JSON path of every
// field and reports every problem at once, and the writer of the fully resolved config. Both are
// driven by the key table (config_table.h), which docs/config.md is generated from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace nnlab {

enum class DType { float32, float64 };
enum class ModelType { mlp, rnn, lstm, gru };
enum class Activation { sigmoid, tanh, relu, leaky_relu, elu, identity };
// identity (gain * I) is for recurrent matrices only: model.recurrent_init (the IRNN).
enum class InitScheme {
  xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
  orthogonal, standard, normal, uniform, identity
};
enum class Output { sigmoid, softmax, linear };  // "auto" is resolved when the data is known
enum class OptimizerKind { sgd, momentum, nesterov, adam };
enum class DataKind {
  xor_, circles, moons, spirals, blobs, sine, csv,     // samples, for MLPs (sine also for RNNs)
  adding, copy, temporal_order, text                   // sequences, for recurrent models
};
enum class Task { classification, regression };

// The reader's output. Defaults, ranges, conditions and docs of every field live in one place,
// the key table (config_table.cpp); default_config() is the config of "{}". Fields start zeroed.
struct DataConfig {
  DataKind type{};
  std::optional<std::uint64_t> seed;  // unset: derived from the run's seed
  int train_size{};
  int test_size{};
  double noise{};
  int classes{};
  int features{};
  int length{};                  // time steps T (copy: the delay)
  int pattern_length{};
  int symbols{};
  std::string path;              // absolute once resolved
  std::string target;            // "": the last column
  std::optional<Task> task;      // unset: auto
  double test_fraction{};
  bool standardize{};
};

struct ModelConfig {
  ModelType type{};
  int depth{};
  std::vector<int> width;             // one per hidden layer once resolved
  Activation activation{};
  double negative_slope{};
  double elu_alpha{};
  std::optional<InitScheme> init;     // set once resolved ("auto" is resolved by the reader)
  double gain{};
  std::optional<double> init_scale;
  double bias_init{};
  int skip{};
  bool batch_norm{};
  double bn_momentum{};
  double bn_eps{};
  std::optional<Output> output;       // unset: auto, resolved when the data is known
  std::string weights;                // absolute once resolved; "": none
  InitScheme recurrent_init{};
  double recurrent_gain{};
  std::optional<double> recurrent_init_scale;
  std::optional<double> spectral_radius;
  double forget_bias{};
};

inline bool is_recurrent(ModelType t) { return t != ModelType::mlp; }
inline bool is_sequence_task(DataKind d) {
  return d == DataKind::adding || d == DataKind::copy || d == DataKind::temporal_order ||
         d == DataKind::text;
}

struct TrainConfig {
  int epochs{};
  int batch_size{};                    // 0 = the whole training set
  OptimizerKind optimizer{};
  std::optional<double> lr;            // set once resolved
  double momentum{};
  double beta1{};
  double beta2{};
  double eps{};
  double weight_decay{};
  double clip_threshold{};             // 0 = no clipping
  bool shuffle{};
  int truncation{};                    // 0 = full BPTT
  long checkpoint_every{};
};

struct LogConfig {
  int every{};
  std::string dir;
  bool save_data{};
  bool quantiles{};
};

struct Config {
  std::string name;
  std::string label;           // free text; "" = none
  std::uint64_t seed{};
  DType dtype{};
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LogConfig log;
};

// Where relative paths in a config are resolved from, and the default run name.
struct ConfigContext {
  std::filesystem::path base_dir;
  std::string default_name = "run";
};

// Reads a config strictly: unknown keys, wrong types, out-of-range values and incompatible
// choices are all collected and thrown together as one ConfigError.
Config parse_config(const nlohmann::json& doc, const ConfigContext& context);

// The config of "{}": every default (name "run").
Config default_config();

// The resolved config: every key with its value, defaults filled in. Re-reading it with
// parse_config gives the same Config.
nlohmann::json to_json(const Config& config);

// The task and number of classes a built-in generator produces, known without generating it.
// For csv, both are known only after loading; returns false.
bool generator_task(const DataConfig& config, Task& task, int& num_classes);

// Applies one "--set key.path=value" to the raw JSON document. The value is read as a JSON
// literal, falling back to a string. Numeric segments index arrays. Throws ConfigError.
void apply_override(nlohmann::json& doc, std::string_view assignment);

// Reads a config file (a JSON object). Throws ConfigError for unreadable or malformed files.
nlohmann::json read_config_file(const std::filesystem::path& path);

// Names used in configs and files, e.g. name_of(Activation::relu) == "relu".
std::string_view name_of(Activation a);
std::string_view name_of(InitScheme s);
std::string_view name_of(Output o);
std::string_view name_of(OptimizerKind o);
std::string_view name_of(DataKind d);
std::string_view name_of(Task t);
std::string_view name_of(DType d);
std::string_view name_of(ModelType m);

// A JSON value for an error message: its text (cut at 40 characters) and its type, e.g.
// `"abc" (a string)`.
std::string describe_json(const nlohmann::json& v);
std::string describe_json(const nlohmann::ordered_json& v);

// The closest candidate to `word` by edit distance, if it is plausibly a typo of it.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace nnlab
