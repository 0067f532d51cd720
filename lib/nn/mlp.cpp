// MLP forward and backward over whole batches. Shapes: B = batch size, n(l) = width of layer l,
// n(0) = inputs, n(L) = outputs. Every matrix is (units, B), one column per sample.
#include "nn/mlp.h"

#include <cmath>

#include "base/blas.h"
#include "base/errors.h"
#include "base/per_size.h"
#include "nn/init.h"
#include "base/transpose.h"

namespace nnlab {

MlpSpec mlp_spec(const ModelConfig& config, int inputs, int outputs) {
  MlpSpec spec;
  spec.inputs = inputs;
  spec.widths = config.width;
  spec.outputs = outputs;
  spec.activation = {config.activation, config.negative_slope, config.elu_alpha};
  spec.skip = config.skip;
  spec.batch_norm = config.batch_norm;
  spec.bn_momentum = config.bn_momentum;
  spec.bn_eps = config.bn_eps;
  return spec;
}

int skip_source(const MlpSpec& spec, int layer) {
  const int source = layer - spec.skip;
  if (spec.skip == 0 || source < 0) return -1;
  const int source_width = source == 0 ? spec.inputs : spec.widths[source - 1];
  return source_width == spec.widths[layer - 1] ? source : -1;
}

template <typename T>
struct Mlp<T>::Workspace {
  int batch = 0;
  // Hidden layer l (0-based here): z = W a_in + b; u = BN(z) or z; h = act(u); a = h + a_skip.
  std::vector<Mat<T>> z, u, h, a;  // (n, B)
  std::vector<Mat<T>> zhat;        // (n, B) batch norm's normalised z
  std::vector<Vec<T>> inv_std;     // (n) batch norm's 1/sqrt(var + eps)
  std::vector<Vec<T>> mean, var;   // (n) batch norm's batch statistics; backward's row sums
  std::vector<Mat<T>> da;          // (n, B) dL/da, accumulated from above and from skips
  std::vector<char> da_set;        // whether da[l] has received its first contribution
  std::vector<Mat<T>> dz, du;      // (n, B)
  Mat<T> logits, dlogits;          // (outputs, B)
  std::vector<const Mat<T>*> out;  // out[l] = a(l) as the next layer sees it; out[0] = x
  // W(l) transposed, (n_in, n), for the layers whose dL/da_in = W^T delta is a small product:
  // OpenBLAS multiplies small matrices (up to about 10^6 multiply-adds) without repacking them,
  // but only untransposed ones; copying W^T first is faster there (bench/RESULTS.md). Empty
  // (0 x 0) for the other layers.
  std::vector<Mat<T>> W_t;
};

template <typename T>
Mlp<T>::Mlp(MlpSpec spec) : spec_(std::move(spec)) {
  use_single_thread_blas();
  const int hidden = static_cast<int>(spec_.widths.size());
  int fan_in = spec_.inputs;
  auto add = [&](int layer, const char* kind, int rows, int cols) {
    params_.push_back({"layers." + std::to_string(layer) + "." + kind, layer, kind,
                       Mat<T>::Zero(rows, cols), Mat<T>::Zero(rows, cols)});
    return static_cast<int>(params_.size()) - 1;
  };
  auto add_buffer = [&](int layer, const char* kind, int rows, T fill) {
    buffers_.push_back({"layers." + std::to_string(layer) + "." + kind,
                        Mat<T>::Constant(rows, 1, fill)});
    return static_cast<int>(buffers_.size()) - 1;
  };
  for (int l = 1; l <= hidden + 1; ++l) {
    const int fan_out = l <= hidden ? spec_.widths[l - 1] : spec_.outputs;
    LayerIndex idx;
    idx.W = add(l, "W", fan_out, fan_in);
    idx.b = add(l, "b", fan_out, 1);
    if (l <= hidden) {
      if (spec_.batch_norm) {
        idx.gamma = add(l, "gamma", fan_out, 1);
        idx.beta = add(l, "beta", fan_out, 1);
        params_[idx.gamma].value.setOnes();
        idx.running_mean = add_buffer(l, "running_mean", fan_out, T(0));
        idx.running_var = add_buffer(l, "running_var", fan_out, T(1));
      }
      idx.skip = skip_source(spec_, l);
    }
    index_.push_back(idx);
    fan_in = fan_out;
  }
  this->layer_stats_.resize(static_cast<std::size_t>(hidden + 1));
  for (int l = 0; l < hidden; ++l) this->layer_stats_[l].hidden = true;
}

template <typename T>
Mlp<T>::~Mlp() = default;

template <typename T>
void Mlp<T>::initialize(const InitSpec& init, double bias_init, Rng& rng) {
  for (const auto& idx : index_) {
    init_weights(params_[idx.W].value, init, rng);  // drawn in double, rounded to T
    params_[idx.b].value.setConstant(static_cast<T>(bias_init));
  }
}

template <typename T>
typename Mlp<T>::Workspace& Mlp<T>::workspace(int batch_size) {
  const auto batch_of = [](const Workspace& w) { return w.batch; };
  return kept_for_size(workspaces_, batch_size, batch_of, [&] {
    auto w = std::make_unique<Workspace>();
    w->batch = batch_size;
    const std::size_t hidden = spec_.widths.size();
    for (auto* v : {&w->z, &w->u, &w->h, &w->a, &w->zhat, &w->da, &w->dz, &w->du}) v->resize(hidden);
    for (auto* v : {&w->inv_std, &w->mean, &w->var}) v->resize(hidden);
    w->da_set.resize(hidden);
    for (std::size_t l = 0; l < hidden; ++l) {
      const int n = spec_.widths[l];
      for (auto* v : {&w->z, &w->h, &w->da, &w->dz}) (*v)[l].resize(n, batch_size);
      if (spec_.batch_norm) {
        w->u[l].resize(n, batch_size);
        w->zhat[l].resize(n, batch_size);
        w->du[l].resize(n, batch_size);
        w->inv_std[l].resize(n);
      }
      if (index_[l].skip >= 0) w->a[l].resize(n, batch_size);
    }
    w->W_t.resize(hidden + 1);
    for (std::size_t l = 1; l <= hidden; ++l) {  // layer 0's input gradient is never needed
      const Mat<T>& W = params_[index_[l].W].value;
      constexpr double kUnpackedProduct = 1 << 20;  // multiply-adds
      if (static_cast<double>(W.size()) * batch_size <= kUnpackedProduct)
        w->W_t[l].resize(W.cols(), W.rows());
    }
    w->logits.resize(spec_.outputs, batch_size);
    w->dlogits.resize(spec_.outputs, batch_size);
    w->out.resize(hidden + 1);
    return w;
  });
}

template <typename T>
void Mlp<T>::forward(const Batch<T>& batch, StepRange, bool training) {
  const Mat<T>& x = batch.x.front();  // (n0, B)
  Workspace& w = workspace(static_cast<int>(x.cols()));
  current_ = &w;
  const std::size_t hidden = spec_.widths.size();
  const T eps = static_cast<T>(spec_.bn_eps), momentum = static_cast<T>(spec_.bn_momentum);
  const auto batch_size = static_cast<T>(x.cols());
  w.out[0] = &x;
  for (std::size_t l = 0; l < hidden; ++l) {
    const LayerIndex& idx = index_[l];
    w.z[l].colwise() = params_[idx.b].value.col(0);
    w.z[l].noalias() += params_[idx.W].value * *w.out[l];  // (n, B) = (n, n_in) (n_in, B)
    const Mat<T>* pre = &w.z[l];                        // what the activation sees
    if (spec_.batch_norm) {
      auto& rmean = buffers_[idx.running_mean].value;
      auto& rvar = buffers_[idx.running_var].value;
      Vec<T>& mean = w.mean[l];
      Vec<T>& var = w.var[l];
      if (training) {
        mean = w.z[l].rowwise().mean();
        w.zhat[l] = w.z[l].colwise() - mean;
        var = w.zhat[l].rowwise().squaredNorm() / batch_size;  // biased, as normalisation uses
        w.inv_std[l] = (var.array() + eps).rsqrt();
        rmean = (T(1) - momentum) * rmean + momentum * mean;
        if (x.cols() > 1)  // the running variance is unbiased, as in PyTorch
          rvar = (T(1) - momentum) * rvar + (momentum * batch_size / (batch_size - T(1))) * var;
      } else {
        w.zhat[l] = w.z[l].colwise() - rmean.col(0);
        w.inv_std[l] = (rvar.array() + eps).rsqrt();
      }
      w.zhat[l].array().colwise() *= w.inv_std[l].array();
      w.u[l] = (w.zhat[l].array().colwise() * params_[idx.gamma].value.col(0).array())
                   .colwise() + params_[idx.beta].value.col(0).array();
      pre = &w.u[l];
    }
    spec_.activation.forward(*pre, w.h[l]);
    if (idx.skip >= 0) {
      w.a[l] = w.h[l] + *w.out[idx.skip];
      w.out[l + 1] = &w.a[l];
    } else {
      w.out[l + 1] = &w.h[l];
    }
    if (this->collect_stats_) {
      LayerStats& s = this->layer_stats_[l];
      // Two passes in double: sqrt(E[h^2] - mean^2) cancels badly for saturated units,
      // exactly the case this file is for.
      spec_.activation.output_stats(*pre, w.h[l], s.act_mean, s.act_std, s.act_saturated);
      if (this->collect_z_sq_)
        s.z_sq_mean =
            static_cast<double>(w.z[l].squaredNorm()) / static_cast<double>(w.z[l].size());
    }
  }
  const LayerIndex& out = index_.back();
  w.logits.colwise() = params_[out.b].value.col(0);
  w.logits.noalias() += params_[out.W].value * *w.out[hidden];  // (outputs, B)
  if (this->collect_z_sq_)
    this->layer_stats_[hidden].z_sq_mean =
        static_cast<double>(w.logits.squaredNorm()) / static_cast<double>(w.logits.size());
}

template <typename T>
const Mat<T>& Mlp<T>::output(int) const {
  return current_->logits;
}

template <typename T>
Mat<T>& Mlp<T>::doutput(int) {
  return current_->dlogits;
}

template <typename T>
void Mlp<T>::backward(const Batch<T>&, StepRange) {
  Workspace& w = *current_;
  const std::size_t hidden = spec_.widths.size();
  std::fill(w.da_set.begin(), w.da_set.end(), 0);
  // Adds g to dL/da of hidden layer l (0-based), the first contribution assigning.
  auto add_da = [&w](std::size_t l, const auto& g) {
    if (w.da_set[l]) {
      w.da[l].noalias() += g;
    } else {
      w.da[l].noalias() = g;
      w.da_set[l] = 1;
    }
  };

  // Output layer: delta(L) = dlogits.
  const LayerIndex& out = index_.back();
  params_[out.W].grad.noalias() = w.dlogits * w.out[hidden]->transpose();  // (outputs, n)
  params_[out.b].grad = w.dlogits.rowwise().sum();
  if (this->collect_stats_) this->layer_stats_[hidden].delta_norm = w.dlogits.norm();
  // dL/da_in = W^T delta, through a transposed copy for small products (see Workspace::W_t).
  auto back_through = [&](std::size_t layer, std::size_t l, const Mat<T>& delta) {
    const Mat<T>& W = params_[index_[layer].W].value;
    Mat<T>& W_t = w.W_t[layer];
    if (W_t.size() > 0) {
      transpose_into(W, W_t);
      add_da(l, W_t * delta);
    } else {
      add_da(l, W.transpose() * delta);
    }
  };
  if (hidden > 0) back_through(hidden, hidden - 1, w.dlogits);

  for (std::size_t l = hidden; l-- > 0;) {
    const LayerIndex& idx = index_[l];
    // a = h + a_skip: dL/dh = dL/da, and dL/da flows unchanged to the skip's source.
    if (idx.skip > 0) add_da(static_cast<std::size_t>(idx.skip) - 1, w.da[l]);
    if (spec_.batch_norm) {
      // u = gamma * zhat + beta, zhat = (z - mean) * inv_std over the batch.
      spec_.activation.backward(w.da[l], w.u[l], w.h[l], w.du[l]);
      params_[idx.gamma].grad = (w.du[l].cwiseProduct(w.zhat[l])).rowwise().sum();
      params_[idx.beta].grad = w.du[l].rowwise().sum();
      const auto batch_size = static_cast<T>(w.batch);
      // dz = inv_std / B * (B dzhat - sum(dzhat) - zhat * sum(dzhat * zhat)), dzhat = gamma du.
      w.du[l].array().colwise() *= params_[idx.gamma].value.col(0).array();  // now dzhat
      Vec<T>& sum_dzhat = w.mean[l];
      Vec<T>& sum_dzhat_zhat = w.var[l];
      sum_dzhat = w.du[l].rowwise().sum();
      sum_dzhat_zhat = w.du[l].cwiseProduct(w.zhat[l]).rowwise().sum();
      w.dz[l] = batch_size * w.du[l];
      w.dz[l].colwise() -= sum_dzhat;
      w.dz[l].array() -= w.zhat[l].array().colwise() * sum_dzhat_zhat.array();
      w.dz[l].array().colwise() *= w.inv_std[l].array() / batch_size;
    } else {
      spec_.activation.backward(w.da[l], w.z[l], w.h[l], w.dz[l]);
    }
    // dW = delta a_in^T, db = delta summed over the batch, da_in = W^T delta.
    params_[idx.W].grad.noalias() = w.dz[l] * w.out[l]->transpose();  // (n, n_in)
    params_[idx.b].grad = w.dz[l].rowwise().sum();
    if (this->collect_stats_) this->layer_stats_[l].delta_norm = w.dz[l].norm();
    if (l > 0) back_through(l, l - 1, w.dz[l]);
  }
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace nnlab
