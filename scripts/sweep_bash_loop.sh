#!/usr/bin/env bash
# Runs a sweep's runs one after another in a plain bash loop over `nnlab sweep --index`: the
# simplest way to run a sweep, and the skeleton of a job script. Finished runs are skipped, a
# failed or diverged run does not stop the loop, and a run stopped by a signal (Ctrl-C, exit 130;
# SIGTERM, 143) stops it, with the run's exit code.
# Usage: scripts/sweep_bash_loop.sh SWEEP.json [nnlab sweep options, e.g. --out DIR]
# The binary is $NNLAB, else this checkout's build/nnlab, else nnlab on the PATH.
# Exit code: 0 every run completed; 3 some diverged, the rest completed; 1 some run failed;
# 128+N a run was stopped by signal N.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 SWEEP.json [nnlab sweep options, e.g. --out DIR]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
NNLAB=${NNLAB:-$here/../build/nnlab}
[[ -x "$NNLAB" ]] || NNLAB=nnlab
sweep=$1
shift

n=$("$NNLAB" sweep "$sweep" --count "$@")  # also checks every run's config: exit 2 on a typo
status=0
for ((i = 0; i < n; i++)); do
  code=0
  "$NNLAB" sweep "$sweep" --index "$i" "$@" || code=$?
  if ((code >= 128)); then
    echo "sweep_bash_loop: run $i stopped by signal $((code - 128)); stopping the loop" >&2
    exit "$code"
  fi
  case $code in
    0) ;;
    3) ((status == 0)) && status=3 ;;
    *) status=1 ;;
  esac
done
exit "$status"
