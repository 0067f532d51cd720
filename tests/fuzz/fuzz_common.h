// Shared by the libFuzzer targets: a scratch file for readers that take a path, and the rule that
// a refusal is one of the library's typed errors (anything else escaping is a finding).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "base/errors.h"

namespace nnlab::fuzz {

// A per-process scratch directory under $TMPDIR, removed at exit (scripts/fuzz.sh points TMPDIR
// at its own temporary directory, which it removes, for exits that skip atexit).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "nnlab_fuzz.XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    return std::filesystem::path(templ);
  }();
  // Registered after `dir` is built, so it runs before `dir` is destroyed.
  static const bool removed_at_exit = std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }) == 0;
  (void)removed_at_exit;
  return dir;
}

inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  const auto path = scratch_dir() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(),
                                                               static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Runs body; the library's typed refusals (what the command line turns into exit 2 or 1 with a
// message) are expected outcomes, anything else propagates and libFuzzer reports it.
template <typename F>
void refusals_allowed(F&& body) {
  try {
    body();
  } catch (const ConfigError&) {
  } catch (const DataError&) {
  } catch (const IoError&) {
  }
}

}  // namespace nnlab::fuzz
