// Assembling an experiment from its config and running it into a run directory.
#include "experiment.h"

#include <chrono>
#include <fstream>
#include <optional>

#include "checkpoint.h"
#include "errors.h"
#include "csv.h"
#include "files.h"
#include "init.h"
#include "mlp.h"
#include "rnn.h"
#include "rng.h"
#include "run_log.h"
#include "weights.h"

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
  switch (d.type) {
    case DataKind::adding: s.task = SequenceTask::adding; break;
    case DataKind::copy: s.task = SequenceTask::copy; break;
    case DataKind::temporal_order: s.task = SequenceTask::temporal_order; break;
    case DataKind::text: s.task = SequenceTask::text; break;
    default: s.task = SequenceTask::sine; break;  // the config allows only sine besides these
  }
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

nlohmann::json read_json_or_null(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
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
  const nlohmann::json summary = read_json_or_null(run_dir / "summary.json");
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
  Checkpointer(std::filesystem::path path, std::uint64_t hash, RunLogger<T>& logger,
               double elapsed_before)
      : path_(std::move(path)), hash_(hash), logger_(logger), elapsed_before_(elapsed_before) {}
  void on_checkpoint(const TrainState<T>& state, Model<T>& model) override {
    Checkpoint<T> c;
    c.config_hash = hash_;
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
  std::uint64_t hash_;
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
  std::optional<Checkpoint<T>> checkpoint;
  if (resume && std::filesystem::exists(checkpoint_path)) {
    checkpoint = load_checkpoint<T>(checkpoint_path);
    if (checkpoint->config_hash != hash)
      throw ConfigError("config.json", "differs from the config the checkpoint in " +
                                           dir.string() + " was written with; cannot resume");
    load_tensors(*e.model, checkpoint->tensors);
  }

  nlohmann::json summary = meta;
  const nlohmann::json previous =
      checkpoint ? read_json_or_null(dir / "summary.json") : nlohmann::json();
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
    write_file_atomic(dir / "config.json", to_json(e.config).dump(2) + "\n");
    if (e.config.log.save_data) {
      write_split(dir / "data_train.csv", e.data, e.data.x_train, e.data.y_train);
      write_split(dir / "data_test.csv", e.data, e.data.x_test, e.data.y_test);
    }
  }
  if (!summary.contains("started")) summary["started"] = iso_time(std::chrono::system_clock::now());
  summary["status"] = "running";
  summary["nnlab_version"] = NNLAB_VERSION;
  summary["nnlab_commit"] = NNLAB_COMMIT;
  write_file_atomic(dir / "summary.json", summary.dump(2) + "\n");

  TrainResult result;
  double seconds = 0;
  {
    const bool recurrent = is_recurrent(e.config.model.type);
    const bool lstm = e.config.model.type == ModelType::lstm;  // cell_grad_norm column
    auto logger = checkpoint
                      ? std::make_unique<RunLogger<T>>(dir, recurrent, checkpoint->files, lstm)
                      : std::make_unique<RunLogger<T>>(dir, recurrent, lstm);
    Checkpointer<T> checkpointer(checkpoint_path, hash, *logger,
                                 checkpoint ? checkpoint->elapsed_seconds : 0.0);
    std::vector<TrainObserver<T>*> all{logger.get(), &checkpointer};
    all.insert(all.end(), observers.begin(), observers.end());
    TrainOptions train_options = options;
    train_options.shuffle_seed = derive_seed(e.config.seed, "shuffle");
    result = train(*e.model, e.head, e.train, e.test, e.config.train, e.config.log,
                   train_options, all, checkpoint ? &checkpoint->state : nullptr);
    seconds = checkpointer.elapsed();
  }
  write_file_atomic(dir / "weights.json", weights_to_json(*e.model, e.config.dtype));

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
  if (result.status == RunStatus::diverged) {
    nlohmann::json d;
    d["step"] = result.diverged_step;
    d["loss_nonfinite"] = result.loss_nonfinite;
    if (result.first_nonfinite_layer > 0) {
      d["first_nonfinite_layer"] = result.first_nonfinite_layer;
      d["first_nonfinite_param"] = result.first_nonfinite_param;
    } else {
      d["first_nonfinite_layer"] = nullptr;
    }
    summary["diverged"] = d;
  }
  write_file_atomic(dir / "summary.json", summary.dump(2) + "\n");
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
