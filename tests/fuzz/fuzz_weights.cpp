// libFuzzer target: the weights reader (model.weights), loading into the float32 and float64
// builds of tests/fuzz/model.json.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "model_setup.h"
#include "nn/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnlab;
  const auto path =
      fuzz::write_scratch("weights.json", std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::refusals_allowed([&] { load_weights(*fuzz::fuzz_experiment<float>().model, path); });
  fuzz::refusals_allowed([&] { load_weights(*fuzz::fuzz_experiment<double>().model, path); });
  return 0;
}
