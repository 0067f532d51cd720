#!/usr/bin/env bash
# nnlab against PyTorch: trains reference configs in nnlab and in PyTorch (float64, and float32)
# from the same initial weights and batches and compares every step's loss and gradient norms,
# the per-layer deltas, activation statistics, evaluations and the final weights
# (tests/reference/torch_reference.py). Usage: test_torch_reference.sh NNLAB_BINARY REPO_ROOT
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 NNLAB_BINARY REPO_ROOT" >&2
  exit 2
fi
NNLAB=$1
ROOT=$2
PYTHON=/usr/bin/python3
if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "SKIP: $PYTHON cannot import torch and numpy, which this test needs (it checks nnlab" >&2
  echo "against PyTorch). Install them with: apt-get install python3-torch python3-numpy" >&2
  echo "(scripts/quickstart.sh and the CI install them)." >&2
  [ "${NNLAB_TEST_NO_SKIP:-0}" = 1 ] && exit 1
  exit 77
fi
exec "$PYTHON" "$ROOT/tests/reference/torch_reference.py" "$NNLAB" "$ROOT"
