// The machine's single-thread fp32 FMA peak, measured: independent chains of fused multiply-adds
// on the widest vectors the compiler targets (-O3 -march=native), enough chains to hide the FMA
// latency on every current x86 core. Prints {"gflops": best of several runs} on stdout.
//
// Each chain is acc = acc * m + a, with |m| < 1 so the values stay finite; the final sum is
// printed to stderr so that the compiler cannot drop the loop.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

#if defined(__AVX512F__)
using V = __m512;
constexpr int kLanes = 16;
inline V set1(float x) { return _mm512_set1_ps(x); }
inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline float hsum(V v) {  // not _mm512_reduce_add_ps: GCC 12's header warns inside it
  alignas(64) float f[16];
  _mm512_store_ps(f, v);
  float s = 0;
  for (float x : f) s += x;
  return s;
}
#elif defined(__AVX2__) && defined(__FMA__)
using V = __m256;
constexpr int kLanes = 8;
inline V set1(float x) { return _mm256_set1_ps(x); }
inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline float hsum(V v) {
  alignas(32) float f[8];
  _mm256_store_ps(f, v);
  float s = 0;
  for (float x : f) s += x;
  return s;
}
#else
#error "bench/peak.cpp needs AVX2 + FMA or AVX-512 (build with -march=native)"
#endif

constexpr int kChains = 12;  // >= FMA latency (4) x FMA ports (2), with headroom

float run(long iterations) {
  V acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = set1(0.001f * static_cast<float>(c + 1));
  const V m = set1(0.999999f), a = set1(1e-7f);
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = fma(acc[c], m, a);
  }
  float s = 0;
  for (int c = 0; c < kChains; ++c) s += hsum(acc[c]);
  return s;
}

}  // namespace

int main() {
  constexpr long kIterations = 50'000'000;
  const double flops = 2.0 * kLanes * kChains * static_cast<double>(kIterations);
  double best = 0, sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    sink += run(kIterations);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flops / s / 1e9);
  }
  std::fprintf(stderr, "(checksum %g)\n", sink);
  std::printf("{\"gflops\": %.2f, \"vector_lanes\": %d}\n", best, kLanes);
  return 0;
}
