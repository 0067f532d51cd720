#!/usr/bin/env bash
# End-to-end tests of `nnlab sweep` and `nnlab summarize` with the real binary: refusals that
# create nothing, --count/--list/--index/-j, run names, logs, a re-started sweep skipping finished
# runs, diverged and failed runs not stopping the others and setting the exit code, SIGTERM/SIGINT
# forwarded to the runs, the summary CSV, the bash-loop script stopping on a run's SIGINT and the
# GNU parallel script. Usage: test_sweep.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"
export NNLAB  # for the scripts

# Waits (up to 10 s) until FILE has more than N lines.
wait_lines() {
  local file=$1 n=$2
  for _ in $(seq 100); do
    [ -f "$file" ] && [ "$(wc -l <"$file")" -gt "$n" ] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $file" >&2
  return 1
}

status_of() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))['status'])" "$1/summary.json"; }

mkdir -p cfg sweeps
cp "$ROOT/configs/quickstart.json" cfg/quickstart.json
# 8 tiny runs of the quick-start network; the base path is relative to the sweep file.
cat >sweeps/tiny.json <<'JSON'
{"base": "../cfg/quickstart.json",
 "set": {"train.epochs": 2, "data.train_size": 64, "data.test_size": 32, "log.every": 1},
 "grid": {"model.depth": [2, 4], "model.init": ["xavier_normal", "he_normal"]},
 "seeds": 2}
JSON
T=$WORK/runs/tiny

# --- refusals create nothing ------------------------------------------------------------------
cat >sweeps/typo.json <<'JSON'
{"base": "../cfg/quickstart.json", "grid": {"model.detph": [2, 4]}, "seeds": 2, "seed": 1}
JSON
run sweep sweeps/typo.json -j 2
check "a sweep file typo exits 2" test "$code" -eq 2
check "its top-level key is named with a suggestion" grep -qF 'error: seed: unknown key (did you mean "seeds"?)' err
cat >sweeps/typo.json <<'JSON'
{"base": "../cfg/quickstart.json", "grid": {"model.detph": [2, 4], "model.activation": ["relu", "rellu"]}}
JSON
run sweep sweeps/typo.json -j 2
check "a typo in a grid key refuses the whole sweep (2)" test "$code" -eq 2
check "the grid key typo is reported once with a suggestion" \
  test "$(grep -cF 'error: model.detph: unknown key (did you mean "depth"?)' err)" -eq 1
run sweep sweeps/typo.json --list
check "--list refuses it too" test "$code" -eq 2
check "a refused sweep creates nothing" test ! -e runs
check "a refused sweep prints nothing on stdout" test ! -s out
run sweep sweeps/missing.json
check "a missing sweep file exits 2" test "$code" -eq 2

# --- count, list, index -----------------------------------------------------------------------
run sweep sweeps/tiny.json --count
check "--count prints the number of runs" test "$(cat out)" = 8
check "--count creates nothing" test ! -e runs
run sweep sweeps/tiny.json --list
check "--list exits 0" test "$code" -eq 0
cp out list
check "--list prints one line per run" test "$(wc -l <list)" -eq 8
check "--list lines start with this binary" test "$(cut -d' ' -f1-2 list | sort -u)" = "$NNLAB train"
check "--list line 0 is the full train command" test "$(head -1 list)" = \
  "$NNLAB train $WORK/cfg/quickstart.json --set train.epochs=2 --set data.train_size=64 --set data.test_size=32 --set log.every=1 --set model.depth=2 --set model.init=xavier_normal --set seed=0 --out $T/depth=2,init=xavier_normal,seed=0"
check "--list order: first grid key slowest, seeds innermost" test "$(sed -n 4p list | grep -o -- '--out .*')" = \
  "--out $T/depth=2,init=he_normal,seed=1"
check "--list writes the manifest" test -s "$T/manifest.json"
(cd / && eval "$(head -1 "$WORK/list")") >/dev/null 2>&1
check "a --list line runs from any directory" test "$(status_of "$T/depth=2,init=xavier_normal,seed=0")" = completed

run sweep sweeps/tiny.json --index 1
check "--index runs one run (0)" test "$code" -eq 0
check "--index prints its run directory" test "$(tail -1 out)" = "$T/depth=2,init=xavier_normal,seed=1"
check "--index shows train's output" grep -q 'completed .* steps' err
check "--index ran exactly that run" test "$(ls -d "$T"/depth=* | wc -l)" -eq 2
run sweep sweeps/tiny.json --index 1
check "--index of a finished run does nothing (0)" test "$code" -eq 0
check "... and says so" grep -q 'already completed' err
run sweep sweeps/tiny.json --index 8
check "--index out of range exits 2" test "$code" -eq 2
check "... with a clear message" grep -qF -- '--index 8 is out of range: the sweep has 8 runs (indices 0 to 7)' err

# Quoting: values with spaces and quotes survive the shell.
cat >sweeps/quote.json <<'JSON'
{"base": {"data": {"type": "xor", "train_size": 16, "test_size": 0}, "model": {"depth": 1, "width": 2},
          "train": {"epochs": 1}},
 "grid": {"name": ["my run", "it's $HOME"]}}
JSON
run sweep sweeps/quote.json --list
(cd / && eval "$(sed -n 2p "$WORK/out")") >/dev/null 2>&1
check "a quoted --list line keeps spaces, quotes and \$" test "$($PY -c "import json; print(json.load(open('$WORK/runs/quote/name=it_s__HOME/config.json'))['name'])")" = "it's \$HOME"
check "an inline base is written into the sweep directory" test -s runs/quote/base.json

# --- -j: the rest of the sweep, logs, restart ---------------------------------------------------
run sweep sweeps/tiny.json -j 2
check "-j 2 exits 0 when every run completes" test "$code" -eq 0
check "-j prints one line per run" test "$(grep -c '^\[' out)" -eq 8
check "runs finished before are skipped" test "$(grep -c 'skipped: completed' out)" -eq 2
check "-j prints a tally" grep -qF 'sweep tiny: 8 runs: 8 completed (2 skipped: finished before), 0 diverged, 0 failed' out
check "every run completed" test "$(cat "$T"/*/summary.json | grep -c '"status": "completed"')" -eq 8
check "one log per run started by -j" test "$(ls "$T/logs" | wc -l)" -eq 6
check "a run's log holds its train output" grep -q 'completed .* steps' "$T/logs/depth=4,init=he_normal,seed=1.log"
stat -c '%n %y' "$T"/*/metrics.csv >mtimes
run sweep sweeps/tiny.json -j 2
check "a re-started sweep exits 0" test "$code" -eq 0
check "a re-started sweep skips every finished run" test "$(grep -c 'skipped: completed' out)" -eq 8
check "... and rewrites none of them" bash -c "stat -c '%n %y' '$T'/*/metrics.csv | cmp -s - mtimes"
run sweep sweeps/tiny.json --list --pending
check "--list --pending lists nothing when every run is finished" test ! -s out

# --- summarize --------------------------------------------------------------------------------
run summarize "$T"
check "summarize exits 0" test "$code" -eq 0
check "summarize columns" test "$(head -1 out)" = \
  "run,label,model.depth,model.init,model.width,seed,status,steps,epochs,train_loss,train_accuracy,test_loss,test_accuracy,layers,first_layer_grad,last_layer_grad,first_layer_delta,last_layer_delta,first_layer_grad_end,last_layer_grad_end,wall_time_seconds"
check "summarize: one row per run" test "$(($(wc -l <out) - 1))" -eq 8
cp out summary.csv
check "summarize rows hold the runs' figures" $PY - "$WORK/summary.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["run"] for r in rows] == sorted(r["run"] for r in rows)
for r in rows:
    d = int(r["model.depth"])
    assert r["run"] == f"depth={d},init={r['model.init']},seed={r['seed']}", r["run"]
    assert r["status"] == "completed" and r["steps"] == "4" and r["epochs"] == "2", r
    assert int(r["layers"]) == d + 1, r
    for k in ("train_loss", "test_accuracy", "first_layer_grad", "last_layer_grad",
              "first_layer_delta", "last_layer_delta", "first_layer_grad_end", "wall_time_seconds"):
        assert math.isfinite(float(r[k])) and float(r[k]) >= 0, (k, r)
# The vanishing gradient: with sigmoid, layer 1's gradient is smaller at depth 4 than at depth 2.
by = {(r["model.depth"], r["model.init"], r["seed"]): float(r["first_layer_grad"]) for r in rows}
assert by[("4", "xavier_normal", "0")] < by[("2", "xavier_normal", "0")], by
PY
run summarize "$T" --out "$WORK/s2.csv" --window 1
check "summarize --out writes the file" test "$code" -eq 0 -a -s "$WORK/s2.csv"
check "--window changes the gradient figures" bash -c "! cmp -s '$WORK/s2.csv' '$WORK/summary.csv'"
run summarize "$T" --window 0
check "summarize --window 0 exits 2" test "$code" -eq 2
run summarize "$WORK/nowhere"
check "summarize of a missing directory exits 2" test "$code" -eq 2

# --- diverged and failed runs do not stop the others ---------------------------------------------
cat >sweeps/lr.json <<'JSON'
{"base": {"data": {"type": "sine", "train_size": 64, "test_size": 16},
          "model": {"depth": 2, "width": 8, "activation": "relu"},
          "train": {"epochs": 50, "batch_size": 16}},
 "grid": {"train.lr": [100000, 0.01]}}
JSON
run sweep sweeps/lr.json -j 1
check "a sweep with a diverged run exits 3" test "$code" -eq 3
check "the diverged run is reported with its log" grep -q 'diverged .*lr=100000 .*(log: ' out
check "the run after it still ran and completed" test "$(status_of runs/lr/lr=0.01)" = completed
check "the tally counts it" grep -qF '1 completed, 1 diverged, 0 failed' out
run sweep sweeps/lr.json -j 1
check "a re-started sweep skips the diverged run too (and still exits 3)" \
  test "$code" -eq 3 -a "$(grep -c '^\[.*skipped: ' out)" -eq 2
cat >sweeps/fail.json <<'JSON'
{"base": {"data": {"type": "csv", "path": "../cfg/data.csv"}, "model": {"depth": 1, "width": 2},
          "train": {"epochs": 1}},
 "grid": {"data.path": ["../cfg/missing.csv", "../cfg/data.csv"]}}
JSON
printf 'a,b,y\n0,1,0\n1,0,1\n1,1,0\n0,0,1\n0.5,0.5,1\n' >cfg/data.csv
run sweep sweeps/fail.json -j 2
check "a sweep with a failed run exits 1" test "$code" -eq 1
check "the failed run is reported with its exit code" grep -q 'failed (exit 2)' out
check "the failed run's log says why" grep -q 'missing.csv' runs/fail/logs/path=.._cfg_missing.csv.log
check "the other run completed" test "$(status_of runs/fail/path=.._cfg_data.csv)" = completed

# --- signals: forwarded to the runs, the sweep re-raises ---------------------------------------
cat >sweeps/long.json <<'JSON'
{"base": "../cfg/quickstart.json", "set": {"train.epochs": 100000, "train.batch_size": 4},
 "seeds": 3}
JSON
L=$WORK/runs/long
"$NNLAB" sweep sweeps/long.json -j 2 >long.out 2>long.err &
pid=$!
pids+=("$pid")
wait_lines "$L/seed=0/metrics.csv" 50 && wait_lines "$L/seed=1/metrics.csv" 50
run sweep sweeps/long.json -j 1
check "a second -j sweep of the same directory is refused (1)" test "$code" -eq 1
check "... saying another sweep runs it" grep -q 'is in use by another nnlab process (pid' err
kill -TERM "$pid"
wait "$pid"
code=$?
check "SIGTERM: the sweep exits by re-raising it (143)" test "$code" -eq 143
check "SIGTERM reached both runs, which stopped cleanly" \
  test "$(status_of "$L/seed=0")-$(status_of "$L/seed=1")" = interrupted-interrupted
check "no new run was started" test ! -e "$L/seed=2"
check "the tally says what was left" grep -qF '2 interrupted, 1 not started' long.out

# A scheduler or systemd signals every process: each run must still stop cleanly (it would be
# killed outright by a second, forwarded, SIGTERM).
rm -rf "$L"
"$NNLAB" sweep sweeps/long.json -j 2 >long.out 2>long.err &
pid=$!
pids+=("$pid")
wait_lines "$L/seed=0/metrics.csv" 50 && wait_lines "$L/seed=1/metrics.csv" 50
run_pids=$($PY -c "import json; print(' '.join(str(json.load(open('$L/seed=%d/summary.json' % i))['pid']) for i in (0, 1)))")
kill -TERM $run_pids "$pid"  # the runs first: the sweep's forwarded signal would come second
wait "$pid"
code=$?
check "SIGTERM to the sweep and its runs at once: exit 143" test "$code" -eq 143
check "... and both runs stopped cleanly" \
  test "$(status_of "$L/seed=0")-$(status_of "$L/seed=1")" = interrupted-interrupted

rm -rf "$L"
"$NNLAB" sweep sweeps/long.json -j 1 >long.out 2>long.err &
pid=$!
pids+=("$pid")
wait_lines "$L/seed=0/metrics.csv" 50
kill -INT -- -"$pid"  # what a terminal's Ctrl-C does: SIGINT to the sweep's process group
wait "$pid"
code=$?
check "Ctrl-C: the sweep exits by re-raising SIGINT (130)" test "$code" -eq 130
check "the sweep forwarded it to the run (its own process group), which stopped cleanly" \
  test "$(status_of "$L/seed=0")" = interrupted

# A sweep started with SIGINT ignored (nohup, a script's background job) keeps ignoring it.
rm -rf "$L"
set +m
"$NNLAB" sweep sweeps/long.json -j 1 >long.out 2>long.err &
pid=$!
set -m
pids+=("$pid")
wait_lines "$L/seed=0/metrics.csv" 50
kill -INT "$pid"
sleep 0.5
check "an ignored SIGINT stays ignored by the sweep" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
code=$?
check "... which SIGTERM still stops (143)" test "$code" -eq 143

if "$NNLAB" train --help | grep -q -- '--resume'; then
  # A re-started sweep continues an interrupted run from its checkpoint.
  cat >sweeps/resume.json <<'JSON'
{"base": "../cfg/quickstart.json", "set": {"train.epochs": 3000, "train.batch_size": 4}, "seeds": 1}
JSON
  R=$WORK/runs/resume
  "$NNLAB" sweep sweeps/resume.json -j 1 >resume.out 2>resume.err &
  pid=$!
  pids+=("$pid")
  wait_lines "$R/seed=0/metrics.csv" 1000
  kill -USR1 "$pid"
  for _ in $(seq 50); do [ -f "$R/seed=0/checkpoint.bin" ] && break; sleep 0.1; done
  check "SIGUSR1 is forwarded: the run writes a checkpoint" test -f "$R/seed=0/checkpoint.bin"
  kill -INT "$pid"
  wait "$pid"
  check "the resumable run was interrupted" test "$(status_of "$R/seed=0")" = interrupted
  run sweep sweeps/resume.json -j 1
  check "a re-started sweep resumes the interrupted run (0)" test "$code" -eq 0
  check "... with train --resume" grep -q 'train --resume' "$R/logs/seed=0.log"
  check "... to the end" test "$(($(wc -l <"$R/seed=0/metrics.csv") - 1))" -eq $((3000 * 128))
else
  echo "SKIP: resuming interrupted runs (this build's train has no --resume yet)" >&2
fi

# --- scripts: the bash loop and GNU parallel -----------------------------------------------------
"$ROOT/scripts/sweep_bash_loop.sh" sweeps/tiny.json --out runs/loop >loop.out 2>loop.err
code=$?
check "the bash loop runs every run (0)" test "$code" -eq 0
check "the bash loop's runs all completed" test "$(cat runs/loop/*/summary.json | grep -c '"status": "completed"')" -eq 8
"$ROOT/scripts/sweep_bash_loop.sh" sweeps/lr.json --out runs/loop_lr >loop.out 2>loop.err
code=$?
check "the bash loop goes on after a diverged run and exits 3" \
  test "$code" -eq 3 -a "$(status_of runs/loop_lr/lr=0.01)" = completed

"$ROOT/scripts/sweep_bash_loop.sh" sweeps/long.json --out runs/loop_int >loop.out 2>loop.err &
pid=$!
pids+=("$pid")
wait_lines runs/loop_int/seed=0/metrics.csv 50
run_pid=$($PY -c "import json; print(json.load(open('runs/loop_int/seed=0/summary.json'))['pid'])")
kill -INT "$run_pid"  # only the run, as a Ctrl-C would reach it
wait "$pid"
code=$?
check "SIGINT of a run stops the bash loop, with the run's code (130)" test "$code" -eq 130
check "the loop started no further run" test ! -e runs/loop_int/seed=1
check "the loop says why it stopped" grep -q 'stopped by signal 2' loop.err

if command -v parallel >/dev/null; then
  "$ROOT/scripts/sweep_parallel.sh" -j 2 sweeps/tiny.json --out runs/par >par.out 2>par.err
  code=$?
  check "the GNU parallel script runs the sweep (0)" test "$code" -eq 0
  check "every GNU parallel run completed" test "$(cat runs/par/*/summary.json | grep -c '"status": "completed"')" -eq 8
  stat -c '%n %y' runs/par/*/metrics.csv >mtimes
  "$ROOT/scripts/sweep_parallel.sh" -j 2 sweeps/tiny.json --out runs/par >par.out 2>par.err
  check "started again, it runs nothing" bash -c "grep -q 'every run is finished' par.err && stat -c '%n %y' runs/par/*/metrics.csv | cmp -s - mtimes"
  "$ROOT/scripts/sweep_parallel.sh" -j 2 sweeps/fail.json --out runs/par_fail >par.out 2>par.err
  code=$?
  check "the GNU parallel script exits 1 when a run fails" test "$code" -eq 1
  check "... after running the others" test "$(status_of runs/par_fail/path=.._cfg_data.csv)" = completed
else
  check "GNU parallel is installed (scripts/test.sh installs the Debian package parallel)" false
fi

finish sweep
