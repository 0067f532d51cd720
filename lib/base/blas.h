// The BLAS that Eigen hands its matrix products to when nnlab is built with NNLAB_BLAS
// (EIGEN_USE_BLAS, OpenBLAS): nnlab computes on one thread, so OpenBLAS must not start its own.
#pragma once

namespace nnlab {

// Restricts OpenBLAS to the calling thread (once per process; later calls do nothing). Every
// model's constructor calls it, before any product runs. Without NNLAB_BLAS it does nothing.
void use_single_thread_blas();

}  // namespace nnlab
