// A fast transposed copy, dst = src^T, for the weight matrices whose transpose feeds a BLAS
// product (small products run faster untransposed, see mlp.cpp and rnn.cpp). Eigen's own
// `dst = src.transpose()` copies one coefficient at a time with strided reads; this moves
// (P x P) tiles through SIMD registers with Eigen's packet transpose (P = floats or doubles per
// vector register), 4-20x faster for the sizes nnlab meets, and exactly the same values.
#pragma once

#include "base/tensor.h"

namespace nnlab {

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // __m512 etc. as template arguments
#endif

// dst (cols, rows) = src (rows, cols)^T; dst is resized if needed (outside any step loop, the
// caller's buffer already has the shape).
template <typename T>
void transpose_into(const Mat<T>& src, Mat<T>& dst) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<T>::type;
  constexpr int P = ei::unpacket_traits<Packet>::size;
  const Eigen::Index rows = src.rows(), cols = src.cols();
  dst.resize(cols, rows);
  Eigen::Index j0 = 0;
  if constexpr (P > 1) {
    for (; j0 + P <= cols; j0 += P) {
      Eigen::Index i0 = 0;
      for (; i0 + P <= rows; i0 += P) {  // tile: rows i0.., columns j0..
        ei::PacketBlock<Packet, P> tile;
        for (int k = 0; k < P; ++k) tile.packet[k] = ei::ploadu<Packet>(&src.coeffRef(i0, j0 + k));
        ei::ptranspose(tile);
        for (int k = 0; k < P; ++k) ei::pstoreu(&dst.coeffRef(j0, i0 + k), tile.packet[k]);
      }
      for (Eigen::Index i = i0; i < rows; ++i)
        for (int k = 0; k < P; ++k) dst(j0 + k, i) = src(i, j0 + k);
    }
  }
  for (Eigen::Index j = j0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) dst(j, i) = src(i, j);
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

}  // namespace nnlab
