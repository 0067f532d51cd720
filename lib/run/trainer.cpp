// The training loop. Per step: forward, loss, backward, per-tensor gradient norms, divergence
// check, global-norm clipping folded into the update as one scale factor, optimizer update.
#include "run/trainer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "base/per_size.h"

namespace nnlab {

namespace {

// Batches of sequences gathered from a data set into buffers kept per batch size, so that the
// step loop does not allocate.
template <typename T>
class BatchCache {
 public:
  Batch<T>& gather(const Samples<T>& set, const std::vector<int>& order, int start, int size) {
    Batch<T>& b = of_size(set, size);
    // Plain column copies: sequence steps have few features, where Eigen's per-column
    // assignment costs more than the copy itself (W5 with 3200 training sequences: 7.6% of a
    // step before, 4.9% after, most of it cache misses on the step-major data).
    const auto copy_columns = [&](const Mat<T>& from, Mat<T>& to) {
      const Eigen::Index rows = from.rows();
      for (int j = 0; j < size; ++j) {
        const T* src = from.data() + rows * order[static_cast<std::size_t>(start + j)];
        std::copy(src, src + rows, to.data() + rows * j);
      }
    };
    for (std::size_t t = 0; t < set.x.size(); ++t) {
      copy_columns(set.x[t], b.x[t]);
      if (set.y[t].cols() > 0) copy_columns(set.y[t], b.y[t]);
    }
    return b;
  }
  Batch<T>& slice(const Samples<T>& set, int start, int size) {
    Batch<T>& b = of_size(set, size);
    for (std::size_t t = 0; t < set.x.size(); ++t) {
      b.x[t] = set.x[t].middleCols(start, size);
      if (set.y[t].cols() > 0) b.y[t] = set.y[t].middleCols(start, size);
    }
    return b;
  }

 private:
  Batch<T>& of_size(const Samples<T>& set, int size) {
    const auto size_of = [](const Batch<T>& b) { return b.size(); };
    return kept_for_size(batches_, size, size_of, [&] {
      auto b = std::make_unique<Batch<T>>();
      for (std::size_t t = 0; t < set.x.size(); ++t) {
        b->x.emplace_back(set.x[t].rows(), size);
        b->y.emplace_back(set.y[t].rows(), set.y[t].cols() > 0 ? size : 0);
      }
      return b;
    });
  }
  std::vector<std::unique_ptr<Batch<T>>> batches_;
};

template <typename T>
bool has_target(const Batch<T>& batch, int t) {
  return batch.y[static_cast<std::size_t>(t)].cols() > 0;
}

}  // namespace

template <typename T>
double chunk_loss(Model<T>& model, const Head& head, const Batch<T>& batch, StepRange range,
                  bool with_grad, long& count) {
  count = 0;
  for (int t = range.begin; t < range.end; ++t)
    if (has_target(batch, t)) count += batch.size();
  if (count == 0) return 0.0;
  const T scale = T(1) / static_cast<T>(count);
  double total = 0;
  for (int t = range.begin; t < range.end; ++t) {
    if (!has_target(batch, t)) continue;
    total += static_cast<double>(head.loss(model.output(t), batch.y[static_cast<std::size_t>(t)],
                                           with_grad ? &model.doutput(t) : nullptr, scale));
  }
  return total / static_cast<double>(count);
}

std::vector<StepRange> chunks(int steps, int truncation) {
  std::vector<StepRange> out;
  const int k = truncation > 0 ? truncation : steps;
  for (int begin = 0; begin < steps; begin += k) out.push_back({begin, std::min(begin + k, steps)});
  return out;
}

template <typename T>
void evaluate(Model<T>& model, const Head& head, const Samples<T>& set, double& loss,
              double& accuracy) {
  BatchCache<T> cache;  // evaluation runs once per epoch, outside the step loop
  constexpr int kEvalBatch = 1024;
  double loss_sum = 0;
  long count = 0, hits = 0;
  model.collect_stats(false);
  for (int start = 0; start < set.size(); start += kEvalBatch) {
    const int size = std::min(kEvalBatch, set.size() - start);
    Batch<T>& batch = cache.slice(set, start, size);
    model.reset_state(size);
    const StepRange all{0, batch.steps()};
    model.forward(batch, all, /*training=*/false);
    long n = 0;
    loss_sum += chunk_loss(model, head, batch, all, false, n) * static_cast<double>(n);
    count += n;
    if (head.kind != Output::linear)
      for (int t = 0; t < batch.steps(); ++t)
        if (has_target(batch, t))
          hits += head.correct(model.output(t), batch.y[static_cast<std::size_t>(t)]);
  }
  loss = count > 0 ? loss_sum / static_cast<double>(count) : std::nan("");
  accuracy = count > 0 ? static_cast<double>(hits) / static_cast<double>(count) : std::nan("");
}

template <typename T>
TrainResult train(Model<T>& model, const Head& head, const Samples<T>& train_set,
                  const Samples<T>& test_set, const TrainConfig& config, const LogConfig& log,
                  const TrainOptions& options, const std::vector<TrainObserver<T>*>& observers,
                  const TrainState<T>* resume) {
  TrainResult result;
  std::vector<Param<T>>& params = model.params();
  Optimizer<T> optimizer(config, params);
  Rng shuffle_rng(options.shuffle_seed);
  BatchCache<T> batches;
  std::vector<int> order(static_cast<std::size_t>(train_set.size()));
  std::iota(order.begin(), order.end(), 0);
  const int batch_size = config.batch_size == 0 ? train_set.size()
                                                : std::min(config.batch_size, train_set.size());
  const std::vector<StepRange> ranges = chunks(train_set.steps(), config.truncation);
  StepInfo info;
  std::vector<Mat<T>> carried;  // the model's state before an unlogged truncated chunk
  info.param_grad_norms.resize(params.size());
  info.param_update_norms.resize(params.size());
  info.lr = optimizer.lr();

  auto run_eval = [&](int epoch) {
    EvalInfo e;
    e.epoch = epoch;
    e.step = result.steps;
    e.classification = head.kind != Output::linear;
    evaluate(model, head, train_set, e.train_loss, e.train_accuracy);
    e.has_test = test_set.size() > 0;
    if (e.has_test) evaluate(model, head, test_set, e.test_loss, e.test_accuracy);
    result.last_eval = e;
    for (auto* o : observers) o->on_eval(e);
  };
  // The state before epoch/batch/chunk (allocates: checkpoints are rare).
  auto checkpoint = [&](int epoch, int batch_start, int next_chunk) {
    TrainState<T> s;
    s.steps = result.steps;
    s.epoch = epoch;
    s.batch_start = batch_start;
    s.next_chunk = next_chunk;
    s.order = order;
    s.shuffle_rng = shuffle_rng.state();
    if (next_chunk > 0) s.hidden = model.state();
    s.optimizer = optimizer.state();
    s.last_eval = result.last_eval;
    for (auto* o : observers) o->on_checkpoint(s, model);
  };

  int first_epoch = 1, first_start = 0, first_chunk = 0;
  if (resume != nullptr) {
    if (resume->order.size() != order.size() || resume->epoch < 1 ||
        resume->next_chunk < 0 || resume->next_chunk >= static_cast<int>(ranges.size()) ||
        (resume->next_chunk > 0 && resume->hidden.empty()))
      throw std::invalid_argument("the training state does not fit this run's data");
    optimizer.set_state(resume->optimizer);
    shuffle_rng.set_state(resume->shuffle_rng);
    order = resume->order;
    result.steps = resume->steps;
    result.epochs = std::min(resume->epoch - 1, config.epochs);
    result.last_eval = resume->last_eval;
    first_epoch = resume->epoch;
    first_start = resume->batch_start;
    first_chunk = resume->next_chunk;
  } else {
    run_eval(0);
  }
  for (int epoch = first_epoch; epoch <= config.epochs; ++epoch) {
    const bool resumed_epoch = resume != nullptr && epoch == first_epoch;
    if (config.shuffle && !resumed_epoch) shuffle_rng.shuffle(order);
    for (int start = resumed_epoch ? first_start : 0; start < train_set.size();
         start += batch_size) {
      const int size = std::min(batch_size, train_set.size() - start);
      Batch<T>& batch = batches.gather(train_set, order, start, size);
      std::size_t first = 0;
      if (resumed_epoch && start == first_start && first_chunk > 0) {
        model.set_state(resume->hidden);
        first = static_cast<std::size_t>(first_chunk);
      } else {
        model.reset_state(size);
      }
      // One update per truncated-BPTT chunk; the hidden state carries across chunks, gradients
      // do not. A chunk without a target only advances the state.
      for (std::size_t c = first; c < ranges.size(); ++c) {
        const StepRange range = ranges[c];
        if (!chunk_has_target(batch.y, range)) {
          model.collect_stats(false);
          model.forward(batch, range, /*training=*/true);
          continue;
        }
        info.step = result.steps + 1;
        info.epoch = epoch;
        info.log_layers = (info.step - 1) % log.every == 0;
        info.range = range;
        // A chunk that starts from a carried state can only be recomputed (for the rows of a
        // diverging step, below) from a copy of that state: one copy per unlogged chunk, taken
        // only under truncated BPTT.
        if (!info.log_layers && c > 0) carried = model.state();
        model.collect_stats(info.log_layers);
        model.forward(batch, range, /*training=*/true);
        long count = 0;
        info.loss = chunk_loss(model, head, batch, range, true, count);
        model.backward(batch, range);

        double sum_squares = 0;
        int nonfinite_layer = 0;
        for (std::size_t i = 0; i < params.size(); ++i) {
          const double norm = static_cast<double>(params[i].grad.norm());
          info.param_grad_norms[i] = norm;
          sum_squares += norm * norm;
          if (!std::isfinite(norm) && params[i].layer > nonfinite_layer) {
            nonfinite_layer = params[i].layer;
            result.first_nonfinite_param = params[i].name;
          }
        }
        info.grad_norm = std::sqrt(sum_squares);
        const double tau = config.clip_threshold;
        info.clipped = tau > 0 && info.grad_norm > tau;
        const double scale = info.clipped ? tau / info.grad_norm : 1.0;
        info.grad_norm_clipped = info.grad_norm * scale;
        result.steps = info.step;

        const bool diverged = !std::isfinite(info.loss) || nonfinite_layer > 0;
        if (diverged && !info.log_layers) {
          // The diverging step always has its per-layer rows (whatever log.every says), so that
          // plots can mark it: the same forward/backward again with statistics on. Training-mode
          // forward updates batch norm's running statistics, which are put back afterwards.
          std::vector<Buffer<T>> buffers = model.buffers();
          if (c > 0)
            model.set_state(carried);
          else
            model.reset_state(size);
          model.collect_stats(true);
          model.forward(batch, range, /*training=*/true);
          chunk_loss(model, head, batch, range, true, count);
          model.backward(batch, range);
          model.buffers() = std::move(buffers);
          info.log_layers = true;
        }
        // Observers see the weights that produced this step's gradients, then the update runs.
        for (auto* o : observers) o->on_step(info, model);
        if (diverged) {
          result.status = RunStatus::diverged;
          result.diverged_step = info.step;
          result.loss_nonfinite = !std::isfinite(info.loss);
          result.first_nonfinite_layer = nonfinite_layer;
          info.updated = false;
          for (auto* o : observers) o->on_step_end(info, model);
          return result;
        }
        // ||dW|| of a logged step, taken by the optimizer as it updates each parameter.
        optimizer.step(params, static_cast<T>(scale),
                       info.log_layers ? &info.param_update_norms : nullptr);
        info.updated = true;
        for (auto* o : observers) o->on_step_end(info, model);

        const bool stop = options.stop_requested && options.stop_requested();
        const bool requested = options.checkpoint_requested && options.checkpoint_requested();
        const bool due = config.checkpoint_every > 0 && result.steps % config.checkpoint_every == 0;
        if (stop || requested || due) {
          if (c + 1 < ranges.size())
            checkpoint(epoch, start, static_cast<int>(c + 1));
          else
            checkpoint(epoch, start + size, 0);
        }
        if (stop) {
          result.status = RunStatus::interrupted;
          return result;
        }
      }
    }
    result.epochs = epoch;
    run_eval(epoch);
  }
  // A step checks its own loss and gradients before its update; after the last update no step
  // is left to notice a model it made non-finite. The final evaluation's loss does.
  const EvalInfo& last = result.last_eval;
  if (!std::isfinite(last.train_loss) || (last.has_test && !std::isfinite(last.test_loss))) {
    result.status = RunStatus::diverged;
    result.diverged_step = result.steps;
    result.loss_nonfinite = true;
    result.in_final_evaluation = true;
    return result;
  }
  checkpoint(config.epochs + 1, 0, 0);
  return result;
}

template TrainResult train(Model<float>&, const Head&, const Samples<float>&,
                           const Samples<float>&, const TrainConfig&, const LogConfig&,
                           const TrainOptions&, const std::vector<TrainObserver<float>*>&,
                           const TrainState<float>*);
template TrainResult train(Model<double>&, const Head&, const Samples<double>&,
                           const Samples<double>&, const TrainConfig&, const LogConfig&,
                           const TrainOptions&, const std::vector<TrainObserver<double>*>&,
                           const TrainState<double>*);
template double chunk_loss(Model<float>&, const Head&, const Batch<float>&, StepRange, bool,
                           long&);
template double chunk_loss(Model<double>&, const Head&, const Batch<double>&, StepRange, bool,
                           long&);
template void evaluate(Model<float>&, const Head&, const Samples<float>&, double&, double&);
template void evaluate(Model<double>&, const Head&, const Samples<double>&, double&, double&);

}  // namespace nnlab
