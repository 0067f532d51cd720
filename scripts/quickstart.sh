#!/usr/bin/env bash
# Quick start: install what is missing, build in Release, and train a small sigmoid MLP on the
# built-in two-moons data. Prints the run directory; its CSVs hold the loss and gradient norms.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh nnlab  # only the binary: the tests and benchmarks are scripts/test.sh's
run_dir=$(./build/nnlab train configs/quickstart.json)
echo "run directory: $run_dir" >&2
echo "first layer vs last layer gradient norms (step 1):" >&2
grep -E '^1,[0-9]+,W,' "$run_dir/grad_norms.csv" >&2 || true
echo "$run_dir"
