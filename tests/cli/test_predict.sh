#!/usr/bin/env bash
# nnlab predict: agreement with the run's own evaluation (loss and accuracy of the final eval.csv
# row, float64), CSV input standardised as training was, the grid, refusals (exit 2), the
# decision-boundary plot mode on a real run, and the divergence rows with log.every > 1.
source "$(dirname "$0")/common.sh" "$@"

# A float64 moons run and a float32 iris run (CSV data, standardised).
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set dtype=float64 --set model.activation=relu \
  --set model.init=he_normal --set train.epochs=20 --out moons >/dev/null
"$NNLAB" train "$ROOT/configs/iris.json" -q --set train.epochs=20 --out iris >/dev/null
check "the runs complete" test -s moons/weights.json -a -s iris/weights.json

# The loss and accuracy recomputed from the written probabilities agree with eval.csv's last row.
agree() {  # agree RUN PREDICTIONS.csv SPLIT TOLERANCE
  $PY - "$@" <<'PY'
import csv, math, sys
run, path, split, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
last = list(csv.DictReader(open(f"{run}/eval.csv")))[-1]
rows = [r for r in csv.DictReader(open(path)) if r.get("split", "train") == split]
k = sum(1 for c in rows[0] if c.startswith("p_"))
loss = -sum(math.log(float(r[f"p_{int(float(r['target']))}"])) for r in rows) / len(rows)
acc = sum(int(r["predicted"]) == int(float(r["target"])) for r in rows) / len(rows)
want_loss, want_acc = float(last[f"{split}_loss"]), float(last[f"{split}_accuracy"])
ok = abs(loss - want_loss) <= tol * max(1.0, abs(want_loss)) and acc == want_acc
print(f"{split}: loss {loss!r} vs {want_loss!r}, accuracy {acc} vs {want_acc}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
run predict moons
check "predict exits 0" test "$code" -eq 0
cp out moons_train.csv
check "one row per training sample" test "$(wc -l <out)" -eq 513
check "the header: features, target, probabilities, class" \
  test "$(head -1 out)" = "x1,x2,target,p_0,p_1,predicted,predicted_label"
check "float64: the training loss and accuracy agree with eval.csv to 1e-12" \
  agree moons moons_train.csv train 1e-12
last_loss=$(tail -1 moons/eval.csv | cut -d, -f3)
check "stderr: the same training loss as eval.csv (same code, exactly)" \
  $PY -c "import re,sys; m=re.search(r'train: 512 samples, loss (\S+), accuracy', open('$WORK/err').read()); sys.exit(0 if m and float(m.group(1)) == float('$last_loss') else 1)"
run predict moons --both --out both.csv
check "--both writes both splits" test "$(grep -c ',test,' both.csv)" -eq 256
check "float64: the test loss and accuracy agree too" agree moons both.csv test 1e-12
run predict iris --out iris_train.csv
check "predict iris exits 0" test "$code" -eq 0
check "float32: iris agrees with eval.csv (1e-6)" agree iris iris_train.csv train 1e-6

# A CSV of raw features (the iris training rows as predict wrote them, target column included):
# standardised with the training statistics, the same probabilities bit for bit.
nf=$(head -1 iris_train.csv | tr ',' '\n' | grep -n '^target$' | cut -d: -f1)
cut -d, -f1-"$nf" iris_train.csv >iris_features.csv
run predict iris iris_features.csv --out iris_again.csv
check "predict on a features CSV exits 0" test "$code" -eq 0
check "features CSV: the same probabilities as the run's own data" \
  bash -c "diff <(cut -d, -f$((nf + 1))- iris_train.csv) <(cut -d, -f$nf- iris_again.csv)"
run predict iris "$ROOT/data/iris.csv" --out all.csv
check "the original data file (all rows, its target column) is accepted" test "$code" -eq 0
check "... one row per line of the file" test "$(wc -l <all.csv)" -eq 151
mkfifo fifo
cat fifo >from_fifo.csv &
run predict moons --out fifo
wait
check "--out into a FIFO writes through it (no rename over it)" test -p fifo -a -s from_fifo.csv

# Refusals: exit 2, a message, nothing written.
cut -d, -f2- iris_features.csv >missing.csv
run predict iris missing.csv --out refused.csv
check "a missing feature column exits 2" test "$code" -eq 2
check "... naming the column" grep -q 'no feature column' err
check "... writing nothing" test ! -e refused.csv
awk -F, -v OFS=, '{ t = $1; $1 = $2; $2 = t; print }' iris_features.csv >swapped.csv
run predict iris swapped.csv
check "feature columns in another order exit 2" test "$code" -eq 2
sed '1s/$/,extra/; 2,$s/$/,1/' iris_features.csv >extra.csv
run predict iris extra.csv
check "an unknown extra column exits 2" test "$code" -eq 2
run predict moons iris_features.csv
check "another task's features exit 2" test "$code" -eq 2
run predict iris --grid 10
check "a grid for a 4-feature task exits 2" test "$code" -eq 2
"$NNLAB" train "$ROOT/configs/adding_rnn.json" -q --set data.train_size=64 --set data.length=10 \
  --set train.epochs=1 --out rnn >/dev/null
run predict rnn
check "a recurrent run exits 2" test "$code" -eq 2
check "... saying why" grep -q 'recurrent run' err
run predict "$WORK/nothing"
check "a missing run directory exits 2" test "$code" -eq 2

# The grid: N x N points over the training range (5% margins).
run predict moons --grid 7
check "--grid 7 writes 49 points" test "$(wc -l <out)" -eq 50
run predict moons --grid
check "--grid alone writes 100 x 100" test "$(wc -l <out)" -eq 10001

# The decision-boundary plot on the real run.
if $PY -c "import matplotlib" 2>/dev/null; then
  check "the boundary plot is written" \
    $PY "$ROOT/scripts/plot_grad_norms.py" boundary moons --nnlab "$NNLAB" --grid 60 --test
  check "... as a PNG" $PY -c "import sys; sys.exit(open('moons/boundary.png','rb').read(4) != b'\x89PNG')"
  $PY "$ROOT/scripts/plot_grad_norms.py" boundary iris --nnlab "$NNLAB" >/dev/null 2>&1
  check "the boundary plot refuses a 4-feature run with exit 2" test $? -eq 2
fi

# Divergence with log.every = 10: the diverging step still has its grad_norms.csv rows, and the
# run plot marks it.
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set model.activation=relu \
  --set model.init=he_normal --set train.lr=50 --out diverged >/dev/null 2>&1
step=$($PY -c "import json; print(json.load(open('diverged/summary.json'))['diverged']['step'])")
check "the run diverged at a step log.every skips" test "$step" -gt 1 -a $(((step - 1) % 10)) -ne 0
check "grad_norms.csv has the diverging step's rows" \
  test "$(grep -c "^$step," diverged/grad_norms.csv)" -eq "$(grep -c '^1,' diverged/grad_norms.csv)"
check "... with inf or nan" grep -Eq "^$step,.*,(inf|nan)," diverged/grad_norms.csv
if $PY -c "import matplotlib" 2>/dev/null; then
  check "the run plot draws the diverged run" $PY "$ROOT/scripts/plot_grad_norms.py" run diverged
fi

finish test_predict
