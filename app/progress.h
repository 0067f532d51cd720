// Progress reporting for `nnlab train`: a one-line display redrawn in place on a terminal, plain
// periodic log lines otherwise. Throttled so that it costs nothing measurable per step.
#pragma once

#include <chrono>

#include "trainer.h"

namespace nnlab::cli {

template <typename T>
class Progress final : public TrainObserver<T> {
 public:
  Progress(long total_steps, int epochs, bool quiet);
  ~Progress() override;
  void on_step(const StepInfo& info, Model<T>& model) override;
  void on_eval(const EvalInfo& info) override;

 private:
  bool due(std::chrono::steady_clock::duration interval);
  long total_steps_;
  int epochs_;
  bool quiet_, terminal_;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace nnlab::cli
