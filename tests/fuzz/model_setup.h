// The small model the weights and checkpoint targets load into: tests/fuzz/model.json (an MLP
// with batch norm, so that buffers are read too). fuzz.sh makes their seeds by training it.
#pragma once

#include "config/config.h"
#include "run/experiment.h"
#include "base/json_io.h"

namespace nnlab::fuzz {

template <typename T>
Experiment<T>& fuzz_experiment() {
  static Experiment<T> e = [] {
    ConfigContext context;
    context.base_dir = NNLAB_SOURCE_DIR "/tests/fuzz";
    Config config = parse_config(read_config_file(context.base_dir / "model.json"), context);
    config.dtype = sizeof(T) == 4 ? DType::float32 : DType::float64;
    return build_experiment<T>(config);
  }();
  return e;
}

}  // namespace nnlab::fuzz
