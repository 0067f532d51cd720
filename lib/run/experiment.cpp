// Assembling an experiment from its config and running it into a run directory.
#include "run/experiment.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include "run/checkpoint.h"
#include "run/diagnosis.h"
#include "base/errors.h"
#include "base/csv.h"
#include "base/files.h"
#include "nn/init.h"
#include "base/json_io.h"
#include "nn/mlp.h"
#include "nn/rnn.h"
#include "base/rng.h"
#include "run/run_log.h"
#include "nn/weights.h"
#include "base/version.h"
#include "run/run_dir.h"

namespace nnlab {

namespace {
template <typename T>
Samples<T> to_samples(const Mat<double>& x, const Mat<double>& y) {
  Samples<T> s;
  s.x.push_back(x.cast<T>());
  s.y.push_back(y.cast<T>());
  return s;
}

// One row per sample: the features as the model sees them, then the target (class index) or
// targets, in the order of the split.
void write_split(const std::filesystem::path& path, const Dataset& d, const Mat<double>& x,
                 const Mat<double>& y) {
  std::string header;
  for (const auto& name : d.feature_names) header += name + ",";
  if (y.rows() == 1) {
    header += "target";
  } else {
    for (Eigen::Index k = 0; k < y.rows(); ++k)
      header += (k ? ",target" : "target") + std::to_string(k + 1);
  }
  CsvWriter out(path, header);
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    for (Eigen::Index i = 0; i < x.rows(); ++i) out.field(x(i, j));
    for (Eigen::Index k = 0; k < y.rows(); ++k) out.field(y(k, j));
    out.end_row();
  }
}

template <typename T>
Samples<T> to_samples(const SequenceSplit& split) {
  Samples<T> s;
  for (const auto& x : split.x) s.x.push_back(x.cast<T>());
  for (const auto& y : split.y) s.y.push_back(y.cast<T>());
  return s;
}

SequenceDataConfig sequence_config(const DataConfig& d) {
  SequenceDataConfig s;
  s.task = d.type;  // the config allows a recurrent model only sine and the sequence tasks
  s.length = d.length;
  s.train_size = d.train_size;
  s.test_size = d.test_size;
  s.noise = d.noise;
  s.pattern_length = d.pattern_length;
  s.symbols = d.symbols;
  s.path = d.path;
  s.test_fraction = d.test_fraction;
  return s;
}

// Null when the file is missing, unreadable or refused by parse_json.
nlohmann::json read_json_or_null(const std::filesystem::path& path) {
  try {
    return parse_json(read_json_text(path));
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The accuracy of always answering the most frequent class of a classification split (the
// baseline of the diagnosis's trivial_loss rule): y is (1, N) class indices.
template <typename T>
double majority_rate(const Samples<T>& set) {
  std::map<T, long> counts;
  long top = 0;
  for (Eigen::Index j = 0; j < set.y.front().cols(); ++j)
    top = std::max(top, ++counts[set.y.front()(0, j)]);
  return static_cast<double>(top) / static_cast<double>(set.size());
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

std::string_view name_of(RunStatus status) {
  switch (status) {
    case RunStatus::completed: return "completed";
    case RunStatus::diverged: return "diverged";
    case RunStatus::interrupted: return "interrupted";
  }
  return "?";
}

std::string recorded_status(const std::filesystem::path& run_dir) {
  const nlohmann::json summary = read_json_or_null(run_dir / kSummaryFile);
  if (!summary.is_object() || !summary.contains("status") || !summary["status"].is_string())
    return "";
  return summary["status"].get<std::string>();
}

std::uint64_t data_seed(const Config& config) {
  return config.data.seed.value_or(derive_seed(config.seed, "data"));
}

template <typename T>
Experiment<T> build_experiment(const Config& config) {
  Experiment<T> e;
  e.config = config;
  const bool recurrent = is_recurrent(config.model.type);
  int features = 0;
  if (recurrent) {
    e.sequences = make_sequence_dataset(sequence_config(config.data), data_seed(config));
    const SequenceDataset& d = e.sequences;
    e.head = make_head(config.model.output, d.task, d.num_classes, d.targets);
    e.train = to_samples<T>(d.train);
    e.test = to_samples<T>(d.test);
    features = d.features;
    // Only the splits in T are used from here on: free the double copies (for long sequences
    // they are the largest allocation of a run, bench/RESULTS.md).
    e.sequences.train = {};
    e.sequences.test = {};
  } else {
    e.data = make_dataset(config.data, data_seed(config));
    e.head = make_head(config.model.output, e.data.task, e.data.num_classes, e.data.targets());
    if (config.data.type == DataKind::csv && !config.data.task) e.config.data.task = e.data.task;
    e.train = to_samples<T>(e.data.x_train, e.data.y_train);
    e.test = to_samples<T>(e.data.x_test, e.data.y_test);
    features = e.data.features();
  }
  e.config.model.output = e.head.kind;

  if (config.model.batch_norm) {
    // Batch statistics need two samples; the last batch of an epoch holds N mod B of them.
    const int n = e.train.size();
    const int batch = config.train.batch_size == 0 ? n : std::min(config.train.batch_size, n);
    if (batch < 2)
      throw ConfigError("train.batch_size", "batch norm needs at least 2 samples per batch (the "
                                            "batch has " + std::to_string(batch) + ")");
    if (n % batch == 1)
      throw ConfigError("train.batch_size",
                        "batch norm needs at least 2 samples per batch; with " +
                            std::to_string(n) + " training samples the last batch of every "
                            "epoch would hold 1 (choose a batch size that leaves 0 or >= 2)");
  }

  if (recurrent)
    e.model = std::make_unique<Recurrent<T>>(recurrent_spec(config.model, features, e.head.outputs()));
  else
    e.model = std::make_unique<Mlp<T>>(mlp_spec(config.model, features, e.head.outputs()));
  initialize_model(*e.model, config.model, config.seed);
  return e;
}

template <typename T>
void initialize_model(Model<T>& model, const ModelConfig& config, std::uint64_t seed) {
  if (!config.weights.empty()) {
    load_weights<T>(model, config.weights);
    return;
  }
  Rng rng(derive_seed(seed, "init"));
  if (auto* net = dynamic_cast<Recurrent<T>*>(&model)) {
    net->initialize(recurrent_init_spec(config), rng);
  } else {
    const InitSpec init{*config.init, config.gain, config.init_scale.value_or(0)};
    dynamic_cast<Mlp<T>&>(model).initialize(init, config.bias_init, rng);
  }
}

template <typename T>
Samples<T> training_samples(const Config& config) {
  if (is_recurrent(config.model.type))
    return to_samples<T>(make_sequence_dataset(sequence_config(config.data), data_seed(config)).train);
  const Dataset d = make_dataset(config.data, data_seed(config));
  return to_samples<T>(d.x_train, d.y_train);
}

namespace {
// Writes checkpoint.bin whenever the trainer says one is due, with the CSV sizes of that moment.
template <typename T>
class Checkpointer final : public TrainObserver<T> {
 public:
  Checkpointer(std::filesystem::path path, std::uint64_t hash, std::uint64_t fingerprint,
               RunLogger<T>& logger, double elapsed_before)
      : path_(std::move(path)), hash_(hash), fingerprint_(fingerprint), logger_(logger),
        elapsed_before_(elapsed_before) {}
  void on_checkpoint(const TrainState<T>& state, Model<T>& model) override {
    Checkpoint<T> c;
    c.config_hash = hash_;
    c.data_fingerprint = fingerprint_;
    c.state = state;
    c.tensors = model_tensors(model);
    c.files = logger_.file_sizes();
    c.elapsed_seconds = elapsed();
    save_checkpoint(path_, c);
  }
  double elapsed() const {
    return elapsed_before_ +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  std::filesystem::path path_;
  std::uint64_t hash_, fingerprint_;
  RunLogger<T>& logger_;
  double elapsed_before_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace

template <typename T>
TrainResult run_experiment(Experiment<T>& e, const std::filesystem::path& dir,
                           const TrainOptions& options,
                           const std::vector<TrainObserver<T>*>& observers,
                           const nlohmann::json& meta, bool resume) {
  const std::filesystem::path checkpoint_path = dir / kCheckpointFile;
  const std::uint64_t hash = config_hash(e.config);
  const std::uint64_t fingerprint = data_fingerprint(e.train, e.test);
  std::optional<Checkpoint<T>> checkpoint;
  if (resume && std::filesystem::symlink_status(checkpoint_path).type() !=
                    std::filesystem::file_type::not_found) {
    checkpoint = load_checkpoint<T>(checkpoint_path);
    if (checkpoint->config_hash != hash)
      throw ConfigError(kConfigFile, "differs from the config the checkpoint in " +
                                           dir.string() + " was written with; cannot resume");
    if (checkpoint->data_fingerprint != 0 && checkpoint->data_fingerprint != fingerprint)
      throw ConfigError(e.config.data.type == DataKind::csv || e.config.data.type == DataKind::text
                            ? "data.path"
                            : "data",
                        "the data differ from those the checkpoint in " + dir.string() +
                            " was trained on (was the data file changed?); cannot resume");
    check_checkpoint(*checkpoint, *e.model, e.train, e.config, checkpoint_path);
    load_tensors(*e.model, checkpoint->tensors);
  }

  nlohmann::json summary = meta;
  const nlohmann::json previous =
      checkpoint ? read_json_or_null(dir / kSummaryFile) : nlohmann::json();
  if (checkpoint && previous.is_object()) {
    // The first session's record stays; each resumption is appended to it.
    summary = previous;
    nlohmann::json session = meta;
    session["at_step"] = checkpoint->state.steps;
    session["time"] = iso_time(std::chrono::system_clock::now());
    summary["resumed"].push_back(session);
    for (auto key : {"steps", "epochs", "final", "diverged", "ended", "wall_time_seconds"})
      summary.erase(key);
  } else {
    write_file_atomic(dir / kConfigFile, to_json(e.config).dump(2) + "\n");
    if (e.config.log.save_data) {
      write_split(dir / kDataTrainFile, e.data, e.data.x_train, e.data.y_train);
      write_split(dir / kDataTestFile, e.data, e.data.x_test, e.data.y_test);
    }
  }
  if (!summary.contains("started")) summary["started"] = iso_time(std::chrono::system_clock::now());
  summary["status"] = "running";
  if (!e.config.label.empty()) summary["label"] = e.config.label;
  summary["nnlab_version"] = kVersion;
  summary["nnlab_commit"] = kCommit;
  write_file_atomic(dir / kSummaryFile, summary.dump(2) + "\n");

  TrainResult result;
  double seconds = 0;
  {
    const bool recurrent = is_recurrent(e.config.model.type);
    const typename RunLogger<T>::Files files{
        .recurrent = recurrent,
        .cell_norms = e.config.model.type == ModelType::lstm,  // cell_grad_norm column
        .quantiles = e.config.log.quantiles};
    auto logger = checkpoint ? std::make_unique<RunLogger<T>>(dir, files, checkpoint->files)
                             : std::make_unique<RunLogger<T>>(dir, files);
    Checkpointer<T> checkpointer(checkpoint_path, hash, fingerprint, *logger,
                                 checkpoint ? checkpoint->elapsed_seconds : 0.0);
    std::vector<TrainObserver<T>*> all{logger.get(), &checkpointer};
    all.insert(all.end(), observers.begin(), observers.end());
    TrainOptions train_options = options;
    train_options.shuffle_seed = derive_seed(e.config.seed, "shuffle");
    result = train(*e.model, e.head, e.train, e.test, e.config.train, e.config.log,
                   train_options, all, checkpoint ? &checkpoint->state : nullptr);
    seconds = checkpointer.elapsed();
  }
  write_file_atomic(dir / kWeightsFile, weights_to_json(*e.model, e.config.dtype));

  summary["status"] = name_of(result.status);
  summary["steps"] = result.steps;
  summary["epochs"] = result.epochs;
  summary["ended"] = iso_time(std::chrono::system_clock::now());
  summary["wall_time_seconds"] = seconds;
  const EvalInfo& ev = result.last_eval;
  nlohmann::json final_metrics;
  final_metrics["epoch"] = ev.epoch;
  final_metrics["train_loss"] = ev.train_loss;
  if (ev.classification) final_metrics["train_accuracy"] = ev.train_accuracy;
  if (ev.has_test) {
    final_metrics["test_loss"] = ev.test_loss;
    if (ev.classification) final_metrics["test_accuracy"] = ev.test_accuracy;
  }
  summary["final"] = final_metrics;
  if (!e.sequences.baseline_name.empty())
    summary["baseline"] = {{"name", e.sequences.baseline_name}, {"value", e.sequences.baseline}};
  else if (e.head.kind != Output::linear && e.train.size() > 0 && e.train.y.front().rows() == 1)
    summary["baseline"] = {{"name", "accuracy_most_frequent"},
                           {"value", majority_rate(e.test.size() > 0 ? e.test : e.train)}};
  if (result.status == RunStatus::diverged) {
    nlohmann::json d;
    d["step"] = result.diverged_step;
    d["loss_nonfinite"] = result.loss_nonfinite;
    d["in_final_evaluation"] = result.in_final_evaluation;
    if (result.first_nonfinite_layer > 0) {
      d["first_nonfinite_layer"] = result.first_nonfinite_layer;
      d["first_nonfinite_param"] = result.first_nonfinite_param;
    } else {
      d["first_nonfinite_layer"] = nullptr;
    }
    summary["diverged"] = d;
  }
  write_file_atomic(dir / kSummaryFile, summary.dump(2) + "\n");
  // The diagnosis reads the files just written (docs/diagnostics.md), as `nnlab diagnose` does.
  try {
    summary["diagnosis"] = to_json(diagnose_run(dir));
  } catch (const IoError& error) {
    summary["diagnosis"] = {{"error", error.what()}};
  }
  write_file_atomic(dir / kSummaryFile, summary.dump(2) + "\n");
  return result;
}

template Experiment<float> build_experiment(const Config&);
template Experiment<double> build_experiment(const Config&);
template void initialize_model(Model<float>&, const ModelConfig&, std::uint64_t);
template void initialize_model(Model<double>&, const ModelConfig&, std::uint64_t);
template Samples<float> training_samples(const Config&);
template Samples<double> training_samples(const Config&);
template TrainResult run_experiment(Experiment<float>&, const std::filesystem::path&,
                                    const TrainOptions&, const std::vector<TrainObserver<float>*>&,
                                    const nlohmann::json&, bool);
template TrainResult run_experiment(Experiment<double>&, const std::filesystem::path&,
                                    const TrainOptions&,
                                    const std::vector<TrainObserver<double>*>&,
                                    const nlohmann::json&, bool);

}  // namespace nnlab
