// One BLAS thread: see blas.h.
#include "base/blas.h"

#ifdef NNLAB_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);  // OpenBLAS's cblas.h
#endif

namespace nnlab {

void use_single_thread_blas() {
#ifdef NNLAB_OPENBLAS
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
#endif
}

}  // namespace nnlab
