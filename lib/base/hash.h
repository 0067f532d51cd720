// FNV-1a, 64 bits: the one hash behind checkpoint checksums, the data fingerprint, the seeds of
// named random streams and the suffix of shortened run names. Not cryptographic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nnlab {

inline constexpr std::uint64_t kFnv1aOffset = 0xCBF29CE484222325ULL;

// Continues `h` over `n` bytes (start from kFnv1aOffset).
inline std::uint64_t fnv1a_bytes(const void* data, std::size_t n, std::uint64_t h = kFnv1aOffset) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ULL;
  return h;
}

inline std::uint64_t fnv1a(std::string_view text) { return fnv1a_bytes(text.data(), text.size()); }

}  // namespace nnlab
