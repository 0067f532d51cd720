// The multi-layer perceptron of the chapter: z(l) = W(l) a(l-1) + b(l), a(l) = act(z(l)), with
// optional batch norm on z(l) and residual connections a(l) = act(z(l)) + a(l-s).
#pragma once

#include <memory>
#include <vector>

#include "nn/activation.h"
#include "config/config.h"
#include "nn/model.h"
#include "base/rng.h"

namespace nnlab {

struct MlpSpec {
  int inputs = 0;
  std::vector<int> widths;  // hidden layers
  int outputs = 1;
  ActivationFn activation;
  int skip = 0;             // residual span s; a connection exists only where widths agree
  bool batch_norm = false;
  double bn_momentum = 0.1;
  double bn_eps = 1e-5;
};

MlpSpec mlp_spec(const ModelConfig& config, int inputs, int outputs);

// For hidden layer l (1-based), the layer whose output is added to act(z(l)), 0 meaning the
// input x, or -1 when there is no residual connection (skip = 0, l - s < 0, or widths differ).
int skip_source(const MlpSpec& spec, int layer);

template <typename T>
class Mlp final : public Model<T> {
 public:
  explicit Mlp(MlpSpec spec);
  ~Mlp() override;

  // Draws every W with `init` and sets every b to bias_init; gamma = 1, beta = 0.
  void initialize(const struct InitSpec& init, double bias_init, Rng& rng);

  std::vector<Param<T>>& params() override { return params_; }
  std::vector<Buffer<T>>& buffers() override { return buffers_; }
  int num_layers() const override { return static_cast<int>(spec_.widths.size()) + 1; }
  int num_outputs() const override { return spec_.outputs; }
  const MlpSpec& spec() const { return spec_; }

  void reset_state(int) override {}
  void forward(const Batch<T>& batch, StepRange steps, bool training) override;
  const Mat<T>& output(int t) const override;
  Mat<T>& doutput(int t) override;
  void backward(const Batch<T>& batch, StepRange steps) override;

 private:
  struct Workspace;
  Workspace& workspace(int batch_size);

  MlpSpec spec_;
  std::vector<Param<T>> params_;
  std::vector<Buffer<T>> buffers_;
  // Indices into params_/buffers_ per layer (0-based; the last is the output layer).
  struct LayerIndex { int W, b, gamma = -1, beta = -1, running_mean = -1, running_var = -1, skip = -1; };
  std::vector<LayerIndex> index_;
  // Caches of what backward needs, one per batch size seen, so the step loop never allocates.
  std::vector<std::unique_ptr<Workspace>> workspaces_;
  Workspace* current_ = nullptr;
};

}  // namespace nnlab
