#!/usr/bin/env bash
# Diagnostics end to end (docs/diagnostics.md): grad_quantiles.csv against numpy on the same
# gradients, update_norm against the saved weights, the diagnosis on runs built to show each
# condition and on healthy shipped configs, `nnlab diagnose` on new and old run directories, and
# the plot modes quantiles, ridge and update-ratio. Usage: test_diagnostics.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"
PLOT=("$PY" "$ROOT/scripts/plot_grad_norms.py")
QS="$ROOT/configs/quickstart.json"

png() {  # png FILE: a PNG (signature) of more than 5 KB
  [ -f "$1" ] || { echo "  $1: missing" >&2; return 1; }
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    || { echo "  $1: not a PNG" >&2; return 1; }
  [ "$(stat -c %s "$1")" -gt 5120 ] || { echo "  $1: only $(stat -c %s "$1") bytes" >&2; return 1; }
}
plot() {  # plot ARGS...: the Python script; exit code in $code
  "${PLOT[@]}" "$@" >"$WORK/out" 2>"$WORK/err"
  code=$?
}
rules() {  # rules RUN_DIR: the rules of summary.json's findings, sorted and unique, one line
  "$PY" -c 'import json,sys; print(" ".join(sorted({f["rule"] for f in json.load(open(sys.argv[1]))["diagnosis"]["findings"]})))' "$1/summary.json"
}

# --- quantiles and update norm against numpy on the same gradients ------------------------------
# One full-batch plain-SGD step at lr 1 in float64: the step's gradient is W0 - W1, where W0 is the
# weights of the same run with 0 epochs (the init) and W1 those after the step.
one_step=(--set dtype=float64 --set data.train_size=200 --set data.test_size=0
          --set train.batch_size=0 --set train.lr=1 --set log.quantiles=true)
"$NNLAB" train "$QS" -q "${one_step[@]}" --set train.epochs=0 --out w0 >/dev/null 2>&1
"$NNLAB" train "$QS" -q "${one_step[@]}" --set train.epochs=1 --out w1 >/dev/null 2>&1
check "the one-step run writes grad_quantiles.csv" test -s w1/grad_quantiles.csv
check "grad_quantiles.csv's header" test "$(head -1 w1/grad_quantiles.csv)" = \
  "step,layer,param,of,min,p01,p05,p25,p50,p75,p95,p99,max"
cat >compare.py <<'PY'
import csv, json, sys
import numpy as np
w0 = json.load(open("w0/weights.json"))["tensors"]
w1 = json.load(open("w1/weights.json"))["tensors"]
levels = [0, .01, .05, .25, .5, .75, .95, .99, 1]
cols = ["min", "p01", "p05", "p25", "p50", "p75", "p95", "p99", "max"]
rows = [r for r in csv.DictReader(open("w1/grad_quantiles.csv")) if r["step"] == "1"]
seen = set()
for r in rows:
    name = f"layers.{r['layer']}.{r['param']}"
    a, b = np.array(w0[name], dtype=float).ravel(), np.array(w1[name], dtype=float).ravel()
    x = {"grad": a - b, "abs_grad": np.abs(a - b), "value": a}[r["of"]]
    want = np.quantile(x, levels)  # numpy's default: method="linear"
    got = np.array([float(r[c]) for c in cols])
    tol = 1e-12 * max(1.0, np.abs(a).max())  # W0 - W1 carries W0's rounding
    if not np.allclose(got, want, rtol=0, atol=tol if r["of"] != "value" else 0):
        sys.exit(f"{name} {r['of']}: nnlab {got} numpy {want}")
    seen.add((name, r["of"]))
for r in csv.DictReader(open("w1/grad_norms.csv")):
    if r["param"] == "delta":
        continue
    name = f"layers.{r['layer']}.{r['param']}"
    d = np.linalg.norm(np.array(w1[name], dtype=float) - np.array(w0[name], dtype=float))
    if abs(float(r["update_norm"]) - d) > 1e-12 * max(1.0, d):
        sys.exit(f"{name}: update_norm {r['update_norm']}, |W1 - W0| {d}")
if len(seen) != 3 * len(w0):
    sys.exit(f"only {len(seen)} of {3 * len(w0)} tensor x of rows")
print("ok")
PY
check "grad/abs_grad/value quantiles equal numpy's np.quantile; update_norm = |W1 - W0|" \
  test "$("$PY" compare.py 2>&1)" = ok

# --- the diagnosis of runs built to show each condition -----------------------------------------
small=(--set data.train_size=256 --set data.test_size=128 --set train.epochs=5 --set log.every=5)
# A 10-layer sigmoid net at a small learning rate: layer 1's gradient ~1e-5 of the output layer's.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.depth=10 --set train.lr=0.05 --out vanish >/dev/null 2>err
check "vanishing: found" grep -qw vanishing <(rules vanish)
check "vanishing: printed on stderr at the end of the run" grep -q "diagnosis: vanishing (layer 1 W" err
# ReLU at lr 50 diverges (exit 3): the diagnosis names the step and the layer.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.activation=relu --set model.init=he_normal \
  --set train.lr=50 --set log.every=1 --out diverged >/dev/null 2>err
check "diverged: found" grep -qw diverged <(rules diverged)
check "diverged: printed" grep -q "diagnosis: diverged (layer" err
# Clipping at 1e-3: every step is clipped.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.activation=relu --set model.init=he_normal \
  --set train.lr=0.05 --set train.clip_threshold=0.001 --out clip >/dev/null 2>&1
check "clipping: found" grep -qw clipping <(rules clip)
# ReLU with every bias at -3: the hidden layers pass nothing.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.activation=relu --set model.init=he_normal \
  --set model.bias_init=-3 --set model.depth=3 --out dead >/dev/null 2>&1
check "dead_relu: found" grep -qw dead_relu <(rules dead)
# tanh with 6x the Xavier scale: saturated layers.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.activation=tanh --set model.gain=6 \
  --set model.depth=3 --out saturated >/dev/null 2>&1
check "saturated: found" grep -qw saturated <(rules saturated)
# SGD at lr 1e-5: updates 1e-6 of the weights, the loss never leaves chance.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.activation=relu --set model.init=he_normal \
  --set model.depth=2 --set train.lr=0.00001 --out tiny_lr >/dev/null 2>&1
check "update_small: found" grep -qw update_small <(rules tiny_lr)
# SGD at lr 1 with weight decay 0.2: the decay alone shrinks W by 20% per step.
"$NNLAB" train "$QS" -q "${small[@]}" --set model.activation=relu --set model.init=he_normal \
  --set model.depth=2 --set train.lr=1 --set train.weight_decay=0.2 --out big_lr >/dev/null 2>&1
check "update_large: found" grep -qw update_large <(rules big_lr)
# A tanh RNN on the adding problem of length 60 stays at the baseline (README: 'RNN vs LSTM').
"$NNLAB" train "$ROOT/configs/adding_rnn.json" -q --set data.train_size=256 --set data.length=60 \
  --set train.epochs=2 --set log.every=4 --out rnn >/dev/null 2>&1
check "trivial_loss: found (adding, tanh RNN)" grep -qw trivial_loss <(rules rnn)

# --- healthy runs: no finding -------------------------------------------------------------------
for cfg in iris wine worked_example; do
  "$NNLAB" train "$ROOT/configs/$cfg.json" --out "ok_$cfg" >/dev/null 2>err
  check "$cfg: no finding" test -z "$(rules "ok_$cfg")"
  check "$cfg: 'no problems found' on stderr" grep -q "diagnosis: no problems found" err
done
"$NNLAB" train "$QS" -q --set model.activation=relu --set model.init=he_normal --set train.lr=0.1 \
  --out ok_relu >/dev/null 2>&1
check "quickstart with relu: no finding" test -z "$(rules ok_relu)"

# --- nnlab diagnose ------------------------------------------------------------------------------
run diagnose vanish
check "diagnose: exit 0" test "$code" -eq 0
check "diagnose: the finding" grep -q "^vanishing (layer 1 W, step 1): " out
run diagnose vanish --json
check "diagnose --json = summary.json's diagnosis" "$PY" -c '
import json, sys
sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2]))["diagnosis"])' out vanish/summary.json
# An old run directory: no update_norm column, no baseline and no diagnosis in summary.json.
cp -r vanish old
"$PY" - <<'PY'
import json
rows = open("old/grad_norms.csv").read().splitlines()
open("old/grad_norms.csv", "w").write("\n".join(r.rsplit(",", 1)[0] for r in rows) + "\n")
s = json.load(open("old/summary.json"))
del s["diagnosis"], s["baseline"]
json.dump(s, open("old/summary.json", "w"))
PY
run diagnose old
check "diagnose old run: exit 0, the finding" grep -q "^vanishing (layer 1 W" out
check "diagnose old run: says what it could not check" grep -q "^not checked: update_small, update_large: grad_norms.csv has no update_norm column" out
run diagnose "$WORK"
check "diagnose a non-run directory: exit 2" test "$code" -eq 2
check "diagnose a non-run directory: says why" grep -q "not a run directory" err
cp -a old cut && head -c 20 old/summary.json >cut/summary.json
run diagnose cut
check "diagnose with a cut summary.json: exit 2 (got $code), naming the file" \
  test "$code" -eq 2 -a -n "$(grep 'summary.json is not a JSON object' err)"

# --- plot modes ---------------------------------------------------------------------------------
plot quantiles w1
check "quantiles: exit 0, PNG" png w1/grad_quantiles.png
"$NNLAB" train "$QS" -q "${small[@]}" --set log.quantiles=true --set log.every=2 --out q >/dev/null 2>&1
plot quantiles q
check "quantiles: a PNG beside the run" png q/grad_quantiles.png
plot quantiles q --of abs_grad
check "quantiles --of abs_grad: a PNG" png q/grad_quantiles_abs_grad.png
plot ridge q
check "ridge: the last logged step" png "q/grad_ridge_$(tail -1 q/grad_quantiles.csv | cut -d, -f1).png"
plot ridge q --step 1 --of value --out "$WORK/ridge_value.png"
check "ridge --step 1 --of value: a PNG" png ridge_value.png
plot ridge q --step 2
check "ridge at a step that was not logged: exit 2" test "$code" -eq 2
plot update-ratio q
check "update-ratio: a PNG" png q/update_ratio.png
plot update-ratio rnn --param W_hh
check "update-ratio --param W_hh: a PNG" png rnn/update_ratio_W_hh.png
plot quantiles vanish
check "quantiles without grad_quantiles.csv: exit 2" test "$code" -eq 2
check "quantiles without grad_quantiles.csv: says how to get it" grep -q "log.quantiles=true" err
plot update-ratio old
check "update-ratio on an old run: exit 2" test "$code" -eq 2

finish test_diagnostics
