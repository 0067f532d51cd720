// Terminal progress line and periodic log lines.
#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include <spdlog/spdlog.h>

namespace nnlab::cli {

template <typename T>
Progress<T>::Progress(long total_steps, int epochs, bool quiet)
    : total_steps_(total_steps),
      epochs_(epochs),
      quiet_(quiet),
      terminal_(isatty(STDERR_FILENO) != 0),
      last_(std::chrono::steady_clock::now()) {}

template <typename T>
Progress<T>::~Progress() {
  if (line_open_) std::fputc('\n', stderr);
}

template <typename T>
bool Progress<T>::due(std::chrono::steady_clock::duration interval) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval) return false;
  last_ = now;
  return true;
}

template <typename T>
void Progress<T>::on_step(const StepInfo& info, Model<T>&) {
  if (quiet_ || !terminal_ || !due(std::chrono::milliseconds(100))) return;
  std::fprintf(stderr, "\r\033[Kstep %ld/%ld  epoch %d/%d  loss %.6g  grad_norm %.4g%s", info.step,
               total_steps_, info.epoch, epochs_, info.loss, info.grad_norm,
               info.clipped ? " (clipped)" : "");
  std::fflush(stderr);
  line_open_ = true;
}

template <typename T>
void Progress<T>::on_eval(const EvalInfo& e) {
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
