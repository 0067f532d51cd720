#!/usr/bin/env bash
# The benchmark against PyTorch, one command from a fresh clone (Debian 12, as root or with sudo):
# installs what is missing, builds nnlab in Release and runs bench/run.py, which prints the
# tables. Options are run.py's: --quick (a smoke run), --pairs N, --only w1,w3,
# --results bench/RESULTS.md (rewrite the results file), --json FILE (raw measurements).
set -euo pipefail
cd "$(dirname "$0")/.."
# python3-torch: the reference side. libopenblas-dev: nnlab's BLAS (see CMakeLists.txt), and the
# BLAS Debian's PyTorch uses once installed (without it PyTorch falls back to the reference BLAS).
scripts/install_deps.sh python3-torch libopenblas-dev
scripts/build.sh
exec /usr/bin/python3 bench/run.py "$@"
