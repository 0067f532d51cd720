#!/usr/bin/env bash
# End-to-end tests of `nnlab probe`: the table and files, byte-identical reruns (any -j), seed s
# reproducing a training run's step-1 gradients, bad input creating nothing, the edge-of-chaos
# sweep whose fitted slope changes sign at chi = 1, and the LSTM cell-state column of training's
# time_grad_norms.csv. Usage: test_probe.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"

cat >"$WORK/small.json" <<'JSON'
{"name": "small", "seed": 5,
 "data": {"type": "moons", "train_size": 128, "test_size": 0},
 "model": {"depth": 8, "width": 32, "activation": "tanh"},
 "train": {"epochs": 1, "batch_size": 32},
 "log": {"dir": "runs"}}
JSON

# --- table, files, determinism ----------------------------------------------------------------
run probe "$WORK/small.json" --seeds 4 --out "$WORK/p1"
check "probe exits 0" test "$code" -eq 0
check "table has the layer header" grep -q 'ln delta_sq' "$WORK/out"
check "table reports the fit" grep -q '^fit: slope of ln delta_sq over layer 3..6' "$WORK/out"
check "last line is the directory" test "$(tail -1 "$WORK/out")" = "$WORK/p1"
for f in probe.csv probe_seeds.csv config.json summary.json; do
  check "$f written" test -s "$WORK/p1/$f"
done
check "probe.csv header" test "$(head -1 "$WORK/p1/probe.csv")" = "layer,quantity,mean,sd,se,theory"
check "probe.csv has theory for q" grep -qE '^3,q,[^,]+,[^,]+,[^,]+,[0-9.e-]+$' "$WORK/p1/probe.csv"
check "summary has the fit and theory slope" \
  $PY -c "import json,sys; s=json.load(open('$WORK/p1/summary.json')); f=s['fit']; sys.exit(not (s['theory']=='mean-field' and f['from']==3 and f['to']==6 and isinstance(f['theory_slope'], float) and s['seeds']['count']==4))"
run probe "$WORK/small.json" --seeds 4 --out "$WORK/p2" -j 2
check "rerun with -j 2 exits 0" test "$code" -eq 0
check "probe.csv byte-identical across runs and -j" cmp -s "$WORK/p1/probe.csv" "$WORK/p2/probe.csv"
check "probe_seeds.csv byte-identical" cmp -s "$WORK/p1/probe_seeds.csv" "$WORK/p2/probe_seeds.csv"

# --- seed s of a probe = step 1 of a training run with seed s ---------------------------------
"$NNLAB" -q train "$WORK/small.json" --set seed=7 --set train.epochs=1 --out "$WORK/t7" >/dev/null 2>&1
check "training run for seed 7" test -s "$WORK/t7/grad_norms.csv"
$PY - "$WORK/t7/grad_norms.csv" "$WORK/p1/probe_seeds.csv" >"$WORK/cmp.txt" <<'PY'
import csv, sys
train = {(r['layer'], 'grad_' + r['param']): r['grad_norm'] for r in csv.DictReader(open(sys.argv[1]))
         if r['step'] == '1' and r['param'] != 'delta'}
probe = {(r['layer'], r['quantity']): r['value'] for r in csv.DictReader(open(sys.argv[2]))
         if r['seed'] == '7' and r['quantity'].startswith('grad_')}
print(len(train), len(probe), sum(train[k] == probe.get(k) for k in train))
PY
read -r n_train n_probe n_same <"$WORK/cmp.txt"
check "probe seed 7 = training seed 7 step 1, every tensor byte for byte ($n_same of $n_train)" \
  test "$n_train" -eq 18 -a "$n_probe" -eq 18 -a "$n_same" -eq 18

# --- bad input: exit 2, the path, nothing created ---------------------------------------------
mkdir -p "$WORK/empty" && cd "$WORK/empty"
run probe "$WORK/small.json" --fit 0:99
check "bad --fit exits 2" test "$code" -eq 2
check "bad --fit is named" grep -q -- '--fit: must be L1:L2 with 1 <= L1 < L2 <= 9' "$WORK/err"
run probe "$WORK/small.json" --fit abc
check "unparsable --fit exits 2" test "$code" -eq 2
run probe "$WORK/small.json" --seeds 0
check "--seeds 0 exits 2" test "$code" -eq 2
run probe "$WORK/small.json" --set model.activaton=relu
check "bad --set key exits 2 with its path" grep -q 'model.activaton' "$WORK/err"
run probe "$WORK/small.json" --out "$WORK/p1"
check "non-empty --out exits 2" test "$code" -eq 2
check "nothing created by bad input" test -z "$(ls -A "$WORK/empty")"
cd "$WORK"

# --- edge of chaos: zero-bias tanh, sigma_w^2 = gain^2 swept across 1 -------------------------
cat >"$WORK/chaos.json" <<'JSON'
{"name": "chaos", "seed": 1,
 "data": {"type": "blobs", "features": 128, "classes": 2, "noise": 1.0, "train_size": 128,
          "test_size": 0, "seed": 7},
 "model": {"depth": 30, "width": 128, "activation": "tanh", "init": "lecun_normal"},
 "train": {"batch_size": 32}}
JSON
for gain in 0.8 0.9 1.25 1.4; do
  "$NNLAB" -q probe "$WORK/chaos.json" --set model.gain=$gain --seeds 3 --out "$WORK/chaos_$gain" >/dev/null
done
# Per gain: sigma_w^2, the fitted slope, the theory's slope, and the theory's geometric-mean chi
# over the fitted layers (exp of minus the theory slope, up to the least-squares weighting).
$PY - "$WORK" >"$WORK/chaos.txt" <<'PY'
import json, math, sys
for g in ['0.8', '0.9', '1.25', '1.4']:
    s = json.load(open(f'{sys.argv[1]}/chaos_{g}/summary.json'))
    f = s['fit']
    chi = s['chi'][f['from'] - 1:f['to']]
    print(float(g) ** 2, f['slope'], f['theory_slope'], math.exp(sum(map(math.log, chi)) / len(chi)))
PY
cat "$WORK/chaos.txt"
check "measured and theory slopes agree in sign at every sigma_w^2" \
  awk '($2 > 0) != ($3 > 0) {bad=1} END {exit bad}' "$WORK/chaos.txt"
check "slope > 0 (vanishing) where the theory's chi < 1, < 0 where chi > 1" \
  awk '($2 > 0) != ($4 < 1) {bad=1} END {exit bad}' "$WORK/chaos.txt"
check "the fitted slope crosses zero within the sweep" \
  awk 'NR == 1 && $2 <= 0 {bad=1} END {if ($2 >= 0) bad=1; exit bad}' "$WORK/chaos.txt"

# --- recurrent: per time step, and the LSTM's cell-state gradient in training too -------------
cat >"$WORK/lstm.json" <<'JSON'
{"name": "lstm", "seed": 2,
 "data": {"type": "adding", "length": 12, "train_size": 64, "test_size": 16},
 "model": {"type": "lstm", "depth": 1, "width": 8},
 "train": {"epochs": 1, "batch_size": 16},
 "log": {"dir": "runs"}}
JSON
run probe "$WORK/lstm.json" --seeds 3 --out "$WORK/pl"
check "lstm probe exits 0" test "$code" -eq 0
check "lstm probe.csv has t and c_grad" grep -q '^1,12,c_grad,' "$WORK/pl/probe.csv"
"$NNLAB" -q train "$WORK/lstm.json" --out "$WORK/tl" >/dev/null 2>&1
check "lstm time_grad_norms.csv has cell_grad_norm" \
  test "$(head -1 "$WORK/tl/time_grad_norms.csv")" = "step,layer,t,grad_norm,cell_grad_norm"
check "lstm cell_grad_norm filled" awk -F, 'NR > 1 && $5 == "" {bad=1} END {exit bad}' "$WORK/tl/time_grad_norms.csv"
"$NNLAB" -q train "$WORK/lstm.json" --set model.type=rnn --out "$WORK/tr" >/dev/null 2>&1
check "rnn time_grad_norms.csv keeps its four columns" \
  test "$(head -1 "$WORK/tr/time_grad_norms.csv")" = "step,layer,t,grad_norm"

# LSTM with zero input and recurrent weights (a weights file): ||dL/dc_{T-k}|| = sigmoid(b_f)^k ||dL/dc_T||
"$NNLAB" -q train "$WORK/lstm.json" --set train.epochs=0 --out "$WORK/t0" >/dev/null 2>&1
$PY - "$WORK/t0/weights.json" "$WORK/zero.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
for name, v in w['tensors'].items():
    if name.endswith('W_ih') or name.endswith('W_hh'):
        w['tensors'][name] = [[0.0] * len(row) for row in v]
json.dump(w, open(sys.argv[2], 'w'))
PY
run probe "$WORK/lstm.json" --set model.weights="$WORK/zero.json" --seeds 2 --out "$WORK/pz"
check "zero-weight lstm probe exits 0" test "$code" -eq 0
check "zero-weight lstm: theory named" grep -q '"theory": "lstm-zero-weights"' "$WORK/pz/summary.json"
check "zero-weight lstm: c_grad = sigmoid(b_f)^k c_grad(T) at every t" $PY - "$WORK/pz/probe.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['quantity'] == 'c_grad']
assert len(rows) == 12 and all(r['theory'] for r in rows)
worst = max(abs(float(r['mean']) / float(r['theory']) - 1) for r in rows)
sys.exit(0 if worst < 1e-5 else 1)
PY

# --- plot mode --------------------------------------------------------------------------------
check "plot mode probe writes the PNG (MLP)" \
  $PY "$ROOT/scripts/plot_grad_norms.py" probe "$WORK/p1" --out "$WORK/p1.png"
check "plot mode probe writes the PNG (LSTM)" \
  $PY "$ROOT/scripts/plot_grad_norms.py" probe "$WORK/pl" --out "$WORK/pl.png"
check "plot mode probe: PNGs exist" test -s "$WORK/p1.png" -a -s "$WORK/pl.png"

finish test_probe
