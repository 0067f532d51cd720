#!/usr/bin/env bash
# Runs that survive faults, through the real binary: kill -9 at random moments and --resume,
# SIGINT and SIGTERM (exit by re-raising, checkpoint, resume), SIGUSR1 (checkpoint and go on),
# Ctrl-C stopping a plain bash loop, --resume's refusals, and SLURM ids in summary.json. Every
# resumed run must end byte-identical to an uninterrupted one.
# Usage: test_resume.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"

# A truncated LSTM (three updates per batch, state carried between them) that trains for a few
# seconds, and an MLP with batch norm and momentum.
cat >"$WORK/lstm.json" <<'JSON'
{"name": "lstm", "seed": 7,
 "data": {"type": "sine", "length": 30, "train_size": 2000, "test_size": 100},
 "model": {"type": "lstm", "depth": 2, "width": 16},
 "train": {"epochs": 40, "batch_size": 20, "optimizer": "adam", "truncation": 10,
           "clip_threshold": 1, "checkpoint_every": 97},
 "log": {"every": 5}}
JSON
cat >"$WORK/mlp.json" <<'JSON'
{"name": "mlp", "seed": 3,
 "data": {"type": "spirals", "train_size": 4000, "test_size": 200},
 "model": {"depth": 4, "width": 128, "batch_norm": true, "activation": "relu", "init": "he_normal"},
 "train": {"epochs": 60, "batch_size": 10, "optimizer": "momentum", "lr": 0.01,
           "checkpoint_every": 250},
 "log": {"every": 3}}
JSON

# Waits (up to 20 s) until DIR/metrics.csv has more than N lines.
wait_rows() {
  for _ in $(seq 200); do
    [ -s "$1/metrics.csv" ] && [ "$(wc -l <"$1/metrics.csv")" -gt "$2" ] && return 0
    sleep 0.1
  done
  return 1
}


complete_rows() {  # every CSV of DIR ends with a newline and has as many fields per row as its header
  local f
  for f in "$1"/*.csv; do
    [ -z "$(tail -c1 "$f")" ] || return 1
    awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$f" || return 1
  done
}

summary_field() {  # summary_field DIR PYTHON_EXPR_OF_d
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1] + '/summary.json')); print($2)" "$1"
}

kill_delays=(0.4 0.1 0.7)
for model in lstm mlp; do
  "$NNLAB" train "$WORK/$model.json" -q --out "$WORK/$model-ref" >/dev/null
  check "$model: the reference run completes" test "$(summary_field "$WORK/$model-ref" "d['status']")" = completed

  # --- kill -9 at three moments, resuming after each -------------------------------------------
  # Each kill comes a fixed delay after a fixed number of rows (the same on every run of the
  # test), so a failure can be reproduced; the delays vary so the kills land mid-step.
  dir="$WORK/$model-killed"
  "$NNLAB" train "$WORK/$model.json" -q --out "$dir" >/dev/null &
  pid=$!
  for round in 1 2 3; do
    wait_rows "$dir" $((round * 300)) || echo "  (slow machine: fewer rows than hoped)" >&2
    sleep "${kill_delays[round - 1]}"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    check "$model kill $round: every CSV holds only complete rows" complete_rows "$dir"
    check "$model kill $round: summary.json is whole" summary_field "$dir" "d['status']"
    "$NNLAB" train -q --resume "$dir" >/dev/null &
    pid=$!
  done
  wait $pid
  code=$?
  check "$model: the last resumption completes (exit 0)" test "$code" -eq 0
  check "$model: killed three times and resumed = uninterrupted, byte for byte" \
    same_outputs "$WORK/$model-ref" "$dir"
  check "$model: summary records the resumptions" \
    test "$(summary_field "$dir" "len(d.get('resumed', []))")" -ge 1

  # --- SIGINT: exit 130 after a checkpoint; resume gives the same run ----------------------------
  dir="$WORK/$model-int"
  "$NNLAB" train "$WORK/$model.json" -q --out "$dir" >/dev/null &
  pid=$!
  wait_rows "$dir" 200
  kill -INT $pid
  wait $pid
  code=$?
  check "$model: SIGINT exits by re-raising it (130)" test "$code" -eq 130
  check "$model: summary says interrupted" test "$(summary_field "$dir" "d['status']")" = interrupted
  check "$model: the interruption wrote a checkpoint at its last step" \
    test "$(summary_field "$dir" "d['steps']")" -eq "$(($(wc -l <"$dir/metrics.csv") - 1))"
  "$NNLAB" train -q --resume "$dir" >/dev/null
  check "$model: resumed after SIGINT = uninterrupted" same_outputs "$WORK/$model-ref" "$dir"
done

# --- SIGUSR1 checkpoints and goes on; SIGTERM stops with 143 -------------------------------------
dir="$WORK/usr1"
"$NNLAB" train "$WORK/lstm.json" -q --set train.checkpoint_every=0 --out "$dir" >/dev/null &
pid=$!
wait_rows "$dir" 100
check "no checkpoint before one is due" test ! -e "$dir/checkpoint.bin"
kill -USR1 $pid
for _ in $(seq 100); do [ -e "$dir/checkpoint.bin" ] && break; sleep 0.05; done
check "SIGUSR1 writes a checkpoint" test -e "$dir/checkpoint.bin"
rows=$(wc -l <"$dir/metrics.csv")
sleep 0.3
check "after SIGUSR1 the run goes on" test "$(wc -l <"$dir/metrics.csv")" -gt "$rows"
check "after SIGUSR1 the run is still running" kill -0 $pid
kill -TERM $pid
wait $pid
code=$?
check "SIGTERM exits by re-raising it (143)" test "$code" -eq 143
"$NNLAB" train -q --resume "$dir" >/dev/null
check "resumed after SIGUSR1 and SIGTERM = uninterrupted" same_outputs "$WORK/lstm-ref" "$dir"

# --- Ctrl-C in a plain bash loop stops the loop ----------------------------------------------------
cat >"$WORK/loop.sh" <<SH
for seed in 1 2 3; do
  "$NNLAB" train "$WORK/lstm.json" -q --set seed=\$seed --out "$WORK/loop/seed-\$seed" >/dev/null
done
echo "the loop went on" >"$WORK/loop-went-on"
SH
bash "$WORK/loop.sh" &  # in a process group of its own (set -m above)
loop=$!
wait_rows "$WORK/loop/seed-1" 100
kill -INT -- -"$loop"  # what a terminal's Ctrl-C does: SIGINT to the whole foreground group
wait $loop
code=$?
check "Ctrl-C stops the bash loop (exit 130)" test "$code" -eq 130
check "no later run of the loop started" test ! -e "$WORK/loop/seed-2"
check "the loop did not go on" test ! -e "$WORK/loop-went-on"
check "the interrupted run of the loop says so" \
  test "$(summary_field "$WORK/loop/seed-1" "d['status']")" = interrupted

# --- --resume refusals and no-ops ----------------------------------------------------------------
mkdir -p "$WORK/empty"
run train --resume "$WORK/empty"
check "--resume of a non-run directory exits 2" test "$code" -eq 2
check "and says why" grep -q "not a run directory" "$WORK/err"
run train --resume "$WORK/lstm-ref" --set seed=2
check "--resume with --set exits 2" test "$code" -eq 2
run train "$WORK/lstm.json" --resume "$WORK/lstm-ref"
check "--resume with a CONFIG exits 2" test "$code" -eq 2
run train
check "train without CONFIG or --resume exits 2" test "$code" -eq 2
before=$(stat -c %Y.%s "$WORK/lstm-ref/metrics.csv")
run train --resume "$WORK/lstm-ref"
check "--resume of a completed run exits 0" test "$code" -eq 0
check "and prints the run directory" grep -qx "$WORK/lstm-ref" "$WORK/out"
check "and touches nothing" test "$(stat -c %Y.%s "$WORK/lstm-ref/metrics.csv")" = "$before"
cp -r "$WORK/lstm-int" "$WORK/edited"
/usr/bin/python3 - "$WORK/edited" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/summary.json")); d["status"] = "interrupted"
json.dump(d, open(sys.argv[1] + "/summary.json", "w"))
c = json.load(open(sys.argv[1] + "/config.json")); c["train"]["lr"] = 0.5
json.dump(c, open(sys.argv[1] + "/config.json", "w"))
PY
run train --resume "$WORK/edited"
check "--resume after config.json was edited exits 2" test "$code" -eq 2
check "and names config.json" grep -q "config.json" "$WORK/err"

# --- rows gathered over steps reach the file within about 100 ms --------------------------------
# One long epoch of tiny steps (no evaluation, no checkpoint for 10^6 steps): rows must still
# arrive while it runs (RunLogger writes them once 100 ms old), and a kill -9 leaves whole rows.
cat >"$WORK/tiny.json" <<'JSON'
{"name": "tiny", "seed": 1,
 "data": {"type": "moons", "train_size": 1000000, "test_size": 0},
 "model": {"depth": 2, "width": 8},
 "train": {"epochs": 1, "batch_size": 1, "lr": 0.01, "checkpoint_every": 0},
 "log": {"every": 1}}
JSON
dir="$WORK/tiny-killed"
"$NNLAB" train "$WORK/tiny.json" -q --out "$dir" >/dev/null &
pid=$!
wait_rows "$dir" 100
check "tiny steps: rows reach metrics.csv before any checkpoint or evaluation" \
  test "$(wc -l <"$dir/metrics.csv")" -gt 100
rows_before=$(wc -l <"$dir/grad_norms.csv")
sleep 0.5
rows_after=$(wc -l <"$dir/grad_norms.csv")
check "tiny steps: grad_norms.csv keeps growing while the run goes on" test "$rows_after" -gt "$rows_before"
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check "tiny steps, kill -9: every CSV holds only complete rows" complete_rows "$dir"
check "tiny steps, kill -9: the run was stopped mid-epoch (not finished)" \
  test "$(wc -l <"$dir/metrics.csv")" -lt 1000001

# --- metadata: SLURM ids, seeds, threads ------------------------------------------------------------
SLURM_JOB_ID=4242 SLURM_ARRAY_JOB_ID=4240 SLURM_ARRAY_TASK_ID=2 \
  "$NNLAB" train "$WORK/mlp.json" -q --set train.epochs=1 --out "$WORK/slurm" >/dev/null
check "summary records the SLURM job and array ids" test \
  "$(summary_field "$WORK/slurm" "d['slurm']['job_id'], d['slurm']['array_job_id'], d['slurm']['array_task_id']")" \
  = "4242 4240 2"
check "summary records threads, seeds, host and times" \
  summary_field "$WORK/slurm" "d['threads'], d['seeds']['init'], d['host'], d['started'], d['ended'], d['nnlab_commit']"
check "without SLURM there is no slurm field" \
  test "$(summary_field "$WORK/mlp-ref" "'slurm' in d")" = False

finish resume
