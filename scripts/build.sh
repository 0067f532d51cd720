#!/usr/bin/env bash
# Configures and builds nnlab in Release into ./build (or $BUILD_DIR): every target, or only the
# targets named as arguments (scripts/quickstart.sh builds just `nnlab`).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >&2
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}" >&2
