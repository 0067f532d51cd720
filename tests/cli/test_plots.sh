#!/usr/bin/env bash
# The plot scripts on real outputs of the binary: every mode of scripts/plot_grad_norms.py (run,
# heatmap, time, sweep) and scripts/plot_grad_norms.gp on an MLP run, a recurrent run, a diverged
# run and a small sweep's summary; each must write a valid PNG. Bad input must exit 2 with a
# message. Usage: test_plots.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"
PLOT=("$PY" "$ROOT/scripts/plot_grad_norms.py")
GP="$ROOT/scripts/plot_grad_norms.gp"
"$PY" -c "import matplotlib" 2>/dev/null \
  || skip "$PY cannot import matplotlib (apt-get install python3-matplotlib; scripts/test.sh does)"
# gnuplot is optional: without it its checks are left out (and fail under NNLAB_TEST_NO_SKIP=1).
gnuplot_checks=1
if ! command -v gnuplot >/dev/null; then
  echo "SKIP (part): gnuplot not found (apt-get install gnuplot-nox): its checks are left out" >&2
  gnuplot_checks=0
  [ "${NNLAB_TEST_NO_SKIP:-0}" = 1 ] && failed=$((failed + 1))
fi

png() {  # png FILE: a PNG (signature) of more than 5 KB
  [ -f "$1" ] || { echo "  $1: missing" >&2; return 1; }
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    || { echo "  $1: not a PNG" >&2; return 1; }
  [ "$(stat -c %s "$1")" -gt 5120 ] || { echo "  $1: only $(stat -c %s "$1") bytes" >&2; return 1; }
}

plot() {  # plot ARGS...: the Python script; stdout in out, stderr in err, exit code in $code
  "${PLOT[@]}" "$@" >"$WORK/out" 2>"$WORK/err"
  code=$?
}

# --- real runs ----------------------------------------------------------------------------------
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set train.epochs=3 --out mlp >/dev/null
check "the MLP run completes" test -s mlp/grad_norms.csv
# A 2-layer tanh RNN on the adding problem, every step logged.
"$NNLAB" train "$ROOT/configs/adding_rnn.json" -q --set data.train_size=200 --set data.length=20 \
  --set train.epochs=2 --set train.batch_size=50 --set model.depth=2 --set log.every=1 \
  --out rnn >/dev/null
check "the RNN run completes" test -s rnn/time_grad_norms.csv
# ReLU at a learning rate of 50 diverges at step 3: its last rows hold inf.
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set model.activation=relu \
  --set model.init=he_normal --set train.lr=50 --set log.every=1 --out diverged >/dev/null 2>&1
check "the diverged run exits 3 with inf in grad_norms.csv" grep -q ',inf,' diverged/grad_norms.csv

cat >sweep.json <<JSON
{"name": "tiny", "base": "$ROOT/configs/quickstart.json",
 "set": {"train.epochs": 1, "data.train_size": 64, "data.test_size": 32, "log.every": 1},
 "grid": {"model.depth": [2, 4, 6], "model.init": ["xavier_normal", "he_normal"]},
 "seeds": 2}
JSON
"$NNLAB" sweep sweep.json -j 2 --out tiny >/dev/null 2>&1
"$NNLAB" summarize tiny >summary.csv
check "the sweep's summary has 12 runs" test "$(wc -l <summary.csv)" -eq 13

# --- every mode writes a PNG --------------------------------------------------------------------
for dir in mlp rnn diverged; do
  plot run "$dir"
  check "run $dir: exit 0, prints the image's path" test "$code" -eq 0 -a "$(cat out)" = "$dir/grad_norms.png"
  check "run $dir: a PNG" png "$dir/grad_norms.png"
  plot heatmap "$dir"
  check "heatmap $dir: exit 0" test "$code" -eq 0
  check "heatmap $dir: a PNG" png "$dir/grad_norms_heatmap.png"
  if ((gnuplot_checks)); then
    gnuplot -e "run='$dir'" "$GP" 2>err
    check "gnuplot $dir: exit 0" test $? -eq 0
    check "gnuplot $dir: a PNG" png "$dir/grad_norms_gnuplot.png"
  fi
done
plot run mlp --param delta --title "deltas" --out "$WORK/delta.png"
check "run --param delta --out: a PNG" png delta.png
plot run rnn --param W_hh
check "run --param W_hh: a PNG beside the run" png rnn/grad_norms_W_hh.png
if ((gnuplot_checks)); then
  gnuplot -e "run='rnn'" -e "param='W_hh'" -e "out='rnn_whh.png'" "$GP" 2>err
  check "gnuplot param and out: a PNG" png rnn_whh.png
fi
plot time rnn
check "time rnn: exit 0" test "$code" -eq 0
check "time rnn: a PNG" png rnn/time_grad_norms.png
plot time rnn --steps 1 8 --out "$WORK/time_steps.png"
check "time --steps: a PNG" png time_steps.png

plot sweep summary.csv --x model.depth --y first_layer_grad --by model.init
check "sweep: exit 0" test "$code" -eq 0
check "sweep: a PNG next to the CSV" png summary_first_layer_grad_vs_model.depth_by_model.init.png
plot sweep summary.csv --x model.init --y test_accuracy --by model.depth --no-logy --out cat.png
check "sweep, a string key on x: a PNG" png cat.png
plot sweep summary.csv --x model.depth --y last_layer_grad --where model.init=he_normal --out where.png
check "sweep --where, no --by: a PNG" png where.png
check "sweep --where: no note about mixed keys" test ! "$(grep -c "note: each point" err)" -gt 0
plot sweep summary.csv --x model.depth --y last_layer_grad --out mixed.png
check "sweep averaging over another swept key: refused, exit 2" test "$code" -eq 2 -a ! -e mixed.png
check "sweep averaging over another swept key: names the key" \
  grep -q "each point would average runs with different values of model.init" err
plot sweep summary.csv --x model.depth --y last_layer_grad --average --out mixed.png
check "sweep --average: allowed, a PNG" png mixed.png
check "sweep --average: a note says so" grep -q "note: each point averages over different values of model.init" err
plot sweep summary.csv --x model.depth --y last_layer_grad --by model.init model.width --out by2.png
check "sweep --by two keys: a PNG" png by2.png

# Overlays of several runs on one axis (scripts/nnlab_plot_compare.py).
plot profile tiny --param delta --out profile.png
check "profile of a sweep: a PNG" png profile.png
plot profile tiny --where model.init=he_normal --first 2 --param W --no-average --out profile2.png
check "profile --where --first --no-average: a PNG" png profile2.png
plot curves tiny mlp diverged --metric test_loss --out curves.png
check "curves of runs and a sweep: a PNG" png curves.png
check "plot titles: a run's label from config.json" "$PY" - "$ROOT/scripts" <<'PY'
import json, os, shutil, sys
sys.path.insert(0, sys.argv[1])
import plot_grad_norms as p
shutil.copytree("mlp", "labelled")
c = json.load(open("labelled/config.json"))
c["label"] = "six sigmoid layers"
json.dump(c, open("labelled/config.json", "w"))
assert p.run_name("labelled") == "six sigmoid layers (labelled)", p.run_name("labelled")
import nnlab_plot_compare as cmp
groups, _ = cmp.group_runs(["labelled", "mlp"])
assert [g.label for g in groups][0] == "six sigmoid layers", [g.label for g in groups]
PY
plot curves mlp diverged --grad-norm --out curves_gn.png
check "curves --grad-norm: a PNG" png curves_gn.png
plot activations tiny --out act.png
check "activations: a PNG" png act.png
plot time-profile rnn rnn --out tprofile.png
check "time-profile: a PNG" png tprofile.png
plot time-profile mlp --out bad.png
check "time-profile of an MLP: exit 2" test "$code" -eq 2 -a ! -e bad.png
check "time-profile of an MLP: says why" grep -q "needs recurrent runs" err
plot profile tiny --where model.init=nothing --out bad.png
check "profile matching no run: exit 2" test "$code" -eq 2 -a ! -e bad.png
plot profile tiny --step 999 --out bad.png
check "profile of a step not logged: exit 2" test "$code" -eq 2 -a ! -e bad.png
check "compare labels: a grid's runs by every key they differ in, seeds averaged" \
  "$PY" - "$ROOT/scripts" tiny <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import nnlab_plot_compare as c
groups, common = c.group_runs(c.expand_runs([sys.argv[2]]))
labels = sorted(g.label for g in groups)
assert labels == sorted(f"depth={d}, init={i}" for d in (2, 4, 6)
                        for i in ("he_normal", "xavier_normal")), labels
assert all(len(g.runs) == 2 for g in groups), [g.runs for g in groups]
assert common["model.activation"] == "sigmoid", common
PY

# A sweep where some runs' figures are nan or inf (diverged) and some empty (not applicable).
"$PY" - <<'PY'
import csv
rows = list(csv.DictReader(open("summary.csv", newline="")))
for r in rows:
    if r["model.depth"] == "6":
        r["first_layer_delta"] = "nan" if r["seed"] == "0" else "inf"
    if r["model.depth"] == "2" and r["model.init"] == "he_normal":
        r["first_layer_delta"] = ""
with open("broken.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
PY
plot sweep broken.csv --x model.depth --y first_layer_delta --by model.init --out broken.png
check "sweep with nan: exit 0" test "$code" -eq 0
check "sweep with nan: a PNG" png broken.png
check "sweep with nan: says what it left out" grep -q "4 run(s) with nan/inf first_layer_delta left out" err

# --- bad input exits 2 with a message -----------------------------------------------------------
plot sweep summary.csv --x model.depth --y no_such_column
check "missing column: exit 2" test "$code" -eq 2
check "missing column: named, with the columns there are" grep -q "no column 'no_such_column' (columns: run," err
plot sweep summary.csv --x model.detph --y first_layer_grad
check "missing x column: exit 2" test "$code" -eq 2
plot time mlp
check "time on an MLP run: exit 2" test "$code" -eq 2
check "time on an MLP run: says it needs a recurrent run" grep -q "needs a recurrent run" err
plot run mlp --param W_hh
check "unknown param: exit 2" test "$code" -eq 2
check "unknown param: lists the params there are" grep -q "no param 'W_hh' (params: W, b, delta)" err
plot run no_such_dir
check "missing run dir: exit 2" test "$code" -eq 2
plot sweep no_such.csv --x a --y b
check "missing CSV: exit 2" test "$code" -eq 2
plot sweep summary.csv --x model.depth --y first_layer_grad --where model.init=lecun
check "--where matching nothing: exit 2" test "$code" -eq 2
plot time rnn --steps 9999
check "time --steps not logged: exit 2" test "$code" -eq 2
plot sweep summary.csv --x model.init --y first_layer_grad --logx
check "--logx on a string key: exit 2" test "$code" -eq 2
mkdir -p fresh && cp mlp/config.json fresh/ && head -1 mlp/grad_norms.csv >fresh/grad_norms.csv
plot run fresh
check "a run with no logged step yet: exit 2" test "$code" -eq 2
check "a run with no logged step yet: says so" grep -q "no rows" err
printf 'step,layer,param,grad_norm,value_norm\n1,x,W,1,1\n' >fresh/grad_norms.csv
plot heatmap fresh
check "a grad_norms.csv that is not nnlab's: exit 2" test "$code" -eq 2
plot nonsense
check "unknown mode: exit 2" test "$code" -eq 2
if ((gnuplot_checks)); then
  gnuplot -e "run='mlp'" -e "param='W_hh'" "$GP" 2>err
  check "gnuplot unknown param: exit 2" test $? -eq 2
  gnuplot -e "run='nowhere'" "$GP" 2>err
  check "gnuplot missing run: exit 2" test $? -eq 2
fi

finish test_plots
