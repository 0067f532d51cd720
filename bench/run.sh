#!/usr/bin/env bash
# The benchmark against PyTorch, one command from a fresh clone (Debian 12, as root or with sudo):
# installs what is missing, builds nnlab in Release and runs bench/run.py, which prints the
# tables, then bench/probe.sh (the probe beside PyTorch) and bench/labs.sh (every lab's time).
# Options are run.py's: --quick (a smoke run), --pairs N, --only w1,w3, --results
# bench/RESULTS.md (rewrite the results file), --json FILE (raw measurements); --quick and --only
# skip the probe and the labs.
set -euo pipefail
cd "$(dirname "$0")/.."
# python3-torch: the reference side. libopenblas-dev: nnlab's BLAS (see CMakeLists.txt), and the
# BLAS Debian's PyTorch uses once installed (without it PyTorch falls back to the reference BLAS).
scripts/install_deps.sh python3-torch libopenblas-dev
scripts/build.sh
/usr/bin/python3 bench/run.py "$@"
# The newer workloads, after the training tables (a --quick run, the smoke test's, skips them):
# the probe beside PyTorch doing the same loop, and every lab with --quick and in full.
for a in "$@"; do [[ $a == --quick || $a == --only* ]] && exit 0; done
echo
bench/probe.sh build 20
echo
bench/labs.sh build
