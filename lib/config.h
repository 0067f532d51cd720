// The experiment config: plain typed structs with their defaults and ranges next to the fields,
// a strict reader that knows the JSON path of every field and reports every problem at once, and
// the writer of the fully resolved config. README.md documents the same keys for users.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnlab {

enum class DType { float32, float64 };
enum class ModelType { mlp, rnn, lstm, gru };
enum class Activation { sigmoid, tanh, relu, leaky_relu, elu, identity };
enum class InitScheme {
  xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
  orthogonal, standard, normal, uniform
};
enum class Output { sigmoid, softmax, linear };  // "auto" is resolved when the data is known
enum class OptimizerKind { sgd, momentum, nesterov, adam };
enum class DataKind {
  xor_, circles, moons, spirals, blobs, sine, csv,     // samples, for MLPs (sine also for RNNs)
  adding, copy, temporal_order, text                   // sequences, for recurrent models
};
// "auto" and every InitScheme, plus identity (recurrent matrices only).
enum class RecurrentScheme {
  xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
  orthogonal, standard, normal, uniform, identity
};
enum class Task { classification, regression };

struct DataConfig {
  DataKind type = DataKind::moons;
  std::optional<std::uint64_t> seed;  // data's own seed; default derived from the run's seed
  // Built-in generators.
  int train_size = 512;   // [1, 10^7] samples
  int test_size = 256;    // [0, 10^7] samples
  double noise = 0.1;     // >= 0, generator-specific spread (see README)
  int classes = 3;        // blobs only: [2, 1000]
  int features = 2;       // blobs only: [1, 10^5]
  // Sequence tasks (recurrent models).
  int length = 50;        // time steps T (copy: the delay), [1, 10^5]
  int pattern_length = 5; // copy only: symbols to remember, [1, 1000]
  int symbols = 8;        // copy only: alphabet size, [2, 1000]
  // csv.
  std::string path;       // absolute once resolved
  std::string target;     // target column; default the last column
  std::optional<Task> task;  // csv: default auto (classification when targets are labels)
  double test_fraction = 0.2;  // [0, 1)
  bool standardize = true;     // z-score features with the training split's mean and std
};

struct ModelConfig {
  ModelType type = ModelType::mlp;
  int depth = 2;                     // hidden layers, [0, 1000]
  std::vector<int> width{32};        // one per hidden layer once resolved; each [1, 10^5]
  Activation activation = Activation::tanh;
  double negative_slope = 0.01;      // leaky_relu only, [0, 1)
  double elu_alpha = 1.0;            // elu only, > 0
  std::optional<InitScheme> init;    // default: xavier_normal for sigmoid/tanh/identity, he_normal else
  double gain = 1.0;                 // > 0, multiplies the scheme's scale
  std::optional<double> init_scale;  // normal (std) / uniform (half-width): required there, > 0
  double bias_init = 0.0;            // every bias starts at this constant
  int skip = 0;                      // residual span s: a(l) = act(z(l)) + a(l-s); 0 = none
  bool batch_norm = false;           // normalise z(l) of every hidden layer over the batch
  double bn_momentum = 0.1;          // batch_norm only: running-statistics update rate, (0, 1]
  double bn_eps = 1e-5;              // batch_norm only: > 0
  std::optional<Output> output;      // default auto: from the data's task and classes
  std::string weights;               // weights.json to start from; absolute once resolved
  // Recurrent models (rnn, lstm, gru).
  RecurrentScheme recurrent_init = RecurrentScheme::orthogonal;  // W_hh, per gate block
  double recurrent_gain = 1.0;                // > 0
  std::optional<double> recurrent_init_scale; // normal/uniform: required there, > 0
  std::optional<double> spectral_radius;      // rescale each W_hh block to this radius, > 0
  double forget_bias = 1.0;                   // lstm only: added to the forget gate's b_ih
};

inline bool is_recurrent(ModelType t) { return t != ModelType::mlp; }
inline bool is_sequence_task(DataKind d) {
  return d == DataKind::adding || d == DataKind::copy || d == DataKind::temporal_order ||
         d == DataKind::text;
}

struct TrainConfig {
  int epochs = 20;                     // [0, 10^7]
  int batch_size = 32;                 // [0, 10^7]; 0 = the whole training set
  OptimizerKind optimizer = OptimizerKind::sgd;
  std::optional<double> lr;            // > 0; default 0.1 (sgd family) or 0.001 (adam)
  double momentum = 0.9;               // momentum/nesterov only, [0, 1)
  double beta1 = 0.9;                  // adam only, [0, 1)
  double beta2 = 0.999;                // adam only, [0, 1)
  double eps = 1e-8;                   // adam only, > 0
  double weight_decay = 0.0;           // >= 0, L2 added to the gradient at the update
  double clip_threshold = 0.0;         // tau >= 0; 0 = no clipping
  bool shuffle = true;
  int truncation = 0;                  // recurrent only: BPTT chunk length k; 0 = full BPTT
  long checkpoint_every = 0;           // [0, 10^12] updates between checkpoints; 0 = only at
                                       // the end and when interrupted or asked (SIGUSR1)
};

struct LogConfig {
  int every = 1;               // [1, 10^9] steps between grad_norms.csv/activations.csv rows
  std::string dir = "runs";    // parent of default run directories
  bool save_data = false;      // write data_train.csv / data_test.csv (the splits, in order)
  bool quantiles = false;      // write grad_quantiles.csv at logged steps (docs/diagnostics.md)
};

struct Config {
  std::string name;            // default: the config file's stem
  std::uint64_t seed = 0;
  DType dtype = DType::float32;
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

// The resolved config: every key with its value, defaults filled in. Re-reading it with
// parse_config gives the same Config.
nlohmann::json to_json(const Config& config);

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
std::string_view name_of(RecurrentScheme r);

// A JSON value for an error message: its text (cut at 40 characters) and its type, e.g.
// `"abc" (a string)`.
std::string describe_json(const nlohmann::json& v);

// The closest candidate to `word` by edit distance, if it is plausibly a typo of it.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace nnlab
