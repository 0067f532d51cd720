#!/usr/bin/env bash
# End-to-end tests of hostile inputs (docs/hardening.md): deeply nested JSON in a config, a --set
# value, a sweep file and a run's config.json; duplicate keys; 1e400; a weights path that is a
# directory; a diverged run's JSON files read back by Python and by nnlab; the 1-row CSV warning;
# a 1 MB key without a suggestion. Usage: test_hardening.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"

deep() { "$PY" -c "import sys; n=int(sys.argv[1]); print('['*n + ']'*n)" "$1"; }
refused() {  # refused WHAT PATTERN: exit 2, the pattern on stderr, no signal, nothing created
  check "$1: exit 2 (got $code)" test "$code" -eq 2
  check "$1: message" grep -q -- "$2" "$WORK/err"
  check "$1: no run directory" test ! -e "$WORK/runs"
}

cat >"$WORK/good.json" <<'JSON'
{"name": "good", "seed": 2,
 "data": {"type": "moons", "train_size": 64, "test_size": 32},
 "model": {"depth": 2, "width": 8, "activation": "tanh"},
 "train": {"epochs": 2, "batch_size": 16},
 "log": {"every": 2, "dir": "runs"}}
JSON

# --- nesting depth: every JSON the program reads ------------------------------------------------
echo "{\"name\": \"deep\", \"model\": {\"width\": $(deep 60000)}}" >"$WORK/deep.json"
run validate "$WORK/deep.json"
refused "deep config" "deep.json: nested deeper than 128 levels at line 1, column"
run train "$WORK/deep.json"
refused "deep config (train)" "nested deeper than 128 levels"
run validate "$WORK/good.json" --set "model.width=$(deep 20000)"
refused "deep --set" "error: --set model.width: nested deeper than 128 levels"
cat >"$WORK/sweep.json" <<JSON
{"base": "good.json", "out": "$WORK/sweep_out", "grid": {"model.width": [$(deep 60000)]}}
JSON
run sweep "$WORK/sweep.json" --list
refused "deep sweep" "sweep.json: nested deeper than 128 levels"
mkdir -p "$WORK/runs_done/r1"
echo "{\"name\": \"r1\", \"x\": $(deep 60000)}" >"$WORK/runs_done/r1/config.json"
echo '{"status": "completed"}' >"$WORK/runs_done/r1/summary.json"
run summarize "$WORK/runs_done"
check "summarize over a deep config.json: no crash (got $code)" test "$code" -lt 128
check "summarize skips the unreadable run" grep -q "unreadable config.json; skipped" "$WORK/err"

# --- duplicate keys, number overflow -----------------------------------------------------------
printf '{"name": "dup",\n "seed": 1,\n "seed": 2}\n' >"$WORK/dup.json"
run validate "$WORK/dup.json"
refused "duplicate key" 'dup.json: duplicate key "seed" at the top level'
printf '{"name": "dup", "train": {"lr": 0.1, "epochs": 2, "lr": 0.5}}\n' >"$WORK/dup2.json"
run validate "$WORK/dup2.json"
refused "nested duplicate key" 'duplicate key "lr" in train'
printf '{"name": "big",\n "train": {"lr": 1e400}}\n' >"$WORK/big.json"
run train "$WORK/big.json"
refused "1e400 in a config" "big.json: number 1e400 at line 2, column 18 is out of the range of a double"
run validate "$WORK/good.json" --set train.lr=1e400
refused "1e400 in --set" 'train.lr: expected a number'

# --- did-you-mean only for short keys (a 1 MB key costs no edit distance) ----------------------
key=$("$PY" -c "print('a' * 1000000)")
echo "{\"model\": {\"$key\": 1}}" >"$WORK/longkey.json"
run validate "$WORK/longkey.json"
refused "1 MB key" "unknown key"
check "1 MB key: no suggestion" bash -c "! grep -q 'did you mean' '$WORK/err'"

# --- weights: a directory, non-finite values ----------------------------------------------------
mkdir -p "$WORK/wdir"
run validate "$ROOT/configs/worked_example.json" --set "model.weights=$WORK/wdir"
refused "weights path is a directory" "wdir is a directory, not a weights file"

# A run whose batch-norm running variances overflow float32 (features of 1e30, not standardised):
# weights.json holds non-finite buffers, written as null (JSON has no nan or inf).
"$PY" -c "
import random
random.seed(1)
print('a,b,y')
for i in range(40): print(f'{random.uniform(-1, 1) * 1e30:.6g},{random.uniform(-1, 1) * 1e30:.6g},{i % 2}')
" >"$WORK/huge.csv"
run train "$ROOT/configs/iris.json" --set "data.path=$WORK/huge.csv" --set data.target=y \
  --set data.standardize=false --set model.batch_norm=true --set train.epochs=1 --out "$WORK/r"
check "overflowing run finishes (got $code)" test "$code" -lt 128
for f in weights summary config; do
  check "$f.json of the run reads in Python" \
    "$PY" -c "import json, sys; json.load(open(sys.argv[1]))" "$WORK/r/$f.json"
  check "$f.json has no bare nan or inf" bash -c "! grep -qwE 'nan|inf|NaN|Infinity' '$WORK/r/$f.json'"
done
check "weights.json holds null for the non-finite values" grep -q null "$WORK/r/weights.json"
run validate "$ROOT/configs/iris.json" --set "data.path=$WORK/huge.csv" --set data.target=y \
  --set data.standardize=false --set model.batch_norm=true --set "model.weights=$WORK/r/weights.json"
refused "its absurd or null weights read back" "is out of range (|value| <= 1e9)\|null (a non-finite value)"

# --- a 1-row CSV: its test split is empty, which the run says ----------------------------------
printf 'a,b,y\n1,2,0.5\n' >"$WORK/one.csv"
run validate "$ROOT/configs/iris.json" --set "data.path=$WORK/one.csv" --set data.target=y \
  --set data.task=regression
check "1-row CSV validates (got $code)" test "$code" -eq 0
check "1-row CSV: warning" grep -q "warning: data.test_fraction 0.2 of the 1 rows in .* rounds to no test rows" "$WORK/err"

finish test_hardening
