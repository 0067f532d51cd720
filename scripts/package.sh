#!/usr/bin/env bash
# Builds the Debian package of nnlab (cpack, DEB) in build-package/ (or $PACKAGE_BUILD_DIR) and
# prints the .deb's path. The binary is built for any x86-64 CPU (-DNNLAB_NATIVE=OFF), without
# the tests and the benchmark programs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh help2man dpkg-dev >&2
dir=${PACKAGE_BUILD_DIR:-build-package}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DNNLAB_NATIVE=OFF -DNNLAB_BUILD_TESTS=OFF \
  -DNNLAB_BUILD_BENCH=OFF >&2
cmake --build "$dir" -j "$(nproc)" >&2
(cd "$dir" && cpack -G DEB >&2)
ls "$(cd "$dir" && pwd)"/nnlab_*.deb
