#!/usr/bin/env bash
# Run-directory safety through the real binary (docs/run-safety.md): exclusive run locks against
# concurrent writers (train, --resume, every kind of sweep runner at once), `sweep --list` lines
# that stay one command whatever a value holds, names that cannot escape their directory, whole
# CSV rows on a full disk, forged checkpoints and symbolic links refused by --resume, changed
# data refused, closed standard streams and a closed stdout pipe, and the feasibility check.
# Usage: test_hardening_runs.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"

summary_field() {  # summary_field DIR PYTHON_EXPR_OF_d
  $PY -c "import json,sys; d=json.load(open(sys.argv[1] + '/summary.json')); print($2)" "$1"
}
complete_rows() {  # every CSV of DIR ends in a newline and each row has its header's field count
  local f
  for f in "$1"/*.csv; do
    [ -e "$f" ] || continue
    [ -z "$(tail -c1 "$f")" ] || { echo "  $f does not end in a newline" >&2; return 1; }
    awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$f" ||
      { echo "  $f has a torn row" >&2; return 1; }
  done
}
wait_rows() {  # wait_rows DIR N: until DIR/metrics.csv has more than N lines (20 s at most)
  for _ in $(seq 200); do
    [ -s "$1/metrics.csv" ] && [ "$(wc -l <"$1/metrics.csv")" -gt "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
valid_json() { $PY -c "import json,sys; json.load(open(sys.argv[1]))" "$1"; }

# A run of a few seconds (a truncated LSTM, state carried across chunks) and a tiny one.
cat >slow.json <<'JSON'
{"name": "slow", "seed": 7,
 "data": {"type": "sine", "length": 30, "train_size": 1500, "test_size": 100},
 "model": {"type": "lstm", "depth": 2, "width": 16},
 "train": {"epochs": 12, "batch_size": 20, "optimizer": "adam", "truncation": 10,
           "checkpoint_every": 50},
 "log": {"every": 5}}
JSON
cat >tiny.json <<'JSON'
{"name": "tiny", "seed": 1, "data": {"type": "moons", "train_size": 64, "test_size": 32},
 "model": {"depth": 2, "width": 8}, "train": {"epochs": 3, "batch_size": 16}, "log": {"every": 1}}
JSON

# --- 1. one writer per run directory ------------------------------------------------------------
"$NNLAB" train slow.json -q --out ref >/dev/null
check "the reference run completes" test "$(summary_field ref "d['status']")" = completed

"$NNLAB" train slow.json -q --out A >/dev/null 2>A.err &
first=$!
wait_rows A 10
run train slow.json --out A --force
check "a second train --out --force on a running run is refused (exit 1)" test "$code" -eq 1
check "the refusal names the holder's pid and host" \
  grep -qE "in use by another nnlab process \(pid $first on host $(uname -n), started [0-9T:-]+Z\)" err
run train --resume A
check "a --resume of a running run is refused (exit 1)" test "$code" -eq 1
check "  naming the holder" grep -q "pid $first on host" err
run train slow.json --out A
check "train --out on a running run (no --force) is refused" test "$code" -ne 0
wait "$first"
check "the first writer completes undisturbed" test "$(summary_field A "d['status']")" = completed
check "  its files are the uninterrupted run's, byte for byte" same_outputs ref A
run train --resume A
check "--resume of the completed run: nothing to do (exit 0)" test "$code" -eq 0
run train tiny.json --out A
check "a finished run directory is still refused without --force (exit 2)" test "$code" -eq 2
run train tiny.json --out A --force
check "--force overwrites it (run.lock is not in the way)" test "$code" -eq 0
check "  run.lock stays, the only extra file" test -e A/run.lock
mkdir only_lock && : >only_lock/run.lock
run train tiny.json --out only_lock
check "a directory holding only run.lock counts as empty" test "$code" -eq 0

# Two --resume at once of one interrupted run: one continues it, the other is refused.
"$NNLAB" train slow.json -q --out B >/dev/null 2>&1 &
p=$!
wait_rows B 60
kill -TERM "$p"; wait "$p"
"$NNLAB" train -q --resume B >/dev/null 2>B1.err &
r1=$!
"$NNLAB" train -q --resume B >/dev/null 2>B2.err &
r2=$!
wait "$r1"; c1=$?
wait "$r2"; c2=$?
check "of two simultaneous --resume, exactly one is refused (exits $c1 $c2)" \
  test $(( (c1 == 0 && c2 == 1) || (c1 == 1 && c2 == 0) )) -eq 1
check "  and the run ends byte-identical to the uninterrupted one" same_outputs ref B
check "  with every row whole" complete_rows B

# Every kind of sweep runner at once over one sweep directory: nnlab sweep -j (twice), GNU
# parallel on --list, a bash loop of --index, and xargs. No run may be trained twice at once;
# whatever is refused is finished by running the sweep again, and every run ends identical to a
# sweep run alone.
mkdir -p sw
cat >sw/s.json <<'JSON'
{"base": "../slow.json",
 "set": {"train.epochs": 2, "data.train_size": 400},
 "grid": {"model.width": [8, 12]}, "seeds": 2}
JSON
"$NNLAB" sweep sw/s.json -q --out refsweep -j 2 >/dev/null 2>&1
check "the reference sweep completes" test "$?" -eq 0
"$NNLAB" sweep sw/s.json -q --out cs -j 2 >cs1.out 2>cs1.err &
s1=$!
"$NNLAB" sweep sw/s.json -q --out cs -j 2 >cs2.out 2>cs2.err &
s2=$!
"$NNLAB" sweep sw/s.json --out cs --list | parallel --will-cite -j 2 >/dev/null 2>par.err &
s3=$!
( for i in 0 1 2 3; do "$NNLAB" sweep sw/s.json -q --out cs --index $i >/dev/null 2>>loop.err; done ) &
s4=$!
"$NNLAB" sweep sw/s.json --out cs --list | xargs -d '\n' -n 1 -P 2 sh -c >/dev/null 2>xargs.err &
s5=$!
wait "$s1"; c1=$?
wait "$s2"; c2=$?
wait "$s3" "$s4" "$s5"
check "of two nnlab sweep -j at once, one is refused naming the holder (exits $c1 $c2)" \
  grep -qh "is in use by another nnlab process (pid [0-9]* on host" cs1.err cs2.err
# Which runner met which run in use depends on timing (the refusal itself is checked above).
echo "  concurrent runners: $(cat par.err loop.err xargs.err | grep -c 'is in use by another nnlab process (pid') refusals of a run in use" >&2
"$NNLAB" sweep sw/s.json -q --out cs -j 2 >/dev/null 2>&1
check "running the sweep again finishes it (exit 0)" test "$?" -eq 0
for d in refsweep/*/; do
  name=$(basename "$d")
  [ "$name" = logs ] && continue
  check "run $name: identical to the sweep run alone" same_outputs "$d" "cs/$name"
  check "run $name: whole rows" complete_rows "cs/$name"
  check "run $name: completed" test "$(summary_field "cs/$name" "d['status']")" = completed
done
run summarize cs
check "summarize over run directories holding run.lock: one row per run" test "$(wc -l <out)" -eq 5

# --- 2. --list lines are one command each, whatever a value holds ---------------------------------
cat >sw/inject.json <<JSON
{"base": "../tiny.json", "set": {"train.epochs": 1},
 "grid": {"log.dir": ["plain", "a\ntouch $WORK/pwned\n#", "tab\there 'q' \\\\ \$(touch $WORK/pwned2)"]}}
JSON
run sweep sw/inject.json --out inj --list
check "--list of values with newlines: one line per run" test "$(wc -l <out)" -eq 3
check "  no control character in the output" bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x09\\x0b-\\x1f\\x7f]' out"
parallel --will-cite -j 2 <out >/dev/null 2>par_inj.err
check "GNU parallel ran the list without running an injected command" test ! -e pwned -a ! -e pwned2
rm -rf inj
"$NNLAB" sweep sw/inject.json --out inj --list | xargs -d '\n' -n 1 -P 2 sh -c >/dev/null 2>xargs_inj.err
check "xargs sh -c ran the list without running an injected command" test ! -e pwned -a ! -e pwned2
check "  and every run completed through sh" \
  test "$(cat inj/*/summary.json | grep -c '"status": "completed"')" -eq 3
check "  the value reached the run exactly (newline and all)" \
  $PY -c "import json,glob,sys; v=sorted(json.load(open(f))['log']['dir'] for f in glob.glob('inj/*/config.json')); sys.exit(0 if 'a\ntouch $WORK/pwned\n#' in v else 1)"
run sweep sw/inject.json --out $'new\nline' --list
check "a sweep directory path with a control character is refused (exit 2)" test "$code" -eq 2
check "  nothing created" test ! -e $'new\nline'

# --- 3. names cannot escape their directory ---------------------------------------------------
for bad in '../escape' 'a/b' '..' $'a\nb' $'tab\tx'; do
  run train tiny.json --set "name=$bad"
  check "config name $(printf %q "$bad"): exit 2" test "$code" -eq 2
  check "  reported at \"name\"" grep -q "^error: name: " err
done
check "nothing was created by the refused names" test ! -e runs -a ! -e escape
printf '{"name": "../up", "base": "../tiny.json"}' >sw/badname.json
run sweep sw/badname.json --count
check "sweep name with '/': exit 2 at \"name\"" test "$code" -eq 2 -a -n "$(grep '^error: name: ' err)"


# --- 4. whole rows only, on a full disk ---------------------------------------------------------
cat >disk.json <<'JSON'
{"name": "disk", "seed": 2, "data": {"type": "moons", "train_size": 256, "test_size": 64},
 "model": {"depth": 6, "width": 16, "activation": "sigmoid"},
 "train": {"epochs": 8, "batch_size": 16, "checkpoint_every": 7}, "log": {"every": 1, "save_data": true}}
JSON
"$NNLAB" train disk.json -q --out diskref >/dev/null
mkdir fulldisk
if mount -t tmpfs -o size=64k tmpfs "$WORK/fulldisk" 2>/dev/null; then
  trap 'umount "$WORK/fulldisk" 2>/dev/null; cleanup_work' EXIT
  umount "$WORK/fulldisk"
  for size in 8k 24k 40k 64k 96k 128k 160k; do
    mount -t tmpfs -o size=$size tmpfs "$WORK/fulldisk"
    if [ $size = 8k ]; then
      run train disk.json --out fulldisk/r
      check "disk of $size: refused by the feasibility check (exit 2 at log.every)" \
        test "$code" -eq 2 -a -n "$(grep '^error: log.every: the run would write about' err)"
    fi
    run train disk.json --out fulldisk/r --allow-large
    check "disk of $size: the run fails cleanly (exit 1, no space left)" \
      test "$code" -eq 1 -a -n "$(grep -i 'no space left' err)"
    check "  every CSV ends in a newline and holds only whole rows" complete_rows fulldisk/r
    if [ -e fulldisk/r/summary.json ]; then
      check "  summary.json is valid JSON" valid_json fulldisk/r/summary.json
    fi
    check "  no temporary file is left" test -z "$(find fulldisk -name '*.tmp.*')"
    mount -o remount,size=8m "$WORK/fulldisk"
    if [ -e fulldisk/r/config.json ]; then
      run train --resume fulldisk/r
      check "  with space again, --resume completes it (exit $code)" test "$code" -eq 0
      check "  byte-identical to a run that never failed" same_outputs diskref fulldisk/r
    fi
    umount "$WORK/fulldisk"
  done
else
  echo "SKIP: full-disk cases: cannot mount a tmpfs here (needs root): $(id -un)" >&2
fi

# --- 6. --resume: forged checkpoints, symbolic links, changed data -------------------------------
"$NNLAB" train slow.json -q --out F0 >/dev/null 2>&1 &
p=$!
wait_rows F0 60
kill -TERM "$p"; wait "$p"
check "an interrupted run to forge checkpoints from" test "$(summary_field F0 "d['status']")" = interrupted
cat >forge.py <<'PY'
# forge.py CHECKPOINT FIELD VALUE: rewrites one field of a checkpoint and fixes its
# checksum (FNV-1a 64 of everything before the last 8 bytes).
import struct, sys
path, field, value = sys.argv[1], sys.argv[2], sys.argv[3]
b = bytearray(open(path, "rb").read())
version = 2 if b.startswith(b"nnlab-checkpoint 2\n") else 1  # version 1: no data fingerprint
o = len("nnlab-checkpoint 2\n") + 4 + 8 + (8 if version == 2 else 0)  # dtype size, hashes
offsets = {"steps": (o, "<q"), "epoch": (o + 8, "<i"), "batch_start": (o + 12, "<i"),
           "next_chunk": (o + 16, "<i"), "order_length": (o + 20, "<Q")}
n = struct.unpack_from("<Q", b, o + 20)[0]
order = o + 28
if field in offsets:
    at, fmt = offsets[field]
    struct.pack_into(fmt, b, at, struct.unpack_from(fmt, b, at)[0] + int(value[1:]) if value[0] == "+" else int(value))
elif field == "order_duplicate":
    struct.pack_into("<i", b, order, struct.unpack_from("<i", b, order + 4)[0])
elif field == "order_entry":
    struct.pack_into("<i", b, order, int(value))
elif field == "metrics_size":
    at = b.rindex(b"metrics.csv") + len("metrics.csv")
    struct.pack_into("<Q", b, at, struct.unpack_from("<Q", b, at)[0] + int(value))
elif field == "elapsed":
    struct.pack_into("<d", b, len(b) - 16, float(value))
else:
    sys.exit("unknown field " + field)
h = 0xCBF29CE484222325
for c in b[:-8]:
    h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
struct.pack_into("<Q", b, len(b) - 8, h)
open(path, "wb").write(bytes(b))
PY
forged=0
for forgery in "epoch +1" "epoch 1000000" "steps +1" "steps -1000000" "batch_start +7" \
               "next_chunk 99" "next_chunk -1" "order_duplicate 0" "order_entry -5" \
               "order_entry 1000000000" "order_length +1" "order_length 1099511627776" \
               "metrics_size -3" "metrics_size 1000000" "elapsed nan"; do
  rm -rf Fx && cp -a F0 Fx
  $PY forge.py Fx/checkpoint.bin $forgery
  run train --resume Fx
  check "forged checkpoint ($forgery): refused with exit 1 (exit $code)" test "$code" -eq 1
  check "  as a damaged checkpoint" grep -qE "checkpoint|does not end a row|shorter than" err
  check "  the run's files are untouched" same_outputs F0 Fx
  check "  and its summary too" cmp -s F0/summary.json Fx/summary.json
done
rm -rf Fx && cp -a F0 Fx
printf 'x' | dd of=Fx/checkpoint.bin bs=1 seek=200 conv=notrunc 2>/dev/null
run train --resume Fx
check "a damaged checkpoint (checksum) is refused with exit 1" test "$code" -eq 1 -a -n "$(grep 'checksum' err)"

rm -rf Fx && cp -a F0 Fx && rm Fx/metrics.csv
run train --resume Fx
check "a deleted metrics.csv is named, not the checkpoint (exit $code)" \
  test "$code" -eq 1 -a -n "$(grep 'metrics.csv: missing, but the checkpoint records its first' err)"
rm -rf Fx && cp -a F0 Fx && truncate -s 100 Fx/grad_norms.csv
run train --resume Fx
check "a cut grad_norms.csv is named with its size (exit $code)" \
  test "$code" -eq 1 -a -n "$(grep 'grad_norms.csv: 100 bytes, shorter than the' err)"
rm -rf Fx && cp -a F0 Fx && mv Fx/checkpoint.bin elsewhere.bin && ln -s "$WORK/elsewhere.bin" Fx/checkpoint.bin
run train --resume Fx
check "a checkpoint.bin that is a symbolic link is refused (exit 1)" test "$code" -eq 1 -a -n "$(grep 'symbolic link' err)"
rm -rf Fx && cp -a F0 Fx && mv Fx/metrics.csv elsewhere.csv && ln -s "$WORK/elsewhere.csv" Fx/metrics.csv
run train --resume Fx
check "a metrics.csv that is a symbolic link is refused (exit 1)" test "$code" -eq 1 -a -n "$(grep 'symbolic link' err)"
check "  the file it points to is untouched" cmp -s elsewhere.csv F0/metrics.csv

cp -a F0 Fok
run train --resume Fok
check "the unforged checkpoint resumes (exit 0)" test "$code" -eq 0
check "  to the uninterrupted run's files" same_outputs ref Fok

# Changed data: a CSV data file edited after the checkpoint.
$PY -c "
import random
random.seed(1)
print('a,b,label')
for i in range(60): print(f'{random.random():.4f},{random.random():.4f},{i % 2}')" >d.csv
cat >csvrun.json <<'JSON'
{"name": "csvrun", "data": {"type": "csv", "path": "d.csv"}, "model": {"depth": 1, "width": 4},
 "train": {"epochs": 2, "batch_size": 8}}
JSON
"$NNLAB" train csvrun.json -q --out C >/dev/null
set_interrupted() { $PY -c "import json,sys; p=sys.argv[1]+'/summary.json'; d=json.load(open(p)); d['status']='interrupted'; json.dump(d, open(p,'w'))" "$1"; }
cp -a C C2
set_interrupted C
run train --resume C
check "resuming on the same data works (exit 0)" test "$code" -eq 0
sed -i '2s/^0/9/' d.csv
set_interrupted C2
run train --resume C2
check "resuming after the data file changed is refused (exit 2)" test "$code" -eq 2
check "  naming data.path" grep -q "^error: data.path: the data differ" err

# --- 7. closed standard streams, a closed stdout pipe -------------------------------------------
"$NNLAB" train tiny.json --out closed 1>&- 2>&-
check "train with stdout and stderr closed completes (exit $?)" test "$(summary_field closed "d['status']")" = completed
check "  no log line landed in a CSV file" test -z "$(grep -l 'info\|warn\|error' closed/*.csv)"
check "  every CSV is whole" complete_rows closed
check "  and identical to a run with open streams" bash -c \
  "'$NNLAB' train tiny.json -q --out open_streams >/dev/null && cmp -s closed/metrics.csv open_streams/metrics.csv"
( "$NNLAB" train tiny.json -q --out piped; echo $? >piped.code ) | true
check "a stdout pipe closed before the final print: exit 0 (got $(cat piped.code))" test "$(cat piped.code)" -eq 0
check "  summary says completed" test "$(summary_field piped "d['status']")" = completed
( "$NNLAB" train tiny.json -q --out piped2; echo $? >piped2.code ) | head -c0
check "train | head -c0: exit 0 (got $(cat piped2.code))" test "$(cat piped2.code)" -eq 0
# --- 5. feasibility: refused before anything is allocated or created -----------------------------
mkdir feas && cd feas
run train ../tiny.json --set model.depth=1000 --set model.width=100000
check "a model larger than the machine's memory: exit 2" test "$code" -eq 2
check "  naming model.width and the estimate" grep -qE "^error: model.width: the run needs about [0-9.]+ TB of memory \(model" "$WORK/err"
check "  nothing created" test -z "$(ls)"
touch afile
run train ../tiny.json --set log.dir=afile/runs
check "log.dir under a file: exit 2 at log.dir (got $code)" \
  test "$code" -eq 2 -a -n "$(grep '^error: log.dir: afile/runs cannot be a directory' "$WORK/err")"
run train ../tiny.json --out afile/run
check "--out under a file: exit 2 at --out (got $code)" test "$code" -eq 2 -a -n "$(grep '^error: --out: ' "$WORK/err")"
check "  nothing created" test "$(ls)" = afile
rm afile
# The commands that build a model without training refuse it too, instead of a bare bad_alloc.
for cmd in validate gradcheck "probe --seeds 1"; do
  run $cmd ../tiny.json --set model.depth=1000 --set model.width=100000
  check "$cmd: exit 2 naming model.width and the estimate (got $code)" \
    test "$code" -eq 2 -a -n "$(grep -E '^error: model.width: the run needs about [0-9.]+ TB of memory' "$WORK/err")"
  check "  nothing created" test -z "$(ls)"
done
run validate ../tiny.json --set train.epochs=10000000 --set train.batch_size=1 --set data.train_size=100000 --set log.every=1
check "validate refuses a multi-TB log as train does (exit $code)" \
  test "$code" -eq 2 -a -n "$(grep -E '^error: log.every: the run would write about' "$WORK/err")"
run validate ../tiny.json --set train.epochs=10000000 --set train.batch_size=1 --set data.train_size=100000 --set log.every=1 --allow-large
check "  and accepts it with --allow-large (exit $code)" test "$code" -eq 0
run train ../tiny.json --set data.train_size=10000000 --set data.type=blobs --set data.features=100000
check "data larger than the machine's memory: exit 2 at data.train_size" \
  test "$code" -eq 2 -a -n "$(grep '^error: data.train_size: the run needs about' "$WORK/err")"
run train ../tiny.json --set train.epochs=10000000 --set train.batch_size=1 --set data.train_size=100000 --set log.every=1
check "a multi-TB log: exit 2 at log.every, with the estimate" \
  test "$code" -eq 2 -a -n "$(grep -E '^error: log.every: the run would write about [0-9.]+ TB of logs' "$WORK/err")"
check "  nothing created" test -z "$(ls)"
"$NNLAB" train ../tiny.json --set train.epochs=10000000 --set train.batch_size=1 --set data.train_size=100000 --set log.every=1 --allow-large --out big \
  >/dev/null 2>big.err &
p=$!
wait_rows big 5
check "--allow-large runs it anyway" test -s big/metrics.csv
check "  after warning of the size of its logs" grep -qE "^warn.*this run will write about [0-9.]+ TB of logs" big.err
kill -TERM "$p"; wait "$p"
rm -rf big big.err
run sweep ../sw/s.json --out lst --list --allow-large
check "sweep --allow-large reaches every --list line" test "$(grep -c -- ' --allow-large$' "$WORK/out")" -eq 4
rm -rf lst
# The estimate of what a run writes is of the order of what it writes.
"$NNLAB" train ../disk.json -v --out est >/dev/null 2>est.err
check "the log estimate is within 0.5x-3x of the CSV files written" $PY - <<'PY'
import glob, os, re, sys
m = re.search(r"estimated memory ([0-9.e+]+) (\w+), logs ([0-9.e+]+) (\w+)", open("est.err").read())
units = {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
estimate = float(m.group(3)) * units[m.group(4)]
actual = sum(os.path.getsize(f) for f in glob.glob("est/*.csv"))
print(f"  logs: estimated {estimate:.0f} bytes, written {actual}", file=sys.stderr)
sys.exit(0 if 0.5 * actual <= estimate <= 3 * actual else 1)
PY
cd "$WORK"

finish test_hardening_runs
