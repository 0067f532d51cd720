// RunLogger: one CSV row per step, per logged tensor and layer, and per epoch.
#include "run/run_log.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "base/errors.h"
#include "run/run_dir.h"

namespace nnlab {

namespace {
struct CsvSchema {
  const char* name;
  const char* header;
};
constexpr CsvSchema kCsvFiles[] = {
    {kMetricsFile, "step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr"},
    {kGradNormsFile, "step,layer,param,grad_norm,value_norm,update_norm"},
    {kActivationsFile, "step,layer,mean,std,saturated"},
    {kEvalFile, "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy"},
    {kTimeGradNormsFile, "step,layer,t,grad_norm"},  // recurrent models only
    {kGradQuantilesFile, "step,layer,param,of,min,p01,p05,p25,p50,p75,p95,p99,max"},
};
}  // namespace

template <typename T>
RunLogger<T>::RunLogger(const std::filesystem::path& dir, Files files)
    : RunLogger(dir, files, nullptr) {}

template <typename T>
RunLogger<T>::RunLogger(const std::filesystem::path& dir, Files files, const FileSizes& resume_at)
    : RunLogger(dir, files, &resume_at) {}

template <typename T>
RunLogger<T>::RunLogger(const std::filesystem::path& dir, Files files, const FileSizes* resume_at)
    : cell_norms_(files.cell_norms) {
  for (const CsvSchema& f : kCsvFiles) {
    const bool time_file = std::string_view(f.name) == kTimeGradNormsFile;
    if (!files.recurrent && time_file) continue;
    if (!files.quantiles && std::string_view(f.name) == kGradQuantilesFile) continue;
    if (resume_at == nullptr) {
      const std::string header =
          std::string(f.header) + (time_file && files.cell_norms ? ",cell_grad_norm" : "");
      files_.push_back(std::make_unique<CsvWriter>(dir / f.name, header));
    } else {
      const char* name = f.name;  // not f: GCC warns of a file-local type in a closure (unity)
      auto it = std::find_if(resume_at->begin(), resume_at->end(),
                             [name](const auto& entry) { return entry.first == name; });
      if (it == resume_at->end())
        throw IoError(std::string("the checkpoint records no size for ") + f.name);
      files_.push_back(std::make_unique<CsvWriter>(dir / f.name, it->second));
    }
    names_.emplace_back(f.name);
  }
  metrics_ = files_[0].get();
  grad_norms_ = files_[1].get();
  activations_ = files_[2].get();
  eval_ = files_[3].get();
  if (files.recurrent) time_grad_norms_ = files_[4].get();
  if (files.quantiles) grad_quantiles_ = files_.back().get();
}

template <typename T>
FileSizes RunLogger<T>::file_sizes() {
  flush_all();
  FileSizes sizes;
  for (std::size_t i = 0; i < files_.size(); ++i) sizes.emplace_back(names_[i], files_[i]->bytes());
  return sizes;
}

template <typename T>
void RunLogger<T>::flush_all() {
  for (auto& f : files_) f->flush();  // no write(2) for a file without rows
  last_flush_ = Clock::now();
}

template <typename T>
void RunLogger<T>::end_of_step() {
  const Clock::time_point now = Clock::now();
  const Clock::duration step = now - last_step_end_;
  last_step_end_ = now;
  bool due = (now - last_flush_) + step >= kFlushAge;
  for (const auto& f : files_) due = due || f->pending() >= kFlushBytes;
  if (due) flush_all();
}

template <typename T>
void RunLogger<T>::on_step(const StepInfo& info, Model<T>& model) {
  const auto as_t = [](double x) { return static_cast<T>(x); };
  metrics_->field(step_text(static_cast<long long>(info.step))).field(info.epoch)
      .field(as_t(info.loss)).field(as_t(info.grad_norm)).field(info.clipped ? 1 : 0)
      .field(as_t(info.grad_norm_clipped)).field(as_t(info.lr));
  metrics_->end_row();
  if (!info.log_layers) return;

  const auto& params = model.params();
  const auto& stats = model.layer_stats();
  const std::string_view step = step_text(static_cast<long long>(info.step));
  // grad_norms.csv rows wait for on_step_end, which knows the update; ||W|| is taken here,
  // before it.
  value_norms_.resize(params.size());  // once: the parameter list does not change
  for (std::size_t i = 0; i < params.size(); ++i) value_norms_[i] = params[i].value.norm();
  for (int layer = 1; layer <= model.num_layers(); ++layer) {
    const LayerStats& s = stats[static_cast<std::size_t>(layer - 1)];
    if (s.hidden) {
      activations_->field(step).field(layer).field(as_t(s.act_mean)).field(as_t(s.act_std))
          .field(s.act_saturated);
      activations_->end_row();
    }
  }
  if (grad_quantiles_) {
    for (const auto& p : params) {
      const auto n = static_cast<std::size_t>(p.grad.size());
      write_quantiles(step, p, "grad", p.grad.data(), n, false);
      write_quantiles(step, p, "abs_grad", p.grad.data(), n, true);
      write_quantiles(step, p, "value", p.value.data(), static_cast<std::size_t>(p.value.size()),
                      false);
    }
  }
  if (time_grad_norms_) {
    // t counts from 1 within the sequence.
    const auto& norms = model.time_grad_norms();
    const auto& cell = model.time_cell_grad_norms();
    for (std::size_t l = 0; l < norms.size(); ++l)
      for (std::size_t k = 0; k < norms[l].size(); ++k) {
        time_grad_norms_->field(step).field(static_cast<int>(l + 1))
            .field(static_cast<int>(info.range.begin + static_cast<int>(k) + 1))
            .field(as_t(norms[l][k]));
        if (cell_norms_) time_grad_norms_->field(as_t(cell[l][k]));
        time_grad_norms_->end_row();
      }
  }
}

template <typename T>
void RunLogger<T>::write_quantiles(std::string_view step, const Param<T>& p, const char* of,
                                   const T* data, std::size_t n, bool absolute) {
  const Quantiles q = scratch_.compute(data, n, absolute);
  grad_quantiles_->field(step).field(p.layer).field(p.kind).field(of);
  for (double x : q) grad_quantiles_->field(static_cast<T>(x));
  grad_quantiles_->end_row();
}

template <typename T>
void RunLogger<T>::on_step_end(const StepInfo& info, Model<T>& model) {
  if (info.log_layers) write_grad_norms(info, model);
  // The diverging step (no update) is the run's last: its rows go out now.
  if (info.updated)
    end_of_step();
  else
    flush_all();
}

template <typename T>
void RunLogger<T>::write_grad_norms(const StepInfo& info, Model<T>& model) {
  const auto as_t = [](double x) { return static_cast<T>(x); };
  const auto& params = model.params();
  const auto& stats = model.layer_stats();
  const std::string_view step = step_text(static_cast<long long>(info.step));
  // Per layer: its parameter tensors in order, then its delta row. update_norm is empty when
  // the step diverged (no update was made).
  std::size_t i = 0;
  for (int layer = 1; layer <= model.num_layers(); ++layer) {
    for (; i < params.size() && params[i].layer == layer; ++i) {
      grad_norms_->field(step).field(layer).field(params[i].kind)
          .field(as_t(info.param_grad_norms[i])).field(value_norms_[i]);
      if (info.updated) grad_norms_->field(as_t(info.param_update_norms[i]));
      else grad_norms_->empty();
      grad_norms_->end_row();
    }
    const LayerStats& s = stats[static_cast<std::size_t>(layer - 1)];
    grad_norms_->field(step).field(layer).field("delta").field(as_t(s.delta_norm)).empty()
        .empty();
    grad_norms_->end_row();
  }
}

template <typename T>
std::string_view RunLogger<T>::step_text(long long step) {
  if (step != text_step_) {
    text_step_ = step;
    step_length_ = static_cast<std::size_t>(
        std::to_chars(step_chars_, step_chars_ + sizeof step_chars_, step).ptr - step_chars_);
  }
  return {step_chars_, step_length_};
}

template <typename T>
void RunLogger<T>::on_eval(const EvalInfo& e) {
  const auto as_t = [](double x) { return static_cast<T>(x); };
  eval_->field(e.epoch).field(static_cast<long long>(e.step)).field(as_t(e.train_loss));
  if (e.classification) eval_->field(e.train_accuracy); else eval_->empty();
  if (e.has_test) {
    eval_->field(as_t(e.test_loss));
    if (e.classification) eval_->field(e.test_accuracy); else eval_->empty();
  } else {
    eval_->empty().empty();
  }
  eval_->end_row();
  flush_all();  // once per epoch: every file up to this step
}

template class RunLogger<float>;
template class RunLogger<double>;

}  // namespace nnlab
