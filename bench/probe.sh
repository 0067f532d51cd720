#!/usr/bin/env bash
# `nnlab probe` benchmark and agreement figures (bench/RESULTS.md, section "probe"):
#  1. speed: 100 seeds of the width-256, depth-50 tanh MLP at batch 64 (configs/probe_tanh_deep.json)
#     with -j 1 and -j 2 (wall and CPU time), per-seed CPU time and heap allocations of a warm
#     seed (bench/nnlab_probe_bench), and PyTorch doing the same loop (bench/probe_torch.py);
#  2. agreement: the fitted slope of ln ||delta||^2 against the mean-field theory, tanh at
#     sigma_w^2 = 0.5, 1, 2, 4 and He vs Xavier on ReLU, SEEDS seeds each (default 20).
# Usage: bench/probe.sh [BUILD_DIR] [SEEDS] [agreement]   (after scripts/build.sh; prints
# Markdown; "agreement" skips the speed part)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SEEDS=${2:-20}
NNLAB=$BUILD/nnlab
CONFIG=configs/probe_tanh_deep.json
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

timed() {  # timed NAME COMMAND...: "wall_s cpu_s" of the command (children's user + sys)
  local name=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  t1=$(date +%s.%N)
  read -r user sys <"$OUT/$name.time"
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$user + $sys" | bc -l)"
}

if [[ "${3:-}" != agreement ]]; then
echo "### probe: speed"
echo
echo "- Date: $(date -u +%Y-%m-%d); commit \`$(git rev-parse --short HEAD)\`; load average $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share the machine: CPU time is the figure to trust)."
echo "- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs."
echo
echo "| what | wall s | CPU s |"
echo "|---|---:|---:|"
read -r w c < <(timed j1 "$NNLAB" -q probe "$CONFIG" --seeds 100 --out "$OUT/p1")
echo "| nnlab probe, 100 seeds, -j 1 | $(printf %.2f "$w") | $(printf %.2f "$c") |"
read -r w c < <(timed j2 "$NNLAB" -q probe "$CONFIG" --seeds 100 -j 2 --out "$OUT/p2")
echo "| nnlab probe, 100 seeds, -j 2 | $(printf %.2f "$w") | $(printf %.2f "$c") |"
read -r w c < <(timed torch /usr/bin/python3 bench/probe_torch.py --seeds 100)
echo "| PyTorch, same loop, 100 seeds, 1 thread | $(printf %.2f "$w") | $(printf %.2f "$c") |"
cmp -s "$OUT/p1/probe.csv" "$OUT/p2/probe.csv" && same=yes || same=NO
echo
echo "- -j 1 and -j 2 probe.csv byte-identical: $same"
echo "- nnlab per warm seed (nnlab_probe_bench, 30 seeds): $("$BUILD/bench/nnlab_probe_bench" "$CONFIG" --seeds 30)"
echo "- PyTorch per seed: $(cat "$OUT/torch.out")"
echo
fi

echo "### probe: agreement with the mean-field theory (width 256, depth 50, fit layers 13..38, $SEEDS seeds)"
echo
echo "| net | fitted slope ± se | theory slope | difference |"
echo "|---|---:|---:|---:|"
row() {  # row LABEL ARGS...: one probe, one table row
  local label=$1
  shift
  "$NNLAB" -q probe "$CONFIG" --seeds "$SEEDS" -j 2 --out "$OUT/a" --force "$@" >/dev/null
  /usr/bin/python3 - "$OUT/a/summary.json" "$label" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))['fit']
print(f"| {sys.argv[2]} | {f['slope']:.4f} ± {f['se']:.4f} | {f['theory_slope']:.4f} | {f['slope'] - f['theory_slope']:+.4f} |")
PY
  cp "$OUT/a/summary.json" "$OUT/summary_$(echo "$label" | tr -c 'a-zA-Z0-9' _).json"
}
for s2 in 0.5 1 2 4; do
  row "tanh, lecun_normal, sigma_w^2 = $s2" --set "model.gain=$(printf %.12f "$(echo "sqrt($s2)" | bc -l)")"
done
row "relu, he_normal" --set model.activation=relu --set model.init=he_normal
row "relu, xavier_normal" --set model.activation=relu --set model.init=xavier_normal
/usr/bin/python3 - "$OUT" <<'PY'
import glob, json, sys
he = json.load(open(glob.glob(f"{sys.argv[1]}/summary_relu__he_normal*.json")[0]))['fit']
xa = json.load(open(glob.glob(f"{sys.argv[1]}/summary_relu__xavier_normal*.json")[0]))['fit']
d = xa['slope'] - he['slope']
print(f"\nXavier minus He on ReLU: {d:.4f} per layer (ln 2 = 0.6931; difference {d - 0.6931471805599453:+.4f})")
PY
