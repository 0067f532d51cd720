// The one random number generator of nnlab: xoshiro256** (Blackman & Vigna) seeded through
// splitmix64, with uniforms and normals computed here rather than by <random>'s distributions,
// whose output differs between standard libraries. Normals come from the 256-layer ziggurat of
// Marsaglia & Tsang (2000), as numpy's Generator draws them: one 64-bit draw per normal in 98.8%
// of cases, no libm call but in the wedges and the tail. Same binary and seed => same numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nnlab {

// The whole state of an Rng, so that a checkpoint can continue its sequence exactly.
struct RngState {
  std::uint64_t s[4] = {0, 0, 0, 0};
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  RngState state() const;
  void set_state(const RngState& state);

  std::uint64_t next_u64();
  double uniform();                       // [0, 1), 53 random bits
  double uniform(double lo, double hi);   // [lo, hi)
  double normal();                        // N(0, 1), ziggurat
  double normal(double mean, double stddev);
  // out[k] = T(stddev * normal()) for k = 0..n-1: the same numbers as a loop of normal(), drawn
  // in one call (weight initialisation draws millions).
  template <typename T>
  void normals(T* out, std::size_t n, double stddev);
  std::uint64_t below(std::uint64_t n);   // uniform integer in [0, n), unbiased (Lemire)
  template <typename Index>
  void shuffle(std::vector<Index>& v) {   // Fisher-Yates
    for (std::size_t i = v.size(); i > 1; --i) {
      std::size_t j = below(i);
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::uint64_t s_[4];
};

// An independent seed for one purpose ("init", "data", "shuffle") derived from the run's seed,
// so that, for example, changing the data does not change the initial weights.
std::uint64_t derive_seed(std::uint64_t seed, std::string_view stream);

}  // namespace nnlab
