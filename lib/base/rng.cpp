// xoshiro256** with splitmix64 seeding; ziggurat normals. See rng.h.
#include "base/rng.h"

#include <bit>
#include <cmath>

#include "base/hash.h"

namespace nnlab {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
__extension__ typedef unsigned __int128 u128;

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// One step of xoshiro256** on the state s.
inline std::uint64_t xoshiro_next(std::uint64_t (&s)[4]) {
  const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
  const std::uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

// The ziggurat (Marsaglia & Tsang 2000, "The ziggurat method for generating random variables")
// under f(x) = exp(-x^2/2), x >= 0: 255 rectangles of equal area v stacked on a base strip of the
// same area that holds the tail beyond r. Layer i (1..255) spans f(x_i) <= y <= f(x_{i-1}) and
// 0 <= x <= x_i, with x_255 = r and x_0 = 0 on top; layer 0 is the base, of width v / f(r).
// The tables are built once from r and v (the constants numpy's Generator uses).
constexpr double kZigR = 3.6541528853610088;  // x_255, where the tail begins
constexpr double kZigV = 4.92867323399e-3;     // the area of each layer
constexpr double kTwo52 = 0x1.0p52;

struct Ziggurat {
  std::uint64_t k[256];  // a 52-bit magnitude m is inside the layer's rectangle if m < k[i]
  double w[256];         // x = m * w[i], i.e. w[i] = x_i / 2^52 (the base's width for i = 0)
  double f[256];         // f(x_i); f[0] = f(x_0) = 1
};

Ziggurat make_ziggurat() {
  Ziggurat z{};
  const double base = kZigV / std::exp(-0.5 * kZigR * kZigR);
  z.k[0] = static_cast<std::uint64_t>(kZigR / base * kTwo52);
  z.k[1] = 0;  // the top layer has no part that is surely under the curve
  z.w[0] = base / kTwo52;
  z.w[255] = kZigR / kTwo52;
  z.f[0] = 1.0;
  z.f[255] = std::exp(-0.5 * kZigR * kZigR);
  double x = kZigR;  // x_{i+1} on entry, x_i on exit
  for (int i = 254; i >= 1; --i) {
    const double next = std::sqrt(-2.0 * std::log(kZigV / x + std::exp(-0.5 * x * x)));
    z.k[i + 1] = static_cast<std::uint64_t>(next / x * kTwo52);
    x = next;
    z.f[i] = std::exp(-0.5 * x * x);
    z.w[i] = x / kTwo52;
  }
  return z;
}

// Built on first use (thread-safe), so that an Rng drawn from in another file's static
// initialiser cannot meet an empty table.
const Ziggurat& ziggurat() {
  static const Ziggurat z = make_ziggurat();
  return z;
}
}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

RngState Rng::state() const {
  RngState st;
  for (int i = 0; i < 4; ++i) st.s[i] = s_[i];
  return st;
}

void Rng::set_state(const RngState& st) {
  for (int i = 0; i < 4; ++i) s_[i] = st.s[i];
}

std::uint64_t Rng::next_u64() { return xoshiro_next(s_); }

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

namespace {
// One 64-bit draw r: bits 0-7 pick the layer, bit 8 the sign, bits 12-63 the magnitude, so that
// no bit serves twice (the flaw of the original's 32-bit version, Doornik 2005).
// The sign is applied to the bits, without a branch that would miss half the time.
double signed_x(std::uint64_t r, double x) {
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ ((r & 0x100) << 55));
}

// The 1.2% of draws outside a layer's rectangle: the wedge or the tail, then new draws until one
// is accepted. Out of line, so that the fast path below stays small where it is inlined.
[[gnu::noinline]] double normal_slow(Rng& rng, std::uint64_t r) {
  const Ziggurat& z = ziggurat();
  for (;;) {
    const unsigned i = static_cast<unsigned>(r & 0xff);
    const std::uint64_t m = r >> 12;
    const double x = static_cast<double>(m) * z.w[i];
    if (m < z.k[i]) return signed_x(r, x);
    if (i == 0) {  // the tail beyond r, by Marsaglia's (1964) exact method
      for (;;) {
        const double a = -std::log1p(-rng.uniform()) / kZigR;
        const double b = -std::log1p(-rng.uniform());
        if (b + b > a * a) return signed_x(r, kZigR + a);
      }
    }
    // The wedge between the rectangle and the curve: accept under f.
    if (z.f[i] + rng.uniform() * (z.f[i - 1] - z.f[i]) < std::exp(-0.5 * x * x))
      return signed_x(r, x);
    r = rng.next_u64();
  }
}

}  // namespace

template <typename T>
void Rng::normals(T* out, std::size_t n, double stddev) {
  // The ziggurat's fast path with the state in registers (written back only for the slow path).
  const Ziggurat& t = ziggurat();
  std::uint64_t s[4] = {s_[0], s_[1], s_[2], s_[3]};
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t r = xoshiro_next(s);
    const unsigned i = static_cast<unsigned>(r & 0xff);
    const std::uint64_t m = r >> 12;
    double z;
    if (m < t.k[i]) [[likely]] {
      z = signed_x(r, static_cast<double>(m) * t.w[i]);
    } else {
      for (int j = 0; j < 4; ++j) s_[j] = s[j];
      z = normal_slow(*this, r);
      for (int j = 0; j < 4; ++j) s[j] = s_[j];
    }
    out[k] = static_cast<T>(stddev * z);
  }
  for (int j = 0; j < 4; ++j) s_[j] = s[j];
}
template void Rng::normals(float*, std::size_t, double);
template void Rng::normals(double*, std::size_t, double);

double Rng::normal() {  // one draw of the same sequence (1.0 * z is z exactly)
  double z;
  normals(&z, 1, 1.0);
  return z;
}

double Rng::normal(double mean, double stddev) { return mean + stddev * normal(); }

std::uint64_t Rng::below(std::uint64_t n) {
  // Lemire's nearly divisionless method with rejection: exact uniformity.
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::uint64_t derive_seed(std::uint64_t seed, std::string_view stream) {
  std::uint64_t x = seed ^ fnv1a(stream);
  return splitmix64(x);
}

}  // namespace nnlab
