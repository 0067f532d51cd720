#!/usr/bin/env bash
# A private one-node Slurm cluster on localhost, for trying scripts/sweep_slurm.sbatch without a
# real cluster (and for the test suite). Everything lives in DIR: a MUNGE daemon with its own key
# and socket, slurmctld and slurmd with their own slurm.conf, state, spool, logs and non-default
# ports, so a Slurm or MUNGE already installed on the machine is neither used nor disturbed.
#
# Usage: scripts/slurm_local_cluster.sh start DIR   # prints the line to eval; also in DIR/env.sh
#        scripts/slurm_local_cluster.sh stop DIR    # cancels DIR's jobs, stops DIR's daemons
#
#   eval "$(scripts/slurm_local_cluster.sh start /tmp/slurm)"    # exports SLURM_CONF
#   sinfo; sbatch ...; squeue
#   scripts/slurm_local_cluster.sh stop /tmp/slurm
#
# Needs root (slurmd starts jobs as their user) and Debian's packages slurmctld, slurmd,
# slurm-client and munge; no systemd. Uses ProctrackType=proctrack/linuxproc and TaskPlugin=task/none
# (no cgroups) and no accounting (no slurmdbd, so no sacct). The ports are 16817 (slurmctld) and
# 16818 (slurmd), or the next free pair, or SLURM_LOCAL_PORT and SLURM_LOCAL_PORT+1 when set.
# `stop` signals exactly the processes `start` recorded in DIR/pids (checking their names).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
action=$1
[[ $action == start || $action == stop ]] || usage

log() { echo "slurm_local_cluster: $*" >&2; }

# The process PID is alive (a zombie, already dead but not yet reaped, counts as gone).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# PID is alive and still runs the program NAME (not a recycled pid).
is_ours() {
  alive "$1" && [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2"* ]]
}

# Sends SIGTERM to the recorded daemons (last started first), waits up to 10 s for each, then
# SIGKILL. DIR/pids lines: "NAME PID".
stop_daemons() {
  local dir=$1 name pid lines=()
  [[ -f $dir/pids ]] || return 0
  mapfile -t lines <"$dir/pids"
  for ((k = ${#lines[@]} - 1; k >= 0; k--)); do
    read -r name pid <<<"${lines[k]}"
    is_ours "$pid" "$name" || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "$name (pid $pid) did not stop in 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$dir/pids"
}

# Cancels every job of DIR's cluster (only this cluster: SLURM_CONF is DIR's) and waits up to
# 15 s for them to end, so that no job step outlives the daemons.
cancel_jobs() {
  local dir=$1 jobs
  [[ -f $dir/slurm.conf ]] || return 0
  export SLURM_CONF=$dir/slurm.conf
  jobs=$(timeout 5 squeue -h -o %A 2>/dev/null | sort -u) || return 0
  [[ -n $jobs ]] || return 0
  # shellcheck disable=SC2086
  timeout 5 scancel $jobs 2>/dev/null || true
  for _ in $(seq 150); do
    [[ -z $(timeout 5 squeue -h -o %A 2>/dev/null) ]] && return 0
    sleep 0.1
  done
  log "jobs still listed after scancel: $(timeout 5 squeue -h 2>/dev/null | tr -s ' ' | tr '\n' ';')"
}

print_logs() {
  local dir=$1 f
  for f in "$dir"/log/*; do
    [[ -f $f ]] || continue
    echo "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ $action == stop ]]; then
  [[ -d $2 ]] || { log "no such directory: $2"; exit 1; }
  dir=$(cd "$2" && pwd -P)
  if [[ ! -f $dir/pids ]]; then
    log "$dir/pids not found: nothing to stop"
    exit 0
  fi
  cancel_jobs "$dir"
  stop_daemons "$dir"
  log "stopped the cluster in $dir"
  exit 0
fi

# ---- start ------------------------------------------------------------------------------------
if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (slurmd starts jobs as their user)"
  exit 1
fi
for prog in munged mungekey munge slurmctld slurmd sinfo; do
  if ! command -v "$prog" >/dev/null; then
    log "$prog not found; install Debian's slurmctld slurmd slurm-client munge"
    exit 1
  fi
done
mkdir -p "$2"
dir=$(cd "$2" && pwd -P)
if [[ -f $dir/pids ]]; then
  while read -r name pid; do
    if is_ours "$pid" "$name"; then
      log "a cluster is already running from $dir ($name, pid $pid); stop it first"
      exit 1
    fi
  done <"$dir/pids"
  rm -f "$dir/pids"
fi
# munged refuses a socket that some user cannot reach, so every directory on the way must be
# searchable by all (mktemp -d makes 0700 directories).
chmod 0755 "$dir"
up=$dir
while [[ $up != / ]]; do
  up=$(dirname "$up")
  if [[ $(( $(stat -c %#a "$up") & 1 )) -eq 0 ]]; then
    log "munged needs every directory above its socket to be searchable by all: chmod o+x $up"
    exit 1
  fi
done
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 0755 "$dir/munge"
rm -rf "${dir:?}/state/"* "${dir:?}/spool/"*  # a fresh cluster: no jobs from a previous start
node=$(hostname -s)
cpus=$(nproc)

if [[ -n ${SLURM_LOCAL_PORT:-} ]]; then
  ctld_port=$SLURM_LOCAL_PORT
else
  ctld_port=16817
  while ! port_free "$ctld_port" || ! port_free $((ctld_port + 1)); do
    ctld_port=$((ctld_port + 2))
    ((ctld_port < 16900)) || { log "no free port pair in 16817-16900"; exit 1; }
  done
fi
slurmd_port=$((ctld_port + 1))

# On any failure from here on: show the logs and stop what was started.
started=0
on_exit() {
  local code=$?
  if ((code != 0 && started)); then
    print_logs "$dir"
    stop_daemons "$dir"
  fi
}
trap on_exit EXIT

# ---- munge: its own key, socket, pid, seed and log files --------------------------------------
sock=$dir/munge/munge.socket
key=$dir/munge/munge.key
[[ -f $key ]] || mungekey --create --bits=1024 --keyfile="$key"
chmod 0400 "$key"
started=1
munged --foreground --socket="$sock" --key-file="$key" --pid-file="$dir/munge/munged.pid" \
  --seed-file="$dir/munge/munged.seed" --log-file="$dir/log/munged.log" \
  </dev/null >"$dir/log/munged.out" 2>&1 &
echo "munged $!" >>"$dir/pids"
for _ in $(seq 100); do
  [[ -S $sock ]] && break
  alive "$!" || break
  sleep 0.1
done
if ! munge -n -S "$sock" | unmunge -S "$sock" >/dev/null; then
  log "munged did not start"
  exit 1
fi

# ---- slurm.conf --------------------------------------------------------------------------------
cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm_local_cluster.sh: a private one-node cluster in $dir
ClusterName=nnlablocal
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MailProg=/bin/true
KillWait=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
echo "export SLURM_CONF=$(printf '%q' "$SLURM_CONF")" >"$dir/env.sh"

# ---- slurmctld and slurmd, in the foreground of background jobs: $! is the daemon ------------
slurmctld -D -f "$SLURM_CONF" </dev/null >"$dir/log/slurmctld.out" 2>&1 &
echo "slurmctld $!" >>"$dir/pids"
slurmd -D -f "$SLURM_CONF" -N "$node" </dev/null >"$dir/log/slurmd.out" 2>&1 &
echo "slurmd $!" >>"$dir/pids"

state=""
for _ in $(seq 300); do
  state=$(timeout 5 sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  while read -r name pid; do
    if ! alive "$pid"; then
      log "$name exited during start-up"
      exit 1
    fi
  done <"$dir/pids"
  sleep 0.1
done
if [[ $state != idle ]]; then
  log "node $node not idle after 30 s (state: ${state:-none})"
  exit 1
fi
log "cluster up in $dir: node $node ($cpus CPUs), slurmctld port $ctld_port, slurmd port $slurmd_port"
cat "$dir/env.sh"
