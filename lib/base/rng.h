// The one random number generator of nnlab: xoshiro256** (Blackman & Vigna) seeded through
// splitmix64, with uniforms and normals computed here rather than by <random>'s distributions,
// whose output differs between standard libraries. Same seed => same numbers on every platform.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace nnlab {

// The whole state of an Rng, so that a checkpoint can continue its sequence exactly.
struct RngState {
  std::uint64_t s[4] = {0, 0, 0, 0};
  double spare_normal = 0.0;
  bool has_spare = false;
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  RngState state() const;
  void set_state(const RngState& state);

  std::uint64_t next_u64();
  double uniform();                       // [0, 1), 53 random bits
  double uniform(double lo, double hi);   // [lo, hi)
  double normal();                        // N(0, 1), Box-Muller (both values used)
  double normal(double mean, double stddev);
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
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

// An independent seed for one purpose ("init", "data", "shuffle") derived from the run's seed,
// so that, for example, changing the data does not change the initial weights.
std::uint64_t derive_seed(std::uint64_t seed, std::string_view stream);

}  // namespace nnlab
