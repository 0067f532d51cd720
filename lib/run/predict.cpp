// Loading a run and applying its model to data. See predict.h.
#include "run/predict.h"

#include <algorithm>
#include <cmath>

#include "base/csv.h"
#include "data/data.h"
#include "base/errors.h"
#include "run/experiment.h"
#include "run/trainer.h"
#include "run/run_dir.h"

namespace nnlab {

namespace fs = std::filesystem;

namespace {

Config finished_run_config(const fs::path& run_dir) {
  if (!fs::is_directory(run_dir))
    throw ConfigError("RUN_DIR", run_dir.string() + " is not a directory");
  for (const char* file : {kConfigFile, kWeightsFile})
    if (!fs::is_regular_file(run_dir / file))
      throw ConfigError("RUN_DIR", run_dir.string() + " is not a finished run directory (no " +
                                       file + ")");
  // A diverged run's weights.json holds the weights that made its loss or gradients non-finite.
  if (recorded_status(run_dir) == "diverged")
    throw ConfigError("RUN_DIR", run_dir.string() + " diverged (summary.json); its weights made "
                                 "the loss or the gradients non-finite, so there is nothing to "
                                 "predict with (lower train.lr, or set train.clip_threshold)");
  ConfigContext context;
  context.base_dir = fs::absolute(run_dir);
  Config config = parse_config(read_config_file(run_dir / kConfigFile), context);
  if (is_recurrent(config.model.type))
    throw ConfigError("RUN_DIR", run_dir.string() + " is a recurrent run (model.type " +
                                     std::string(name_of(config.model.type)) +
                                     "); nnlab predict applies MLP runs only");
  config.model.weights = fs::absolute(run_dir / kWeightsFile).string();
  return config;
}

// The model's outputs for the samples `x` (as the model sees them): probabilities or values.
template <typename T>
void apply_model(Experiment<T>& e, const Mat<double>& x, PredictSplit& split) {
  constexpr int kBatch = 1024;
  const Head& head = e.head;
  const auto n = x.cols();
  const int outputs = head.kind == Output::sigmoid ? 2 : head.outputs();
  split.outputs.resize(outputs, n);
  if (head.kind != Output::linear) split.predicted.resize(static_cast<std::size_t>(n));
  e.model->collect_stats(false);
  for (Eigen::Index start = 0; start < n; start += kBatch) {
    const auto size = std::min<Eigen::Index>(kBatch, n - start);
    Batch<T> batch;
    batch.x.push_back(x.middleCols(start, size).cast<T>());
    batch.y.push_back(Mat<T>::Zero(head.kind == Output::linear ? head.outputs() : 1, size));
    e.model->reset_state(static_cast<int>(size));
    e.model->forward(batch, {0, 1}, /*training=*/false);
    const Mat<double> z = e.model->output(0).template cast<double>();
    for (Eigen::Index j = 0; j < size; ++j) {
      auto out = split.outputs.col(start + j);
      switch (head.kind) {
        case Output::linear: out = z.col(j); break;
        case Output::sigmoid:
          out(1) = 1 / (1 + std::exp(-z(0, j)));
          out(0) = 1 - out(1);
          split.predicted[static_cast<std::size_t>(start + j)] = z(0, j) > 0 ? 1 : 0;
          break;
        case Output::softmax: {
          const double m = z.col(j).maxCoeff();
          out = (z.col(j).array() - m).exp().matrix();
          out /= out.sum();
          Eigen::Index k = 0;
          z.col(j).maxCoeff(&k);
          split.predicted[static_cast<std::size_t>(start + j)] = static_cast<int>(k);
          break;
        }
      }
    }
  }
}

template <typename T>
Predictions predict_as(const Config& config, const PredictRequest& request) {
  Experiment<T> e = build_experiment<T>(config);
  Predictions p;
  p.task = e.data.task;
  p.feature_names = e.data.feature_names;
  p.class_names = e.data.class_names;
  // The data in its own units, and the map into the model's (data.standardize on CSV data).
  const bool scaled = config.data.type == DataKind::csv && config.data.standardize;
  Dataset raw;
  FeatureScaling scaling;
  if (scaled) {
    DataConfig unscaled = config.data;
    unscaled.standardize = false;
    raw = make_dataset(unscaled, data_seed(config));
    scaling = feature_scaling(raw.x_train);
  }
  const Dataset& units = scaled ? raw : e.data;
  const auto to_model = [&](Mat<double> x) {
    if (scaled) scaling.apply(x);
    return x;
  };

  switch (request.source) {
    case PredictSource::train:
    case PredictSource::both: {
      std::vector<std::pair<const Samples<T>*, const Mat<double>*>> sets{
          {&e.train, &units.x_train}};
      if (request.source == PredictSource::both) sets.emplace_back(&e.test, &units.x_test);
      for (const auto& [samples, x] : sets) {
        PredictSplit split;
        split.name = samples == &e.train ? "train" : "test";
        split.x = *x;
        split.y = samples == &e.train ? e.data.y_train : e.data.y_test;
        apply_model(e, samples == &e.train ? e.data.x_train : e.data.x_test, split);
        // The loss and accuracy as the trainer evaluates them (same code, same batches).
        evaluate(*e.model, e.head, *samples, split.loss, split.accuracy);
        p.splits.push_back(std::move(split));
      }
      break;
    }
    case PredictSource::file: {
      // A target column may be present: data_train.csv's "target", or the training file's.
      std::vector<std::string> ignored{"target"};
      if (!e.data.target_name.empty()) ignored.push_back(e.data.target_name);
      PredictSplit split;
      split.name = request.data.string();
      split.x = read_features(request.data.string(), p.feature_names, ignored);
      apply_model(e, to_model(split.x), split);
      p.splits.push_back(std::move(split));
      break;
    }
    case PredictSource::grid: {
      if (p.feature_names.size() != 2)
        throw ConfigError("--grid", "needs a task with 2 input features; this run has " +
                                        std::to_string(p.feature_names.size()));
      if (request.grid < 2 || request.grid > 2000)
        throw ConfigError("--grid", "expected 2 to 2000 points per axis, got " +
                                        std::to_string(request.grid));
      const int n = request.grid;
      const Mat<double>& x = units.x_train;
      PredictSplit split;
      split.name = "grid";
      split.x.resize(2, static_cast<Eigen::Index>(n) * n);
      double lo[2], hi[2];
      for (int f = 0; f < 2; ++f) {
        const double a = x.row(f).minCoeff(), b = x.row(f).maxCoeff();
        const double margin = 0.05 * std::max(b - a, 1e-9);
        lo[f] = a - margin;
        hi[f] = b + margin;
      }
      // x1 varies fastest: row r of the grid holds x2 = lo + r * step.
      for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
          const Eigen::Index j = static_cast<Eigen::Index>(r) * n + c;
          split.x(0, j) = lo[0] + (hi[0] - lo[0]) * c / (n - 1);
          split.x(1, j) = lo[1] + (hi[1] - lo[1]) * r / (n - 1);
        }
      apply_model(e, to_model(split.x), split);
      p.splits.push_back(std::move(split));
      break;
    }
  }
  return p;
}

}  // namespace

Predictions predict_run(const fs::path& run_dir, const PredictRequest& request) {
  const Config config = finished_run_config(run_dir);
  return config.dtype == DType::float64 ? predict_as<double>(config, request)
                                        : predict_as<float>(config, request);
}

std::string predictions_csv(const Predictions& p) {
  const bool classification = p.task == Task::classification;
  const bool several = p.splits.size() > 1;
  const bool targets = !p.splits.empty() && p.splits.front().y.size() > 0;
  std::string out;
  for (const auto& name : p.feature_names) out += csv_quote(name) + ",";
  if (several) out += "split,";
  const Eigen::Index values = p.splits.empty() ? 0 : p.splits.front().outputs.rows();
  if (targets) {
    const Eigen::Index rows = p.splits.front().y.rows();
    for (Eigen::Index k = 0; k < rows; ++k)
      out += rows == 1 ? std::string("target,") : "target" + std::to_string(k + 1) + ",";
  }
  if (classification) {
    for (Eigen::Index k = 0; k < values; ++k) out += "p_" + std::to_string(k) + ",";
    out += "predicted,predicted_label";
  } else {
    for (Eigen::Index k = 0; k < values; ++k) {
      if (k > 0) out += ",";
      out += "prediction";
      if (values > 1) out += std::to_string(k + 1);
    }
  }
  out += "\n";
  for (const PredictSplit& s : p.splits)
    for (Eigen::Index j = 0; j < s.x.cols(); ++j) {
      for (Eigen::Index f = 0; f < s.x.rows(); ++f) {
        append_number(out, s.x(f, j));
        out += ",";
      }
      if (several) {
        out += s.name;
        out += ",";
      }
      for (Eigen::Index k = 0; k < s.y.rows(); ++k) {
        append_number(out, s.y(k, j));
        out += ",";
      }
      for (Eigen::Index k = 0; k < s.outputs.rows(); ++k) {
        if (k > 0) out += ",";
        append_number(out, s.outputs(k, j));
      }
      if (classification) {
        const int c = s.predicted[static_cast<std::size_t>(j)];
        out += ",";
        out += std::to_string(c);
        out += ",";
        out += csv_quote(c < static_cast<int>(p.class_names.size())
                             ? p.class_names[static_cast<std::size_t>(c)]
                             : std::to_string(c));
      }
      out += "\n";
    }
  return out;
}

}  // namespace nnlab
