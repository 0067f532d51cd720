#!/usr/bin/env bash
# End-to-end tests of `nnlab lab`: every shipped lab in its quick variant agrees with the chapter
# (verdict.json, REPORT.md, its figures when matplotlib is there), a second run reuses the runs,
# a lab whose prediction is changed disagrees (exit 5), and bad lab files are refused (exit 2).
source "$(dirname "$0")/common.sh" "$@"

have_mpl=0
"$PY" -c 'import matplotlib, numpy' 2>/dev/null && have_mpl=1

run lab list
check "lab list exits 0" test "$code" -eq 0
labs=$(ls "$ROOT"/labs/*.json | xargs -n1 basename | sed 's/\.json$//')
for name in $labs; do
  check "lab list shows $name with its question" grep -q "^$name  *[A-Z]" out
done

for name in $labs; do
  run lab run "$name" --quick --out "$WORK/$name" -j 2
  check "lab $name --quick: exit 0 (agrees)" test "$code" -eq 0
  [ "$code" -eq 0 ] || { cat out err | tail -20 >&2; }
  check "lab $name: verdict.json says agrees" \
    "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["verdict"] == "agrees" and v["quick"], v' \
    "$WORK/$name/verdict.json"
  check "lab $name: REPORT.md with the verdict" grep -q '^\*\*Verdict: agrees\*\*' "$WORK/$name/REPORT.md"
  check "lab $name: summary.csv" test -s "$WORK/$name/summary.csv"
  check "lab $name: prints the verdict" grep -q '^verdict: agrees' out
  if [ "$have_mpl" = 1 ]; then
    for png in $(grep -o '](\([^)]*\.png\))' "$WORK/$name/REPORT.md" | tr -d '()]'); do
      check "lab $name: figure $png drawn" test -s "$WORK/$name/$png"
    done
  fi
done

# Running a lab again reuses its finished runs, and gives the same verdict byte for byte.
name=he-vs-xavier
cp "$WORK/$name/verdict.json" verdict1.json
run lab run "$name" --quick --out "$WORK/$name" --no-plots
check "second run: exit 0" test "$code" -eq 0
check "second run: every run skipped" test "$(grep -c 'skipped: completed' out)" -eq "$(grep -c '^\[' out)"
check "second run: --no-plots prints the plot commands" grep -q 'plot_grad_norms.py profile' out
check "second run: the same verdict.json" cmp -s verdict1.json "$WORK/$name/verdict.json"

# The same runs judged against a changed prediction: disagrees, exit 5.
"$PY" - "$ROOT/labs/$name.json" changed/$name.json <<'PY'
import json, os, sys
lab = json.load(open(sys.argv[1]))
lab["sweep"]["base"] = lab["sweep"]["base"]  # inline: nothing to rebase
lab["predictions"][1]["value"] = -0.35  # "Xavier halves ||delta|| (not its square) per layer"
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
json.dump(lab, open(sys.argv[2], "w"))
PY
run lab run changed/$name.json --quick --out "$WORK/$name" --no-plots
check "changed prediction: exit 5" test "$code" -eq 5
check "changed prediction: says disagrees" grep -q '^verdict: disagrees' out
check "changed prediction: the failing prediction marked" grep -q 'DISAGREES *Xavier' out
check "changed prediction: verdict.json says disagrees" grep -q '"verdict": "disagrees"' "$WORK/$name/verdict.json"
check "changed prediction: REPORT.md says disagrees" grep -q '^\*\*Verdict: disagrees\*\*' "$WORK/$name/REPORT.md"

# Bad lab files and names: exit 2, nothing created.
"$PY" - "$ROOT/labs/$name.json" bad.json <<'PY'
import json, sys
lab = json.load(open(sys.argv[1]))
lab["predictions"][0]["measure"]["kind"] = "layer_slope"
lab["sweep"]["grid"]["model.init"] = ["he_normal", "hee_normal"]
json.dump(lab, open(sys.argv[2], "w"))
PY
run lab run bad.json --out "$WORK/bad"
check "bad lab file: exit 2" test "$code" -eq 2
check "bad lab file: names the measure kind" grep -q 'predictions\[0\].measure.kind: unknown kind "layer_slope"' err
check "bad lab file: nothing created" test ! -e "$WORK/bad"
"$PY" - "$ROOT/labs/$name.json" bad2.json <<'PY'
import json, sys
lab = json.load(open(sys.argv[1]))
lab["sweep"]["grid"]["model.init"] = ["he_normal", "hee_normal"]
json.dump(lab, open(sys.argv[2], "w"))
PY
run lab run bad2.json --out "$WORK/bad"
check "a lab whose runs are bad configs: exit 2" test "$code" -eq 2
check "a lab whose runs are bad configs: did you mean" grep -q 'did you mean "he_normal"' err
check "a lab whose runs are bad configs: nothing created" test ! -e "$WORK/bad"
run lab run no-such-lab
check "unknown lab: exit 2" test "$code" -eq 2
check "unknown lab: says so" grep -q 'no such lab file' err

finish test_labs
