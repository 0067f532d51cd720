#!/usr/bin/env bash
# Builds nnlab, its unit tests and the libFuzzer targets with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (-O1 -g, any report fatal) in one tree ($SAN_BUILD_DIR, default
# build-asan; the library is also instrumented for libFuzzer's coverage), runs the unit tests and
# the command-line tests that fit under the sanitizers, then scripts/fuzz.sh. Not built: bench/.
# Left out (docs/hardening.md): cli.test_torch_reference, cli.test_bench_smoke, cli.test_slurm
# and cli.test_plots (they check PyTorch agreement, timings, a Slurm cluster and plotting, not
# nnlab's memory safety, and together take longer than the rest); cli.test_package (it builds and
# installs a second, uninstrumented tree); cli.test_resume (its long runs take over 10 minutes
# under ASan; the unit tests' checkpoint cases, which stop and resume after every step, run here).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${SAN_BUILD_DIR:-build-asan}
start=$(date +%s)
CC=clang CXX=clang++ cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DNNLAB_FUZZ=ON -DNNLAB_NATIVE=OFF \
  -DNNLAB_BUILD_BENCH=OFF -DNNLAB_UNITY=OFF >&2  # every file compiled on its own (CMakeLists.txt)
# Everything but bench/: nnlab, nnlab_tests, the fuzz targets, and the completions and man page
# that the install check of cli.test_config_table installs.
cmake --build "$B" -j "$(nproc)" >&2
echo "sanitize: built in $(( $(date +%s) - start ))s" >&2

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$B" --output-on-failure -j 2 \
  -E 'cli\.test_(torch_reference|bench_smoke|slurm|plots|package|resume)$'
echo "sanitize: tests done at $(( $(date +%s) - start ))s" >&2
SAN_BUILD_DIR=$B scripts/fuzz.sh
echo "sanitize: fuzzing done at $(( $(date +%s) - start ))s" >&2
