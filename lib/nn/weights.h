// weights.json: a model's parameters and buffers by name, W(l) as (out, in) row lists as in
// z = W a + b, biases and batch-norm vectors as flat lists. The same file that a run writes is
// what model.weights reads. Format:
//   {"format": "nnlab-weights", "version": 1, "dtype": "float32",
//    "tensors": {"layers.1.W": [[0.2, -0.4], [0.5, 0.1]], "layers.1.b": [0.1, -0.1], ...}}
#pragma once

#include <filesystem>
#include <string>

#include "config/config.h"
#include "nn/model.h"

namespace nnlab {

template <typename T>
std::string weights_to_json(Model<T>& model, DType dtype);

// Overwrites the model's parameters and buffers from a weights file. Every tensor of the model
// must be present with its shape and no other tensor may be; problems throw ConfigError naming
// model.weights. Buffers absent from the file keep their defaults.
template <typename T>
void load_weights(Model<T>& model, const std::filesystem::path& path);

}  // namespace nnlab
