// Running the probe: one model and batch buffer per thread, seeds spread over threads, every
// seed's numbers written into its own row, so the results do not depend on the thread count.
#include "run/probe.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "base/errors.h"
#include "run/experiment.h"
#include "nn/mean_field.h"
#include "nn/mlp.h"
#include "nn/rnn.h"
#include "base/rng.h"

namespace nnlab {

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxy / sxx;
}

namespace {

// Quantities whose logarithm is summarised too (positive by nature).
bool has_log(const std::string& quantity) {
  return quantity == "delta_sq" || quantity == "q" || quantity == "act_std" ||
         quantity == "h_grad" || quantity == "c_grad" || quantity.rfind("grad_", 0) == 0;
}

void mean_sd_se(const std::vector<double>& v, double& mean, double& sd, double& se) {
  const double n = static_cast<double>(v.size());
  mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  se = sd / std::sqrt(n);
}

// The per-seed work of one thread: its own model and batch buffers, reused for every seed.
template <typename T>
struct Worker {
  std::unique_ptr<Model<T>> model;
  Samples<T> own;  // this seed's training split when the data depends on the seed
  Batch<T> batch;
  std::vector<int> order;
};

template <typename T>
class Prober {
 public:
  Prober(const Config& config, const ProbeOptions& options) : options_(options) {
    check_options();
    Config c = config;
    if (options.batch) c.train.batch_size = *options.batch;
    base_ = std::make_unique<Experiment<T>>(build_experiment<T>(c));
    result_.config = base_->config;
    const Config& rc = result_.config;
    result_.recurrent = is_recurrent(rc.model.type);
    result_.single_precision = std::is_same_v<T, float>;
    const int n = base_->train.size();
    result_.batch = rc.train.batch_size == 0 ? n : std::min(rc.train.batch_size, n);
    data_per_seed_ = !rc.data.seed.has_value() && options.seeds > 1;
    // The first truncated-BPTT chunk with a target: training's first update.
    ranges_ = chunks(base_->train.steps(), rc.train.truncation);
    for (std::size_t i = 0; i < ranges_.size(); ++i)
      if (chunk_has_target(base_->train.y, ranges_[i])) {
        target_chunk_ = static_cast<int>(i);
        break;
      }
    if (target_chunk_ < 0) throw ConfigError("data", "the training sequences have no target step");
    for (const auto& p : base_->model->params()) param_quantity_.push_back("grad_" + p.kind);
    {  // the keys: what one seed records (recurrent models' per-step norms exist after a backward)
      Worker<T> warm;
      warm.model = std::move(base_->model);
      run_seed(warm, config.seed, nullptr);
      base_->model = std::move(warm.model);
    }
    check_fit();
  }

  ProbeResult run() {
    const int seeds = options_.seeds;
    result_.values.assign(static_cast<std::size_t>(seeds), std::vector<double>(result_.keys.size()));
    for (int i = 0; i < seeds; ++i) result_.seeds.push_back(result_.config.seed + static_cast<std::uint64_t>(i));
    const int threads = std::min(options_.threads, seeds);
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
    auto work = [&](int w) {
      try {
        Worker<T> worker;
        if (w == 0) {
          worker.model = std::move(base_->model);
        } else {
          worker.model = std::move(build_experiment<T>(result_.config).model);
        }
        for (int i = w; i < seeds; i += threads) {
          run_seed(worker, result_.seeds[static_cast<std::size_t>(i)],
                   &result_.values[static_cast<std::size_t>(i)]);
          if (options_.on_seed) options_.on_seed(i);
        }
        if (w == 0) base_->model = std::move(worker.model);
      } catch (...) {
        errors[static_cast<std::size_t>(w)] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < threads; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    aggregate();
    theory();
    fit();
    return std::move(result_);
  }

 private:
  void check_options() {
    std::vector<ConfigIssue> issues;
    if (options_.seeds < 1 || options_.seeds > 1000000)
      issues.push_back({"--seeds", "must be in [1, 1000000], got " + std::to_string(options_.seeds)});
    if (options_.batch && (*options_.batch < 1 || *options_.batch > 10000000))
      issues.push_back({"--batch", "must be in [1, 10000000], got " + std::to_string(*options_.batch)});
    if (options_.threads < 1 || options_.threads > 1024)
      issues.push_back({"-j", "must be in [1, 1024], got " + std::to_string(options_.threads)});
    if (!issues.empty()) throw ConfigError(std::move(issues));
  }

  void check_fit() {
    std::vector<ConfigIssue> issues;
    // The fit's axis: layers 1..L, or the time steps of the probed chunk.
    int lo = 1, hi = base_->model->num_layers();
    if (result_.recurrent) {
      lo = ranges_[static_cast<std::size_t>(target_chunk_)].begin + 1;
      hi = ranges_[static_cast<std::size_t>(target_chunk_)].end;
    }
    if (options_.fit) {
      const auto [a, b] = *options_.fit;
      if (a < lo || b > hi || a >= b)
        issues.push_back({"--fit", "must be L1:L2 with " + std::to_string(lo) + " <= L1 < L2 <= " +
                                       std::to_string(hi) + " (" +
                                       (result_.recurrent ? "time steps" : "layers") + "), got " +
                                       std::to_string(a) + ":" + std::to_string(b)});
      else
        fit_range_ = {a, b};
    } else {
      // The middle of the axis, away from both ends (an MLP's output layer never included).
      const int first = lo, last = result_.recurrent ? hi : hi - 1, span = last - first + 1;
      if (span >= 2) fit_range_ = {first + span / 4, last - span / 4};
    }
    if (result_.config.model.batch_norm && result_.batch < 2)
      issues.push_back({"--batch", "batch norm needs at least 2 samples per batch"});
    if (!issues.empty()) throw ConfigError(std::move(issues));
  }

  // One seed's init, batch, forward and backward; its numbers into `values` (nullptr: the keys).
  void run_seed(Worker<T>& w, std::uint64_t seed, std::vector<double>* values) {
    const Config& c = result_.config;
    const Samples<T>* data = &base_->train;
    if (data_per_seed_) {  // the data stream of this seed, as training with it would draw
      Config cs = c;
      cs.seed = seed;
      w.own = training_samples<T>(cs);
      data = &w.own;
    }
    initialize_model(*w.model, c.model, seed);
    const int n = data->size(), B = result_.batch;
    w.order.resize(static_cast<std::size_t>(n));
    std::iota(w.order.begin(), w.order.end(), 0);
    if (c.train.shuffle) {
      Rng shuffle(derive_seed(seed, "shuffle"));
      shuffle.shuffle(w.order);
    }
    if (w.batch.x.size() != data->x.size()) {
      w.batch.x.resize(data->x.size());
      w.batch.y.resize(data->y.size());
    }
    for (std::size_t t = 0; t < data->x.size(); ++t) {
      w.batch.x[t].resize(data->x[t].rows(), B);
      w.batch.y[t].resize(data->y[t].rows(), data->y[t].cols() > 0 ? B : 0);
      for (int j = 0; j < B; ++j) {
        const int from = w.order[static_cast<std::size_t>(j)];
        w.batch.x[t].col(j) = data->x[t].col(from);
        if (data->y[t].cols() > 0) w.batch.y[t].col(j) = data->y[t].col(from);
      }
    }
    Model<T>& model = *w.model;
    model.reset_state(B);
    for (int k = 0; k < target_chunk_; ++k) {  // chunks before the first target only advance h
      model.collect_stats(false);
      model.forward(w.batch, ranges_[static_cast<std::size_t>(k)], /*training=*/true);
    }
    const StepRange range = ranges_[static_cast<std::size_t>(target_chunk_)];
    model.collect_stats(true, /*mean_field=*/true);
    model.forward(w.batch, range, /*training=*/true);
    long count = 0;
    chunk_loss(model, base_->head, w.batch, range, true, count);
    model.backward(w.batch, range);
    record(model, values, count);
  }

  // Walks the quantities in key order: appends the keys (values == nullptr) or writes the values.
  void record(Model<T>& model, std::vector<double>* values, long count) {
    std::size_t k = 0;
    auto emit = [&](int layer, int t, const std::string& quantity, double value) {
      if (values)
        (*values)[k++] = value;
      else
        result_.keys.push_back({layer, t, quantity});
    };
    static const std::string kDelta = "delta_sq", kQ = "q", kMean = "act_mean", kStd = "act_std",
                             kSat = "saturated", kH = "h_grad", kC = "c_grad";
    const auto& params = model.params();
    const auto& stats = model.layer_stats();
    const double B = static_cast<double>(result_.batch), scale = static_cast<double>(count);
    std::size_t i = 0;
    for (int layer = 1; layer <= model.num_layers(); ++layer) {
      const LayerStats& s = stats[static_cast<std::size_t>(layer - 1)];
      // dL/dz of the mean loss is 1/count of the summed loss's: per sample, ||count dz||^2 / B.
      emit(layer, 0, kDelta, scale * scale * s.delta_norm * s.delta_norm / B);
      for (; i < params.size() && params[i].layer == layer; ++i)
        emit(layer, 0, param_quantity_[i], static_cast<double>(params[i].grad.norm()));
      if (!result_.recurrent) emit(layer, 0, kQ, s.z_sq_mean);
      if (s.hidden) {
        emit(layer, 0, kMean, s.act_mean);
        emit(layer, 0, kStd, s.act_std);
        emit(layer, 0, kSat, s.act_saturated);
      }
    }
    if (!result_.recurrent) return;
    const int begin = ranges_[static_cast<std::size_t>(target_chunk_)].begin;
    const auto& h = model.time_grad_norms();
    const auto& c = model.time_cell_grad_norms();
    for (std::size_t l = 0; l < h.size(); ++l)
      for (std::size_t j = 0; j < h[l].size(); ++j) {
        const int layer = static_cast<int>(l) + 1, t = begin + static_cast<int>(j) + 1;
        emit(layer, t, kH, h[l][j]);
        if (!c.empty()) emit(layer, t, kC, c[l][j]);
      }
  }

  std::vector<double> column(std::size_t key, bool log) const {
    std::vector<double> v;
    for (const auto& row : result_.values) v.push_back(log ? std::log(row[key]) : row[key]);
    return v;
  }

  void aggregate() {
    for (std::size_t k = 0; k < result_.keys.size(); ++k) {
      ProbeRow row{result_.keys[k], 0, 0, 0, std::nullopt};
      mean_sd_se(column(k, false), row.mean, row.sd, row.se);
      row_of_[key_name(result_.keys[k])] = result_.rows.size();
      result_.rows.push_back(row);
      if (!has_log(result_.keys[k].quantity)) continue;
      const auto logs = column(k, true);
      ProbeRow log_row{{result_.keys[k].layer, result_.keys[k].t, "ln_" + result_.keys[k].quantity},
                       0, 0, 0, std::nullopt};
      if (std::all_of(logs.begin(), logs.end(), [](double x) { return std::isfinite(x); })) {
        mean_sd_se(logs, log_row.mean, log_row.sd, log_row.se);
      } else {
        log_row.mean = log_row.sd = log_row.se = std::nan("");
      }
      row_of_[key_name(log_row.key)] = result_.rows.size();
      result_.rows.push_back(log_row);
    }
  }

  static std::string key_name(const ProbeKey& k) {
    return std::to_string(k.layer) + "/" + std::to_string(k.t) + "/" + k.quantity;
  }
  ProbeRow* find(int layer, int t, const std::string& quantity) {
    auto it = row_of_.find(key_name({layer, t, quantity}));
    return it == row_of_.end() ? nullptr : &result_.rows[it->second];
  }
  std::size_t key_index(int layer, int t, const std::string& quantity) const {
    for (std::size_t k = 0; k < result_.keys.size(); ++k)
      if (result_.keys[k].layer == layer && result_.keys[k].t == t && result_.keys[k].quantity == quantity)
        return k;
    return result_.keys.size();
  }

  // Targets only at the last step of the sequence: gradient enters h_T alone.
  bool target_only_at_end() const {
    const auto& y = base_->train.y;
    for (std::size_t t = 0; t + 1 < y.size(); ++t)
      if (y[t].cols() > 0) return false;
    return y.back().cols() > 0;
  }

  void theory() {
    if (result_.recurrent) return recurrent_theory();
    const Config& c = result_.config;
    const auto* mlp = dynamic_cast<const Mlp<T>*>(base_->model.get());
    if (c.model.batch_norm) return no_theory("batch norm: no closed form for the normalised layers");
    bool skips = false;
    for (int l = 1; l <= static_cast<int>(mlp->spec().widths.size()); ++l)
      skips = skips || skip_source(mlp->spec(), l) >= 0;
    if (skips) return no_theory("skip connections: no closed form for residual nets here");
    if (!c.model.weights.empty()) return no_theory("weights loaded from a file: not a random init");
    const InitSpec init{*c.model.init, c.model.gain, c.model.init_scale.value_or(0)};
    for (const auto& p : base_->model->params()) {
      if (p.kind != "W") continue;
      const auto s = weight_variance_scale(init, static_cast<int>(p.value.cols()),
                                           static_cast<int>(p.value.rows()));
      if (!s) return no_theory("orthogonal init: weights are not i.i.d.");
      result_.sigma_w2.push_back(*s);
    }
    // q(0) per sample, ||x||^2 / n0, from (up to 256 of) the training samples.
    const Mat<T>& x = base_->train.x.front();
    std::vector<double> q0;
    for (Eigen::Index j = 0; j < std::min<Eigen::Index>(x.cols(), 256); ++j)
      q0.push_back(static_cast<double>(x.col(j).squaredNorm()) / static_cast<double>(x.rows()));
    const MeanFieldPrediction p = mean_field_mlp(mlp->spec().activation, result_.sigma_w2,
                                                 c.model.bias_init, q0);
    result_.chi = p.chi;
    result_.theory = "mean-field";
    log_delta_ = p.log_delta;
    const int L = base_->model->num_layers();
    const ProbeRow* out = find(L, 0, "delta_sq");
    const ProbeRow* ln_out = find(L, 0, "ln_delta_sq");
    for (int l = 1; l <= L; ++l) {
      const double rel = p.log_delta[static_cast<std::size_t>(l - 1)];
      find(l, 0, "q")->theory = p.q[static_cast<std::size_t>(l - 1)];
      if (auto* r = find(l, 0, "ln_q")) r->theory = std::log(p.q[static_cast<std::size_t>(l - 1)]);
      find(l, 0, "delta_sq")->theory = out->mean * std::exp(rel);
      if (auto* r = find(l, 0, "ln_delta_sq"); r && std::isfinite(ln_out->mean))
        r->theory = ln_out->mean + rel;
    }
  }

  void recurrent_theory() {
    const Config& c = result_.config;
    const auto* net = dynamic_cast<const Recurrent<T>*>(base_->model.get());
    const int top = net->depth();
    const StepRange range = ranges_[static_cast<std::size_t>(target_chunk_)];
    const int T_last = range.end;
    if (!target_only_at_end() || range.end != base_->train.steps())
      return no_theory("targets at more than the last step: the gradient enters h_t at many steps");
    double factor = 0;
    std::string quantity;
    if (net->spec().cell == ModelType::rnn) {
      const bool orthogonal = c.model.recurrent_init == InitScheme::orthogonal;
      if (net->spec().activation.kind != Activation::identity || !orthogonal || !c.model.weights.empty())
        return no_theory("theory only for a linear rnn (identity activation) with W_hh = rho * orthogonal");
      factor = c.model.spectral_radius.value_or(c.model.recurrent_gain);
      quantity = "h_grad";
      result_.theory = "linear-rnn";
    } else if (net->spec().cell == ModelType::lstm) {
      // Zero W_ih and W_hh in the top layer: gates are constant, dL/dc_{t-1} = f dL/dc_t.
      const auto& params = base_->model->params();
      const int H = net->spec().hidden.back();
      std::optional<double> bf;
      for (const auto& p : params) {
        if (p.layer != top) continue;
        if ((p.kind == "W_ih" || p.kind == "W_hh") && !p.value.isZero(0))
          return no_theory("lstm theory only with zero input and recurrent weights in the top layer");
      }
      const Mat<T>* b_ih = nullptr;
      const Mat<T>* b_hh = nullptr;
      for (const auto& p : params)
        if (p.layer == top && p.kind == "b_ih") b_ih = &p.value;
        else if (p.layer == top && p.kind == "b_hh") b_hh = &p.value;
      for (int u = 0; u < H; ++u) {
        const double b = static_cast<double>((*b_ih)(H + u, 0) + (*b_hh)(H + u, 0));
        if (bf && *bf != b) return no_theory("lstm theory needs one forget bias for every unit");
        bf = b;
      }
      factor = 1.0 / (1.0 + std::exp(-*bf));
      quantity = "c_grad";
      result_.theory = "lstm-zero-weights";
    } else {
      return no_theory("gru: no closed form here");
    }
    const ProbeRow* last = find(top, T_last, quantity);
    const ProbeRow* ln_last = find(top, T_last, "ln_" + quantity);
    for (int t = range.begin + 1; t <= T_last; ++t) {
      const double k = T_last - t;
      find(top, t, quantity)->theory = last->mean * std::pow(factor, k);
      if (auto* r = find(top, t, "ln_" + quantity); r && std::isfinite(ln_last->mean))
        r->theory = ln_last->mean + k * std::log(factor);
    }
    if (quantity == "h_grad") time_slope_theory_ = -2.0 * std::log(factor);
  }

  void no_theory(std::string reason) { result_.theory_reason = std::move(reason); }

  void fit() {
    if (!fit_range_) return;
    ProbeFit f;
    f.begin = fit_range_->first;
    f.end = fit_range_->second;
    std::vector<double> x;
    for (int a = f.begin; a <= f.end; ++a) x.push_back(a);
    std::vector<std::size_t> keys;
    if (result_.recurrent) {
      f.axis = "t";
      f.layer = dynamic_cast<const Recurrent<T>*>(base_->model.get())->depth();
      for (int a = f.begin; a <= f.end; ++a) keys.push_back(key_index(f.layer, a, "h_grad"));
    } else {
      f.axis = "layer";
      for (int a = f.begin; a <= f.end; ++a) keys.push_back(key_index(a, 0, "delta_sq"));
    }
    std::vector<double> y(x.size());
    for (const auto& row : result_.values) {
      for (std::size_t j = 0; j < keys.size(); ++j) {
        const double v = row[keys[j]];
        y[j] = result_.recurrent ? 2.0 * std::log(v) : std::log(v);
      }
      f.slopes.push_back(least_squares_slope(x, y));
    }
    mean_sd_se(f.slopes, f.mean, f.sd, f.se);
    if (!log_delta_.empty()) {
      std::vector<double> yt;
      for (int a = f.begin; a <= f.end; ++a) yt.push_back(log_delta_[static_cast<std::size_t>(a - 1)]);
      f.theory = least_squares_slope(x, yt);
    } else if (time_slope_theory_) {
      f.theory = time_slope_theory_;
    }
    result_.fit = std::move(f);
  }

  ProbeOptions options_;
  std::unique_ptr<Experiment<T>> base_;
  ProbeResult result_;
  bool data_per_seed_ = false;
  std::vector<StepRange> ranges_;
  int target_chunk_ = -1;
  std::vector<std::string> param_quantity_;
  std::optional<std::pair<int, int>> fit_range_;
  std::unordered_map<std::string, std::size_t> row_of_;
  std::vector<double> log_delta_;
  std::optional<double> time_slope_theory_;
};

}  // namespace

ProbeResult run_probe(const Config& config, const ProbeOptions& options) {
  if (config.dtype == DType::float64) return Prober<double>(config, options).run();
  return Prober<float>(config, options).run();
}

}  // namespace nnlab
