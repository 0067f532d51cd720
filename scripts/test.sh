#!/usr/bin/env bash
# Builds nnlab and runs the whole test suite (unit tests and command-line tests) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh python3-torch  # PyTorch: the reference the tests compare against
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2
