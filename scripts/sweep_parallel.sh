#!/usr/bin/env bash
# Runs a sweep with GNU parallel: `nnlab sweep --list --pending` prints one shell command per run
# not yet finished (train from scratch, or train --resume for a started one), and parallel runs
# them, N at a time, printing each run's output when it ends. Started again, it runs only what is
# left. Needs GNU parallel (Debian package `parallel`).
# Usage: scripts/sweep_parallel.sh [-j N] SWEEP.json [nnlab sweep options, e.g. --out DIR]
# N defaults to the number of cores. The binary is $NNLAB, else this checkout's build/nnlab, else
# nnlab on the PATH. Exit code: 0 every listed run completed, 1 otherwise (parallel's own count
# of failed jobs is printed), 2 the sweep file was refused.
set -euo pipefail
jobs=$(nproc)
if [[ ${1:-} == -j ]]; then
  jobs=${2:?"-j needs a number"}
  shift 2
fi
if [[ $# -lt 1 ]]; then
  echo "usage: $0 [-j N] SWEEP.json [nnlab sweep options, e.g. --out DIR]" >&2
  exit 2
fi
command -v parallel >/dev/null || { echo "error: GNU parallel is not installed (apt-get install parallel)" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
NNLAB=${NNLAB:-$here/../build/nnlab}
[[ -x "$NNLAB" ]] || NNLAB=nnlab
sweep=$1
shift

commands=$("$NNLAB" sweep "$sweep" --list --pending "$@")  # exit 2 (and nothing run) on a refusal
if [[ -z "$commands" ]]; then
  echo "sweep_parallel: every run is finished" >&2
  exit 0
fi
code=0
printf '%s\n' "$commands" | parallel --will-cite --jobs "$jobs" --halt never || code=$?
if ((code != 0)); then
  echo "sweep_parallel: $code run(s) did not complete (see above; nnlab summarize shows each status)" >&2
  exit 1
fi
