// libFuzzer target: the sweep reader, as `nnlab sweep SWEEP.json --list` runs it: read the file
// (relative base configs are the shipped ones in configs/), expand the runs, check every run's
// config (when there are few) and print the first runs' command lines.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "base/json_io.h"
#include "sweep/sweep.h"
#include "sweep_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnlab;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The file sits next to the shipped sweeps so that their "base" paths resolve.
  const auto path = fuzz::write_scratch("sweep.json", text);
  nlohmann::ordered_json doc;
  try {  // read_sweep_file turns this into a ConfigError naming the file
    doc = parse_ordered_json(read_json_text(path));
  } catch (const JsonError&) {
    return 0;
  }
  fuzz::refusals_allowed([&] {
    SweepSpec spec = parse_sweep(doc,
                                 NNLAB_SOURCE_DIR "/configs/sweeps/fuzz.json",
                                 (fuzz::scratch_dir() / "out").string());
    const Sweep sweep = expand_sweep(std::move(spec));
    if (sweep.runs.size() <= 16) validate_sweep(sweep);
    for (std::size_t i = 0; i < sweep.runs.size() && i < 4; ++i) {
      for (const auto& word : train_arguments(sweep.spec, sweep.runs[i], false)) shell_quote(word);
      run_assignments(sweep.spec, sweep.runs[i]);
    }
    sweep_manifest(sweep).dump();
  });
  return 0;
}
