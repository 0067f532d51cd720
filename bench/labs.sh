#!/usr/bin/env bash
# The labs as a benchmark workload (issue 14; bench/RESULTS.md, section "labs"): every lab of
# `nnlab lab list`, run with --quick and in full (-j 2, figures not drawn: --no-plots), its wall
# and CPU time (user + sys of nnlab and the runs it starts), and the totals. nnlab only: PyTorch
# has no labs. Prints Markdown.
# Usage: bench/labs.sh [BUILD_DIR]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
NNLAB=$BUILD/nnlab
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

timed() {  # timed NAME COMMAND...: "wall_s cpu_s verdict_exit" of the command
  local name=$1
  shift
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || rc=$?
  t1=$(date +%s.%N)
  read -r user sys <"$OUT/$name.time"
  printf '%.2f %.2f %d\n' "$(echo "$t1 - $t0" | bc -l)" "$(echo "$user + $sys" | bc -l)" "$rc"
}

verdict() {  # 0 agrees, 5 disagrees, anything else an error
  case $1 in 0) echo agrees ;; 5) echo disagrees ;; *) echo "error ($1)" ;; esac
}

echo "Labs (nnlab $("$NNLAB" --version | head -1 | awk '{print $2}'), $(date -u +%Y-%m-%d), $(nproc) CPUs, -j 2, --no-plots):"
echo
echo "| lab | --quick wall s | --quick CPU s | full wall s | full CPU s | verdict (full) |"
echo "|---|---:|---:|---:|---:|---|"
qw=0 qc=0 fw=0 fc=0
for lab in $("$NNLAB" lab list | awk '{print $1}'); do
  read -r w1 c1 _ < <(timed "$lab-quick" "$NNLAB" lab run "$lab" --quick --no-plots -j 2 --out "$OUT/$lab-quick")
  read -r w2 c2 rc < <(timed "$lab-full" "$NNLAB" lab run "$lab" --no-plots -j 2 --out "$OUT/$lab-full")
  echo "| $lab | $w1 | $c1 | $w2 | $c2 | $(verdict "$rc") |"
  qw=$(echo "$qw + $w1" | bc -l) qc=$(echo "$qc + $c1" | bc -l)
  fw=$(echo "$fw + $w2" | bc -l) fc=$(echo "$fc + $c2" | bc -l)
  rm -rf "$OUT/$lab-quick" "$OUT/$lab-full"
done
printf '| **all** | **%.1f** | **%.1f** | **%.1f** | **%.1f** | |\n' "$qw" "$qc" "$fw" "$fc"
