#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ (built by scripts/sanitize.sh in $SAN_BUILD_DIR, with
# ASan + UBSan): first replays every committed regression input in tests/fuzz/regressions/TARGET/,
# then fuzzes each target for FUZZ_SECONDS (default 30) from a corpus seeded with the shipped
# files (configs/, data/) and a weights file and checkpoint made by training tests/fuzz/model.json.
# Fails on any finding; the input that found it is kept in FUZZ_ARTIFACTS (default
# $SAN_BUILD_DIR/fuzz-artifacts) to be committed as a regression input once fixed.
# Usage: scripts/fuzz.sh [TARGET...]   (targets: config sweep csv weights checkpoint)
# FUZZ_CORPUS=DIR keeps the corpora in DIR/TARGET across runs (default: a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${SAN_BUILD_DIR:-build-asan}
SECONDS_EACH=${FUZZ_SECONDS:-30}
ARTIFACTS=$(realpath -m "${FUZZ_ARTIFACTS:-$B/fuzz-artifacts}")
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config sweep csv weights checkpoint)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work  # the targets' scratch files
corpora=${FUZZ_CORPUS:-$work/corpus}
mkdir -p "$ARTIFACTS"

# Seeds made by a run: weights.json, and checkpoint.bin without its trailing 8-byte hash (the
# checkpoint target appends the right one).
"$B/nnlab" -q train tests/fuzz/model.json --set train.checkpoint_every=1 --out "$work/run" >/dev/null
head -c -8 "$work/run/checkpoint.bin" >"$work/checkpoint.seed"

seeds() {
  case $1 in
    config) ls configs/*.json tests/fuzz/model.json ;;
    sweep) ls configs/sweeps/*.json ;;
    csv) ls data/*.csv ;;
    weights) echo "$work/run/weights.json"; ls configs/*weights*.json ;;
    checkpoint) echo "$work/checkpoint.seed" ;;
  esac
}

status=0
for t in "${targets[@]}"; do
  bin="$B/tests/fuzz/fuzz_$t"
  regressions=(tests/fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "fuzz_$t: replaying ${#regressions[@]} regression inputs" >&2
    "$bin" "${regressions[@]}" </dev/null >"$work/replay.log" 2>&1 || {
      cat "$work/replay.log" >&2
      echo "FAIL: fuzz_$t: a regression input in tests/fuzz/regressions/$t fails again" >&2
      status=1
      continue
    }
  fi
  corpus="$corpora/$t"
  mkdir -p "$corpus"
  seeds "$t" | while read -r f; do cp "$f" "$corpus/seed_$(basename "$f")"; done
  echo "fuzz_$t: fuzzing for ${SECONDS_EACH}s" >&2
  if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" "$corpus" </dev/null >"$work/$t.log" 2>&1; then
    tail -60 "$work/$t.log" >&2
    echo "FAIL: fuzz_$t found an input that crashes, leaks, hangs or throws an untyped error;" \
         "it is in $ARTIFACTS (fix it, then commit it under tests/fuzz/regressions/$t/)" >&2
    status=1
    continue
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov: .*(DONE|INITED)" "$work/$t.log" \
    | sed "s/^/fuzz_$t: /" >&2 || true
done
exit $status
