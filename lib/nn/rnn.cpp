// The recurrent model's specs from a config, and the spectral radius behind
// model.spectral_radius. The layers themselves: rnn_layers.h.
#include "nn/rnn.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <Eigen/Eigenvalues>

#include "base/errors.h"

namespace nnlab {

int gate_count(ModelType cell) {
  switch (cell) {
    case ModelType::rnn: return 1;
    case ModelType::lstm: return 4;
    case ModelType::gru: return 3;
    case ModelType::mlp: break;
  }
  throw std::invalid_argument("gate_count: an MLP is not a recurrent cell");
}

RecurrentSpec recurrent_spec(const ModelConfig& config, int inputs, int outputs) {
  RecurrentSpec spec;
  spec.cell = config.type == ModelType::mlp ? ModelType::rnn : config.type;
  spec.inputs = inputs;
  spec.hidden = config.width;
  spec.outputs = outputs;
  spec.activation = {config.activation, config.negative_slope, config.elu_alpha};
  return spec;
}

RecurrentInit recurrent_init_spec(const ModelConfig& config) {
  RecurrentInit init;
  init.input = {config.init.value_or(InitScheme::xavier_normal), config.gain,
                config.init_scale.value_or(0)};
  init.recurrent.gain = config.recurrent_gain;
  init.recurrent.scale = config.recurrent_init_scale.value_or(0);
  // identity: each W_hh block = gain * I, drawn by the layer (rnn_layers.h), not by init.
  if (config.recurrent_init == InitScheme::identity)
    init.recurrent_identity = true;
  else
    init.recurrent.scheme = config.recurrent_init;
  init.spectral_radius = config.spectral_radius.value_or(0);
  init.bias_init = config.bias_init;
  init.forget_bias = config.type == ModelType::lstm ? config.forget_bias : 0.0;
  return init;
}

double spectral_radius(const Mat<double>& square) {
  if (square.rows() != square.cols())
    throw std::invalid_argument("spectral_radius: the matrix is not square");
  if (square.size() == 0) return 0;
  Eigen::EigenSolver<Mat<double>> solver(square, /*computeEigenvectors=*/false);
  if (solver.info() != Eigen::Success)
    throw std::runtime_error("spectral_radius: the eigenvalue solver did not converge");
  return solver.eigenvalues().cwiseAbs().maxCoeff();
}

}  // namespace nnlab
