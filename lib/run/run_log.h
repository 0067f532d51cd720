// The CSV files of a run, written by a TrainObserver (see README "Outputs" for the schemas):
//   metrics.csv      step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr   (every step)
//   grad_norms.csv   step,layer,param,grad_norm,value_norm,update_norm        (logged steps)
//   activations.csv  step,layer,mean,std,saturated                           (logged steps)
//   eval.csv         epoch,step,train_loss,train_accuracy,test_loss,test_accuracy
//   time_grad_norms.csv  step,layer,t,grad_norm  (recurrent models, logged steps); an LSTM's
//                        has a fifth column, cell_grad_norm = ||dL/dc_t||_F
//   grad_quantiles.csv   step,layer,param,of,min,p01,...,p99,max  (log.quantiles, logged steps)
// Numbers are printed in the model's dtype, so a float32 run writes float32's shortest forms.
//
// Rows are gathered in memory over several steps and written at the end of a step, in writes
// that a kill cannot cut inside a row (CsvWriter::flush), whenever either
//   - the oldest rows held would otherwise be kFlushAge (100 ms) old or more by the end of the
//     next step, judging the next step's length by the step just ended, or
//   - a file holds kFlushBytes (64 KiB) or more,
// and always at a checkpoint (file_sizes(): SIGINT, SIGTERM, SIGUSR1, checkpoint_every, the
// end), after an evaluation, at the diverging step and when the logger is destroyed. So a
// `kill -9` loses at most the rows of the steps that ended in the last 100 ms (more only when
// the step under way lasts longer than the one before it, by the difference), which a resume
// drops anyway (it cuts every file back to its checkpoint's sizes). docs/run-safety.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/csv.h"
#include "base/quantiles.h"
#include "run/trainer.h"

namespace nnlab {

// Sizes in bytes of a run's CSV files, by file name.
using FileSizes = std::vector<std::pair<std::string, std::uint64_t>>;

template <typename T>
class RunLogger final : public TrainObserver<T> {
 public:
  // What a run writes besides the files every run has.
  struct Files {
    bool recurrent = false;   // time_grad_norms.csv
    bool cell_norms = false;  // an LSTM: time_grad_norms.csv's cell_grad_norm column
    bool quantiles = false;   // grad_quantiles.csv (log.quantiles)
  };
  explicit RunLogger(const std::filesystem::path& dir, Files files);
  // Continues the files of a resumed run, cut back to the sizes its checkpoint recorded.
  RunLogger(const std::filesystem::path& dir, Files files, const FileSizes& resume_at);
  // Flushes every file and returns its size: what a checkpoint records.
  FileSizes file_sizes();
  void on_step(const StepInfo& info, Model<T>& model) override;
  void on_step_end(const StepInfo& info, Model<T>& model) override;
  void on_eval(const EvalInfo& info) override;

 private:
  static constexpr std::chrono::milliseconds kFlushAge{100};
  static constexpr std::size_t kFlushBytes = std::size_t{1} << 16;

  RunLogger(const std::filesystem::path& dir, Files files, const FileSizes* resume_at);
  // Writes every file's rows when the rule above says so (flush_all() otherwise).
  void end_of_step();
  void flush_all();
  void write_grad_norms(const StepInfo& info, Model<T>& model);
  void write_quantiles(std::string_view step, const Param<T>& p, const char* of, const T* data,
                       std::size_t n, bool absolute);
  // A step's number as text, formatted once for all of its rows, in every file.
  std::string_view step_text(long long step);
  bool cell_norms_ = false;
  long long text_step_ = -1;
  char step_chars_[24] = {};
  std::size_t step_length_ = 0;
  // metrics, grad_norms, activations, eval, then time_grad_norms (recurrent models only)
  std::vector<std::unique_ptr<CsvWriter>> files_;
  std::vector<std::string> names_;
  CsvWriter *metrics_, *grad_norms_, *activations_, *eval_, *time_grad_norms_ = nullptr;
  CsvWriter* grad_quantiles_ = nullptr;
  QuantileScratch scratch_;
  std::vector<T> value_norms_;  // ||W|| per Param at on_step, written at on_step_end
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_flush_ = Clock::now();  // no row held is older than this
  Clock::time_point last_step_end_ = last_flush_;
};

}  // namespace nnlab
