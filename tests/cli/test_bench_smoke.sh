#!/usr/bin/env bash
# Smoke test of the benchmark harness (bench/): a --quick run of bench/run.py against the built
# nnlab_bench and nnlab_peak (beside NNLAB_BINARY's build directory) and PyTorch, checking that
# every workload, the logging cost and the memory line come out with numbers. The figures of a
# quick run are not measurements. Usage: test_bench_smoke.sh NNLAB_BINARY REPO_ROOT
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 NNLAB_BINARY REPO_ROOT" >&2
  exit 2
fi
NNLAB=$1
ROOT=$2
BUILD_DIR=$(dirname "$NNLAB")
PYTHON=/usr/bin/python3
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "SKIP: $PYTHON cannot import torch (apt-get install python3-torch; scripts/test.sh does)" >&2
  [ "${NNLAB_TEST_NO_SKIP:-0}" = 1 ] && exit 1
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# The bench driver refuses a bad command line and a bad config like nnlab does (exit 2).
set +e
"$BUILD_DIR/bench/nnlab_bench" >/dev/null 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "nnlab_bench without a config exited $rc, expected 2"
"$BUILD_DIR/bench/nnlab_bench" "$ROOT/bench/configs/w1.json" --set model.depth=-1 >/dev/null 2>&1
rc=$?
[[ $rc -eq 2 ]] || fail "nnlab_bench with model.depth=-1 exited $rc, expected 2"
set -e

# The driver times exactly --steps steps and leaves a complete run directory with --keep; its
# allocation counter sees the allocations of a step with a new batch size (the last, partial
# batch of an epoch: 70 = 2 x 32 + 6, whose workspace is made in that step, not by an evaluation).
out=$("$BUILD_DIR/bench/nnlab_bench" "$ROOT/bench/configs/w1.json" --warmup 0 --steps 2 \
        --set data.train_size=70 --set train.batch_size=32)
"$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["allocations_per_step"] > 0, d' "$out" \
  || fail "nnlab_bench counted no allocation in a step that makes a workspace"
out=$("$BUILD_DIR/bench/nnlab_bench" "$ROOT/bench/configs/w1.json" --warmup 2 --steps 7 --keep)
run_dir=$("$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["steps"] == 7, d; print(d["run_dir"])' "$out")
trap 'rm -rf "$tmp" "$run_dir"' EXIT
# 2 warm-up + 7 timed intervals need 10 steps (one more timestamp than intervals).
rows=$(($(wc -l < "$run_dir/metrics.csv") - 1))
[[ $rows -eq 10 ]] || fail "metrics.csv has $rows rows, expected 10"
grep -q '^10,1,W,' "$run_dir/grad_norms.csv" || fail "grad_norms.csv lacks step 10's rows"

"$PYTHON" "$ROOT/bench/run.py" --quick --build-dir "$BUILD_DIR" --json "$tmp/raw.json" \
  > "$tmp/table.md" 2> "$tmp/log.txt" || { cat "$tmp/log.txt" >&2; fail "bench/run.py --quick failed"; }
cat "$tmp/table.md"
for w in W1 W2 W3 W4 W5; do
  grep -Eq "^\| $w .*\| [0-9.]+ \| [0-9.]+ \| \*\*[0-9.]+x\*\*" "$tmp/table.md" \
    || fail "no timing row for $w"
done
grep -Eq '^\| W1 \| [0-9.]+ \| [0-9.]+ \| [-+][0-9.]+%' "$tmp/table.md" || fail "no logging-cost row"
grep -Eq '^`log.quantiles` .* W1 [-+][0-9.]+%' "$tmp/table.md" || fail "no log.quantiles cost line"
grep -Eq '^Memory .*W5 .* = \*\*[0-9.]+x W3\*\*' "$tmp/table.md" || fail "no memory line"
grep -Eq '^Sweep throughput: .* \*\*[0-9.]+x\*\*' "$tmp/table.md" || fail "no sweep line"
grep -q '^Heap allocations per nnlab step .*: none on any workload' "$tmp/table.md" \
  || fail "the step loop allocates"
"$PYTHON" - "$tmp/raw.json" <<'PY' || fail "raw measurements malformed"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["peak"] > 1, d["peak"]
assert [r["workload"] for r in d["rows"]] == ["w1", "w2", "w3", "w4", "w5"]
for r in d["rows"]:
    for k in ("nnlab_ms", "torch_ms", "ratio", "gflops", "nnlab_rss_kb", "torch_rss_kb"):
        assert isinstance(r[k], (int, float)) and math.isfinite(r[k]) and r[k] > 0, (r["workload"], k)
PY
echo "bench smoke test: ok"
