// libFuzzer target: the checkpoint reader. The input is a checkpoint without its trailing FNV-1a
// hash; the target appends the right hash, so that mutations reach the fields behind the
// checksum, then loads it (float32 and float64) and hands its tensors to the model.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "run/checkpoint.h"
#include "fuzz_common.h"
#include "model_setup.h"

namespace {
std::uint64_t fnv1a(std::string_view bytes) {  // as lib/run/checkpoint.cpp
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

template <typename T>
void load(const std::filesystem::path& path) {
  const auto checkpoint = nnlab::load_checkpoint<T>(path);
  nnlab::load_tensors(*nnlab::fuzz::fuzz_experiment<T>().model, checkpoint.tensors);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnlab;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::uint64_t hash = fnv1a(bytes);
  bytes.append(reinterpret_cast<const char*>(&hash), sizeof hash);
  const auto path = fuzz::write_scratch("checkpoint.bin", bytes);
  fuzz::refusals_allowed([&] { load<float>(path); });
  fuzz::refusals_allowed([&] { load<double>(path); });
  return 0;
}
