#!/usr/bin/env bash
# The Slurm path for real: starts a private one-node Slurm cluster on localhost
# (scripts/slurm_local_cluster.sh: munged, slurmctld, slurmd), submits a 4-run sweep as an array
# job with scripts/sweep_slurm.sbatch, waits for it, and checks every run's outputs and Slurm ids,
# the job's task states and `nnlab summarize`. Then a resubmission (finished runs are skipped),
# and a run that gets SIGUSR1 through `scancel --signal=USR1 --batch` (checkpoints, goes on), is
# cancelled (SIGTERM: interrupted) and finished by submitting again (resumed). The daemons the
# test started, and only those, are stopped on exit, also when it fails.
# Needs root and Debian's slurmctld, slurmd, slurm-client and munge (scripts/test.sh installs them).
# Usage: test_slurm.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"
CLUSTER_SH=$ROOT/scripts/slurm_local_cluster.sh
SBATCH_SCRIPT=$ROOT/scripts/sweep_slurm.sbatch
CLUSTER=$WORK/cluster
t0=$SECONDS

missing=()
for prog in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
  command -v "$prog" >/dev/null || missing+=("$prog")
done
if ((${#missing[@]})); then
  skip "${missing[*]} not found: this test runs a local Slurm cluster and needs Debian's" \
    "slurmctld slurmd slurm-client munge (scripts/test.sh installs them:" \
    "scripts/install_deps.sh slurmctld slurmd slurm-client munge)."
fi
if [[ $(id -u) -ne 0 ]]; then
  skip "this test starts slurmd, which must run as root"
fi

# On every exit, also a failed check's or a signal's: stop the daemons this test started (the
# script stops exactly the pids it recorded in $CLUSTER/pids), then common.sh's cleanup.
stop_cluster() {
  [[ -f $CLUSTER/pids ]] || return 0
  "$CLUSTER_SH" stop "$CLUSTER" || echo "warning: stopping the test cluster failed" >&2
}
trap 'stop_cluster; cleanup_work' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 0755 "$WORK"  # munged wants every directory above its socket searchable by all
export NNLAB        # for the job script

fatal() {  # a failure after which the rest cannot run: show the cluster's logs and stop
  echo "FAIL: $*" >&2
  for f in "$CLUSTER"/log/*.log "$WORK"/logs/*; do
    [[ -f $f ]] && { echo "----- $f" >&2; tail -n 30 "$f" >&2; }
  done
  exit 1
}

# Submits the sweep job script as an array of COUNT tasks; prints the array job id.
submit() {  # submit COUNT SWEEP.json [sweep options]
  local count=$1 out
  shift
  out=$(sbatch --parsable --array=0-$((count - 1)) "$SBATCH_SCRIPT" "$@") || return 1
  echo "${out%%;*}"
}

# Waits until squeue no longer lists JOB (at most LIMIT seconds, default 60).
wait_job() {  # wait_job JOB [LIMIT]
  local job=$1 limit=${2:-60} start=$SECONDS listed
  while ((SECONDS - start < limit)); do
    listed=$(squeue -h -j "$job" -o %i 2>/dev/null) || listed=error
    [[ -z $listed ]] && return 0
    sleep 0.2
  done
  echo "job $job still listed after $limit s:" >&2
  squeue >&2
  return 1
}

# One line per array task of JOB: "TASK JOBID STATE EXITCODE", sorted by task.
task_states() {
  scontrol show job -o "$1" | $PY -c '
import re, sys
rows = []
for line in sys.stdin:
    f = dict(re.findall(r"(\w+)=(\S*)", line))
    rows.append((int(f["ArrayTaskId"]), f["JobId"], f["JobState"], f["ExitCode"]))
for r in sorted(rows):
    print(*r)'
}

# ---- the cluster -------------------------------------------------------------------------------
"$CLUSTER_SH" start "$CLUSTER" >"$WORK/start.out" || fatal "the local cluster did not start"
# shellcheck source=/dev/null
source "$CLUSTER/env.sh"
check "start prints the env line it writes to env.sh" \
  test "$(cat "$WORK/start.out")" = "$(cat "$CLUSTER/env.sh")"
check "SLURM_CONF points into the cluster's directory" test "$SLURM_CONF" = "$(realpath "$CLUSTER")/slurm.conf"
check "three daemons recorded" test "$(wc -l <"$CLUSTER/pids")" -eq 3
node=$(hostname -s)
check "sinfo shows the node idle" test "$(sinfo -h -n "$node" -o %T)" = idle
echo "cluster up after $((SECONDS - t0)) s"

# ---- a 4-run sweep as an array job -------------------------------------------------------------
mkdir -p cfg sweeps logs
cp "$ROOT/configs/quickstart.json" cfg/quickstart.json
cat >sweeps/tiny.json <<'JSON'
{"name": "tiny", "base": "../cfg/quickstart.json",
 "set": {"train.epochs": 2, "data.train_size": 64, "data.test_size": 32, "log.every": 1},
 "grid": {"model.depth": [2, 4]},
 "seeds": 2}
JSON
n=$("$NNLAB" sweep sweeps/tiny.json --count) || fatal "nnlab sweep --count failed"
check "the sweep has 4 runs" test "$n" -eq 4
t1=$SECONDS
job=$(submit "$n" sweeps/tiny.json) || fatal "sbatch failed"
wait_job "$job" 60 || fatal "the array job did not finish"
echo "array job of $n tasks: $((SECONDS - t1)) s from sbatch to an empty squeue"
task_states "$job" >states
check "scontrol lists the 4 array tasks" test "$(awk '{print $1}' states | tr '\n' ' ')" = "0 1 2 3 "
check "every task COMPLETED with exit code 0:0" \
  test "$(awk '$3 == "COMPLETED" && $4 == "0:0"' states | wc -l)" -eq 4

# Every run: summary completed, its CSV files, and the Slurm ids of the task that ran it.
check_runs() {  # check_runs SWEEP_DIR STATES_FILE ARRAY_JOB NODE
  $PY - "$@" <<'PY'
import json, os, sys
sweep, states, array_job, node = sys.argv[1:]
job_of = {int(t): j for t, j, *_ in (l.split() for l in open(states))}
manifest = json.load(open(os.path.join(sweep, "manifest.json")))
bad = []
for run in manifest["runs"]:
    i, d = run["index"], os.path.join(sweep, run["name"])
    try:
        s = json.load(open(os.path.join(d, "summary.json")))
    except OSError as e:
        bad.append(f"run {i}: {e}")
        continue
    if s.get("status") != "completed":
        bad.append(f"run {i}: status {s.get('status')}")
    if s.get("steps", 0) <= 0:
        bad.append(f"run {i}: steps {s.get('steps')}")
    for f in ("config.json", "metrics.csv", "grad_norms.csv", "activations.csv", "eval.csv",
              "weights.json"):
        p = os.path.join(d, f)
        if not os.path.isfile(p) or os.path.getsize(p) == 0:
            bad.append(f"run {i}: {f} missing or empty")
    rows = sum(1 for _ in open(os.path.join(d, "metrics.csv"))) - 1
    if rows != s.get("steps"):
        bad.append(f"run {i}: metrics.csv has {rows} rows for {s.get('steps')} steps")
    want = {"job_id": job_of.get(i), "array_job_id": array_job, "array_task_id": str(i),
            "job_name": "nnlab-sweep", "node": node}
    got = s.get("slurm", {})
    for k, v in want.items():
        if str(got.get(k)) != str(v):
            bad.append(f"run {i}: slurm.{k} is {got.get(k)!r}, expected {v!r}")
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
check "every run completed with its CSVs and its task's Slurm ids" \
  check_runs runs/tiny states "$job" "$node"
for i in 0 1 2 3; do
  check "task $i wrote its Slurm log logs/nnlab-sweep-${job}_$i.out" \
    grep -q "completed" "logs/nnlab-sweep-${job}_$i.out"
done

"$NNLAB" summarize runs/tiny >summary.csv 2>summarize.err
code=$?
check "nnlab summarize on the sweep exits 0" test "$code" -eq 0
check "the summary has a row per run: depth, seed, completed, layers, gradient figures" \
  $PY - summary.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
got = sorted((r["model.depth"], r["seed"], r["status"], r["layers"]) for r in rows)
want = [("2", "0", "completed", "3"), ("2", "1", "completed", "3"),
        ("4", "0", "completed", "5"), ("4", "1", "completed", "5")]
ok = got == want and all(float(r["first_layer_grad"]) > 0 for r in rows)
if not ok:
    print(got, file=sys.stderr)
sys.exit(0 if ok else 1)
PY

# ---- submitting again: every task finds its run finished ---------------------------------------
sums_before=$(cat runs/tiny/*/summary.json | md5sum)
job2=$(submit "$n" sweeps/tiny.json) || fatal "sbatch (again) failed"
wait_job "$job2" 60 || fatal "the second array job did not finish"
task_states "$job2" >states2
check "resubmitted: every task COMPLETED with 0:0" \
  test "$(awk '$3 == "COMPLETED" && $4 == "0:0"' states2 | wc -l)" -eq 4
check "resubmitted: no finished run was touched" test "$(cat runs/tiny/*/summary.json | md5sum)" = "$sums_before"

# ---- signals through Slurm: SIGUSR1 checkpoints, scancel interrupts, a new job resumes -------
# One run of some seconds, without periodic checkpoints: checkpoint.bin appears only when the
# run is told to (SIGUSR1) or stops.
cat >sweeps/long.json <<'JSON'
{"name": "long",
 "base": {"name": "long", "seed": 3,
          "data": {"type": "spirals", "train_size": 2000, "test_size": 200},
          "model": {"depth": 4, "width": 128, "activation": "relu", "init": "he_normal"},
          "train": {"epochs": 400, "batch_size": 10, "optimizer": "momentum", "lr": 0.01},
          "log": {"every": 5}}}
JSON
L=runs/long/base
wait_for() {  # wait_for SECONDS command...: until the command succeeds
  local limit=$1 start=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - start < limit)) || return 1
    sleep 0.1
  done
}
has_rows() { [[ -f $L/metrics.csv ]] && (($(wc -l <"$L/metrics.csv") > 100)); }
job3=$(submit 1 sweeps/long.json) || fatal "sbatch (long) failed"
wait_for 30 has_rows || fatal "the long run did not start"
check "no checkpoint before SIGUSR1" test ! -e "$L/checkpoint.bin"
scancel --signal=USR1 --batch "${job3}_0"
check "SIGUSR1 through scancel --batch: the run writes a checkpoint" wait_for 10 test -s "$L/checkpoint.bin"
check "after SIGUSR1 the task is still running" test "$(squeue -h -j "$job3" -o %T)" = RUNNING
scancel "${job3}_0"
wait_job "$job3" 30 || fatal "the cancelled job did not end"
status_of() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))['status'])" "$1/summary.json"; }
check "scancel (SIGTERM): the run is interrupted" test "$(status_of "$L")" = interrupted
check "scancel: the task is CANCELLED" test "$(task_states "$job3" | awk '{print $3}')" = CANCELLED
steps_interrupted=$(wc -l <"$L/metrics.csv")
job4=$(submit 1 sweeps/long.json) || fatal "sbatch (long, again) failed"
wait_job "$job4" 120 || fatal "the resubmitted long job did not finish"
check "resubmitted: the run completed" test "$(status_of "$L")" = completed
check "resubmitted: the task COMPLETED with 0:0" test "$(task_states "$job4" | awk '{print $3, $4}')" = "COMPLETED 0:0"
check "resubmitted: summary.json keeps the first job's ids and adds the new job's to resumed" \
  $PY - "$L/summary.json" "$job3" "$job4" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
first, last = s["slurm"], s["resumed"][-1]
ok = (len(s["resumed"]) == 1 and first["array_job_id"] == sys.argv[2]
      and last["slurm"]["array_job_id"] == sys.argv[3] and last["slurm"]["array_task_id"] == "0"
      and last["at_step"] > 0)
if not ok:
    print(first, last, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
check "the resumed run kept the interrupted rows and has one row per step" \
  $PY -c '
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
rows = sum(1 for _ in open(sys.argv[1] + "/metrics.csv")) - 1
sys.exit(0 if rows == s["steps"] == 80000 and rows + 1 > int(sys.argv[2]) else 1)' "$L" "$steps_interrupted"

# ---- stop ------------------------------------------------------------------------------------
daemon_pids=$(awk '{print $2}' "$CLUSTER/pids")
t2=$SECONDS
"$CLUSTER_SH" stop "$CLUSTER"
check "stop exits 0" test $? -eq 0
echo "stop: $((SECONDS - t2)) s"
gone() {
  local p
  for p in $daemon_pids; do
    [[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) =~ ^[ZX]?$ ]] || return 1
  done
}
check "stop ended every daemon start recorded" gone
check "stop removed the pid list" test ! -e "$CLUSTER/pids"

echo "test_slurm: $((SECONDS - t0)) s"
finish test_slurm
