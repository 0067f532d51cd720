// Progress reporting for `nnlab train`. On a terminal (stderr a TTY, not -q) a live view redrawn
// in place at most 10 times a second: step/epoch, loss, ETA, each layer's gradient norm as a
// log-scale bar and, for recurrent nets, ||dL/dh_t|| at the first and last step of the last
// logged chunk. Otherwise plain periodic log lines. Off the terminal a step costs one branch; on
// it, nothing in the step loop allocates (the frame is built in a buffer reserved up front).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "run/trainer.h"

namespace nnlab::cli {

template <typename T>
class Progress final : public TrainObserver<T> {
 public:
  Progress(const Model<T>& model, long total_steps, int epochs, bool quiet);
  ~Progress() override;
  void on_step(const StepInfo& info, Model<T>& model) override;
  void on_eval(const EvalInfo& info) override;

  // Draws the last frame (on a terminal) and leaves the cursor below it.
  void finish();
  // ||dL/dW(1)|| / ||dL/dW(L)|| at the last logged step (W_ih for recurrent layers, the
  // readout's W for L); nan before any. `ratio_step` is that step.
  double grad_ratio() const;
  long ratio_step() const { return logged_step_; }

 private:
  bool due(std::chrono::steady_clock::duration interval);
  void draw();
  long total_steps_;
  int epochs_;
  bool quiet_, terminal_;
  std::chrono::steady_clock::time_point last_;

  // The live view's state, sized in the constructor.
  std::vector<std::size_t> layer_param_;  // per layer: the Param index drawn (W, W_ih, first)
  std::vector<double> norms_;             // per layer: the last drawn step's gradient norm
  std::vector<double> logged_norms_;      // per layer: the last logged step's
  std::vector<double> time_first_, time_last_;  // per recurrent layer: ||dL/dh_t|| at the
  int time_t0_ = 0, time_t1_ = 0;               // chunk's first and last step (t from 1)
  long logged_step_ = 0;
  long step_ = 0;                         // the last step seen
  int epoch_ = 0;
  double loss_ = 0;
  bool clipped_ = false;
  long first_step_ = 0;
  std::chrono::steady_clock::time_point started_;
  EvalInfo eval_;                         // the last evaluation
  bool has_eval_ = false;
  int lines_drawn_ = 0;
  std::string frame_;
};

}  // namespace nnlab::cli
