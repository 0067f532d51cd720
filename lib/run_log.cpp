// RunLogger: one CSV row per step, per logged tensor and layer, and per epoch.
#include "run_log.h"

#include <algorithm>
#include <string_view>

#include "errors.h"

namespace nnlab {

namespace {
struct CsvFile {
  const char* name;
  const char* header;
};
constexpr CsvFile kCsvFiles[] = {
    {"metrics.csv", "step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr"},
    {"grad_norms.csv", "step,layer,param,grad_norm,value_norm"},
    {"activations.csv", "step,layer,mean,std,saturated"},
    {"eval.csv", "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy"},
    {"time_grad_norms.csv", "step,layer,t,grad_norm"},  // recurrent models only
};
}  // namespace

template <typename T>
RunLogger<T>::RunLogger(const std::filesystem::path& dir, bool recurrent, bool cell_norms)
    : RunLogger(dir, recurrent, nullptr, cell_norms) {}

template <typename T>
RunLogger<T>::RunLogger(const std::filesystem::path& dir, bool recurrent,
                        const FileSizes& resume_at, bool cell_norms)
    : RunLogger(dir, recurrent, &resume_at, cell_norms) {}

template <typename T>
RunLogger<T>::RunLogger(const std::filesystem::path& dir, bool recurrent,
                        const FileSizes* resume_at, bool cell_norms)
    : cell_norms_(cell_norms) {
  for (const CsvFile& f : kCsvFiles) {
    const bool time_file = std::string_view(f.name) == "time_grad_norms.csv";
    if (!recurrent && time_file) continue;
    if (resume_at == nullptr) {
      const std::string header =
          std::string(f.header) + (time_file && cell_norms ? ",cell_grad_norm" : "");
      files_.push_back(std::make_unique<CsvWriter>(dir / f.name, header));
    } else {
      auto it = std::find_if(resume_at->begin(), resume_at->end(),
                             [&](const auto& entry) { return entry.first == f.name; });
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
  if (recurrent) time_grad_norms_ = files_[4].get();
}

template <typename T>
FileSizes RunLogger<T>::file_sizes() {
  FileSizes sizes;
  for (std::size_t i = 0; i < files_.size(); ++i) {
    files_[i]->flush();
    sizes.emplace_back(names_[i], files_[i]->bytes());
  }
  return sizes;
}

template <typename T>
void RunLogger<T>::on_step(const StepInfo& info, Model<T>& model) {
  const auto as_t = [](double x) { return static_cast<T>(x); };
  metrics_->field(static_cast<long long>(info.step)).field(info.epoch).field(as_t(info.loss))
      .field(as_t(info.grad_norm)).field(info.clipped ? 1 : 0)
      .field(as_t(info.grad_norm_clipped)).field(as_t(info.lr));
  metrics_->end_row();
  metrics_->flush();
  if (!info.log_layers) return;

  const auto& params = model.params();
  const auto& stats = model.layer_stats();
  const auto step = static_cast<long long>(info.step);
  // Per layer: its parameter tensors in order, then its delta row.
  std::size_t i = 0;
  for (int layer = 1; layer <= model.num_layers(); ++layer) {
    for (; i < params.size() && params[i].layer == layer; ++i) {
      grad_norms_->field(step).field(layer).field(params[i].kind)
          .field(as_t(info.param_grad_norms[i])).field(params[i].value.norm());
      grad_norms_->end_row();
    }
    const LayerStats& s = stats[static_cast<std::size_t>(layer - 1)];
    grad_norms_->field(step).field(layer).field("delta").field(as_t(s.delta_norm)).empty();
    grad_norms_->end_row();
    if (s.hidden) {
      activations_->field(step).field(layer).field(as_t(s.act_mean)).field(as_t(s.act_std))
          .field(s.act_saturated);
      activations_->end_row();
    }
  }
  grad_norms_->flush();
  activations_->flush();
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
    time_grad_norms_->flush();
  }
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
  eval_->flush();
}

template class RunLogger<float>;
template class RunLogger<double>;

}  // namespace nnlab
