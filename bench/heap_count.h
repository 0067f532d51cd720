// Heap allocations counted by bench/heap_count.cpp's malloc family (every allocation of the
// process: library, libstdc++, OpenBLAS), for the benchmark programs.
#pragma once

// Allocations so far (malloc, calloc, realloc, memalign, aligned_alloc, posix_memalign).
long heap_allocations();
