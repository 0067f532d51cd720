// The live terminal view and the periodic log lines of `nnlab train`.
#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

namespace nnlab::cli {

namespace {

constexpr int kMaxLayerRows = 16;

// The terminal's size, with 80 x 24 when it cannot be asked.
void terminal_size(int& cols, int& rows) {
  winsize ws{};
  cols = 80;
  rows = 24;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    cols = ws.ws_col;
    rows = ws.ws_row > 0 ? ws.ws_row : rows;
  }
}

// Appends printf output to `out` without allocating (the frame's capacity is reserved).
template <typename... Args>
void put(std::string& out, const char* format, Args... args) {
  char line[256];
  const int n = std::snprintf(line, sizeof line, format, args...);
  out.append(line, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof line) - 1)));
}

void put_duration(std::string& out, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    out += "--:--";
    return;
  }
  const long s = std::lround(seconds);
  if (s >= 3600)
    put(out, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    put(out, "%ld:%02ld", s / 60, s % 60);
}

}  // namespace

template <typename T>
Progress<T>::Progress(const Model<T>& model, long total_steps, int epochs, bool quiet)
    : total_steps_(total_steps),
      epochs_(epochs),
      quiet_(quiet),
      terminal_(isatty(STDERR_FILENO) != 0),
      last_(std::chrono::steady_clock::now()) {
  // const_cast: params() is non-const on Model; only names and layers are read here.
  const auto& params = const_cast<Model<T>&>(model).params();
  const int layers = model.num_layers();
  layer_param_.assign(static_cast<std::size_t>(layers), params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto& slot = layer_param_[static_cast<std::size_t>(params[i].layer - 1)];
    const bool weight = params[i].kind == "W" || params[i].kind == "W_ih";
    if (slot == params.size() || (weight && params[slot].kind != "W" && params[slot].kind != "W_ih"))
      slot = i;
  }
  norms_.assign(static_cast<std::size_t>(layers), std::nan(""));
  logged_norms_ = norms_;
  time_first_.assign(static_cast<std::size_t>(layers), std::nan(""));
  time_last_ = time_first_;
  frame_.reserve(16384);
}

template <typename T>
Progress<T>::~Progress() = default;

template <typename T>
bool Progress<T>::due(std::chrono::steady_clock::duration interval) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval) return false;
  last_ = now;
  return true;
}

template <typename T>
void Progress<T>::on_step(const StepInfo& info, Model<T>& model) {
  if (info.log_layers) {
    logged_step_ = info.step;
    for (std::size_t l = 0; l < layer_param_.size(); ++l)
      if (layer_param_[l] < info.param_grad_norms.size())
        logged_norms_[l] = info.param_grad_norms[layer_param_[l]];
  }
  if (quiet_ || !terminal_) return;
  if (first_step_ == 0) {
    first_step_ = info.step;
    started_ = std::chrono::steady_clock::now();
  }
  if (info.log_layers) {
    const auto& time = model.time_grad_norms();
    for (std::size_t l = 0; l < time.size() && l < time_first_.size(); ++l)
      if (!time[l].empty()) {
        time_first_[l] = time[l].front();
        time_last_[l] = time[l].back();
      }
    time_t0_ = info.range.begin + 1;
    time_t1_ = info.range.end;
  }
  step_ = info.step;
  epoch_ = info.epoch;
  loss_ = info.loss;
  clipped_ = info.clipped;
  // The first step, then at most every 100 ms; a non-finite loss at once (the run ends).
  if (info.step != first_step_ && std::isfinite(info.loss) &&
      !due(std::chrono::milliseconds(100)))
    return;
  for (std::size_t l = 0; l < layer_param_.size(); ++l)
    if (layer_param_[l] < info.param_grad_norms.size())
      norms_[l] = info.param_grad_norms[layer_param_[l]];
  draw();
}

template <typename T>
void Progress<T>::draw() {
  int cols = 80, rows = 24;
  terminal_size(cols, rows);
  const int width = std::min(cols, 100) - 1;  // never the last column: no automatic wrap
  std::string& f = frame_;
  f.clear();
  if (lines_drawn_ > 0) put(f, "\033[%dA", lines_drawn_);
  f += '\r';
  int lines = 0;
  std::size_t line_start = f.size();
  const auto end_line = [&] {  // cut at the width: a wrapped line would break the redraw
    if (f.size() - line_start > static_cast<std::size_t>(width)) f.resize(line_start + width);
    f += "\033[K\n";
    line_start = f.size();
    ++lines;
  };

  // Line 1: where the run is.
  put(f, "step %ld/%ld  epoch %d/%d  loss %.5g", step_, total_steps_, epoch_, epochs_, loss_);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const long done = step_ - first_step_ + 1;
  f += "  ETA ";
  put_duration(f, done > 0 ? elapsed / static_cast<double>(done) *
                                 static_cast<double>(total_steps_ - step_)
                           : std::nan(""));
  if (clipped_) f += "  clipped";
  end_line();

  // The layers: a log-scale bar each, over whole decades covering every finite norm.
  const int layers = static_cast<int>(norms_.size());
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (double n : norms_)
    if (std::isfinite(n) && n > 0) {
      lo = std::min(lo, std::floor(std::log10(n)));
      hi = std::max(hi, std::ceil(std::log10(n)));
    }
  if (lo > hi) lo = -6, hi = 0;
  if (hi - lo < 4) lo = hi - 4;
  const int available = std::max(3, std::min(kMaxLayerRows, rows - 5));
  const int every = (layers + available - 1) / available;
  put(f, "|dL/dW| per layer (* output), log scale 1e%+d .. 1e%+d", static_cast<int>(lo),
      static_cast<int>(hi));
  if (every > 1) put(f, ", 1 in %d of %d shown", every, layers);
  end_line();
  const int bar = std::max(10, width - 22);
  for (int l = 1; l <= layers; ++l) {
    if (every > 1 && l != 1 && l != layers && (l - 1) % every != 0) continue;
    const double n = norms_[static_cast<std::size_t>(l - 1)];
    int filled = 0;
    if (std::isfinite(n) && n > 0)
      filled = static_cast<int>(std::lround((std::log10(n) - lo) / (hi - lo) * bar));
    filled = std::clamp(filled, 0, bar);
    put(f, "%4d%s |", l, l == layers ? "*" : " ");
    f.append(static_cast<std::size_t>(filled), '#');
    f.append(static_cast<std::size_t>(bar - filled), '.');
    if (std::isfinite(n))
      put(f, "| %9.3e", n);
    else
      put(f, "| %9s", std::isnan(n) ? "nan" : "inf");
    end_line();
  }

  // Recurrent layers: ||dL/dh_t|| at the two ends of the last logged chunk.
  if (logged_step_ > 0)
    for (std::size_t l = 0; l < time_first_.size() && lines < rows - 1; ++l) {
      if (std::isnan(time_first_[l]) && std::isnan(time_last_[l])) continue;
      put(f, "|dL/dh_t| layer %zu: t=%d %.2e .. t=%d %.2e (x%.2g, step %ld)", l + 1, time_t0_,
          time_first_[l], time_t1_, time_last_[l], time_first_[l] / time_last_[l], logged_step_);
      end_line();
    }
  if (has_eval_) {
    put(f, "epoch %d: train loss %.4g", eval_.epoch, eval_.train_loss);
    if (eval_.classification) put(f, " acc %.4f", eval_.train_accuracy);
    if (eval_.has_test) {
      put(f, ", test loss %.4g", eval_.test_loss);
      if (eval_.classification) put(f, " acc %.4f", eval_.test_accuracy);
    }
    end_line();
  }
  std::fwrite(f.data(), 1, f.size(), stderr);
  std::fflush(stderr);
  lines_drawn_ = lines;
}

template <typename T>
void Progress<T>::finish() {
  if (quiet_ || !terminal_ || lines_drawn_ == 0) return;
  draw();
}

template <typename T>
double Progress<T>::grad_ratio() const {
  if (logged_norms_.size() < 2) return std::nan("");
  return logged_norms_.front() / logged_norms_.back();
}

template <typename T>
void Progress<T>::on_eval(const EvalInfo& e) {
  eval_ = e;
  has_eval_ = true;
  if (quiet_) return;
  const bool last = e.epoch == epochs_;
  if (terminal_ || !(e.epoch == 0 || last || due(std::chrono::seconds(5)))) return;
  if (e.classification)
    spdlog::info("epoch {}/{} step {}: train loss {:.6g} acc {:.4f}{}", e.epoch, epochs_, e.step,
                 e.train_loss, e.train_accuracy,
                 e.has_test ? fmt::format(", test loss {:.6g} acc {:.4f}", e.test_loss,
                                          e.test_accuracy)
                            : std::string());
  else
    spdlog::info("epoch {}/{} step {}: train loss {:.6g}{}", e.epoch, epochs_, e.step,
                 e.train_loss,
                 e.has_test ? fmt::format(", test loss {:.6g}", e.test_loss) : std::string());
}

template class Progress<float>;
template class Progress<double>;

}  // namespace nnlab::cli
