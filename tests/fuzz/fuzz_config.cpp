// libFuzzer target: the config reader with overrides, as `nnlab validate CONFIG --set ...` runs it.
// Input: the config file's text, then optionally a NUL byte and one override per line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz_common.h"
#include "base/json_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnlab;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  fuzz::refusals_allowed([&] {
    nlohmann::json doc = read_config_file(fuzz::write_scratch("config.json", text));
    if (nul != std::string_view::npos) {
      std::string_view rest = input.substr(nul + 1);
      while (!rest.empty()) {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        fuzz::refusals_allowed([&] { apply_override(doc, rest.substr(0, end)); });
        rest.remove_prefix(std::min(end + 1, rest.size()));
      }
    }
    ConfigContext context;
    context.base_dir = NNLAB_SOURCE_DIR "/configs";
    const Config config = parse_config(doc, context);
    // The resolved config is what a run writes as config.json and what --resume reads back.
    const nlohmann::json resolved = to_json(config);
    parse_config(parse_json(resolved.dump()), context);
  });
  return 0;
}
