// libFuzzer target: the CSV loader (data.type "csv"): read, split and standardise a file, with the
// task found from the target column and, again, forced to regression.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/data.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnlab;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  DataConfig config;
  config.type = DataKind::csv;
  config.path = fuzz::write_scratch("data.csv", text).string();
  fuzz::refusals_allowed([&] { make_dataset(config, 7); });
  config.task = Task::regression;
  config.test_fraction = 0.5;
  fuzz::refusals_allowed([&] { make_dataset(config, 7); });
  return 0;
}
