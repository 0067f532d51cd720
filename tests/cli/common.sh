# Shared by the end-to-end scripts in tests/cli/: `source "$(dirname "$0")/common.sh" "$@"`.
# Sets NNLAB (the binary, absolute), ROOT (the repository) and WORK (a temporary directory, the
# current directory, removed at exit with every background job still running), turns on job
# control, and provides check/run/finish. Add pids to `pids` for processes to kill at exit.
set -uo pipefail
# Job control: background jobs get process groups of their own and do not ignore SIGINT, as
# commands started from a terminal do not (a script's background jobs otherwise ignore it).
set -m
if [[ $# -ne 2 ]]; then
  echo "usage: $0 NNLAB_BINARY REPO_ROOT" >&2
  exit 2
fi
NNLAB=$(realpath "$1")
ROOT=$(realpath "$2")
WORK=$(mktemp -d)
PY=/usr/bin/python3
pids=()
cleanup_work() {
  for p in "${pids[@]}" $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup_work EXIT
cd "$WORK"
passed=0
failed=0

check() {  # check "description" command...: counts a pass when the command succeeds
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $what" >&2
  fi
}

run() {  # run ARGS...: runs nnlab; stdout in $WORK/out, stderr in $WORK/err, exit code in $code
  "$NNLAB" "$@" >"$WORK/out" 2>"$WORK/err"
  code=$?
}

skip() {  # skip REASON: a dependency is missing; CTest reports SKIP (77), or FAIL under
  # NNLAB_TEST_NO_SKIP=1 (scripts/test.sh, CI: everything is installed there)
  echo "SKIP: $*" >&2
  [ "${NNLAB_TEST_NO_SKIP:-0}" = 1 ] && exit 1
  exit 77
}

same_outputs() {  # same_outputs REFERENCE DIR: every run CSV and the weights, byte for byte
  local f ok=0
  for f in metrics.csv grad_norms.csv activations.csv eval.csv time_grad_norms.csv \
           grad_quantiles.csv weights.json; do
    [ -e "$1/$f" ] || continue
    cmp -s "$1/$f" "$2/$f" || { echo "  $2/$f differs from $1/$f" >&2; ok=1; }
  done
  return $ok
}

finish() {  # finish NAME: the tally, and the script's exit code
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
