#!/usr/bin/env bash
# The live view of `nnlab train` in a real terminal (tmux, 80 x 24): the frame (step, epoch, loss,
# ETA, one log-scale bar per layer, ||dL/dh_t|| for recurrent nets) redrawn in place within 80
# columns, the end-of-run line, and stdout still only the run directory; off a TTY and with -q
# nothing of the view. Skips (77) without tmux.
source "$(dirname "$0")/common.sh" "$@"
command -v tmux >/dev/null || { echo "test_live_view: tmux not installed; skipped"; exit 77; }
SOCKET="nnlab-live-$$"
tmux_cleanup() { tmux -L "$SOCKET" kill-server 2>/dev/null; cleanup_work; }
trap tmux_cleanup EXIT

# in_terminal NAME COMMAND: runs COMMAND in an 80 x 24 tmux pane until it ends, capturing the
# screen every 0.3 s into NAME.1, NAME.2, ... and the last screen, with what scrolled off it (the
# end-of-run diagnosis may push the last frame up), into NAME.last.
in_terminal() {
  local name=$1 command=$2 i=0
  tmux -L "$SOCKET" new-session -d -x 80 -y 24 -s "$name" \
    "cd '$WORK' && $command; echo \$? >'$WORK/$name.rc'; sleep 60"
  while [ ! -e "$WORK/$name.rc" ] && [ $i -lt 600 ]; do
    sleep 0.3
    i=$((i + 1))
    tmux -L "$SOCKET" capture-pane -p -t "$name" >"$WORK/$name.$i"
  done
  tmux -L "$SOCKET" capture-pane -p -S - -t "$name" >"$WORK/$name.last"
  tmux -L "$SOCKET" kill-session -t "$name"
}

# A deep MLP, long enough (several seconds on an idle machine) for several frames: 960 steps.
in_terminal mlp "'$NNLAB' train '$ROOT/configs/quickstart.json' --set model.width=384 --set data.train_size=2048 --set train.batch_size=64 --set train.epochs=30 --out mlp >mlp.stdout"
check "the run exits 0 in the terminal" test "$(cat mlp.rc)" -eq 0
check "stdout is only the run directory" test "$(cat mlp.stdout)" = mlp
check "the view shows step/epoch, loss and an ETA" \
  grep -Eq '^step [0-9]+/960  epoch [0-9]+/30  loss [0-9.e+-]+  ETA [0-9]+:[0-9]{2}' mlp.last
check "one bar per layer, 7 layers, the output marked" \
  test "$(grep -Ec '^ +[0-9]+\*? +\|[#.]+\| [0-9.e+-]+$' mlp.last)" -eq 7
check "the bar header names the log scale" grep -q 'log scale 1e' mlp.last
check "deeper sigmoid layers: the first layer's bar is shorter than the output's" \
  bash -c "[ \$(grep -E '^ +1 +\|' mlp.last | tr -cd '#' | wc -c) -lt \$(grep -E '^ +7\* +\|' mlp.last | tr -cd '#' | wc -c) ]"
check "the frame was redrawn in place (one frame on the screen, several screens seen)" \
  bash -c "[ \$(grep -c '^step ' mlp.last) -eq 1 ] && [ \$(cat mlp.[0-9]* | grep -o '^step [0-9]*' | sort -u | wc -l) -ge 2 ]"
check "every line fits in 80 columns (no wrapped frame lines)" \
  bash -c "! grep -hE '^( +[0-9]+\*? +\||step |\|dL/dh_t\|)' mlp.[0-9]* mlp.last | grep -Eq '^.{80,}'"
check "the last frame shows the final step" grep -q '^step 960/960' mlp.last
check "the end-of-run line: test loss and accuracy and the layer ratio" \
  bash -c "tr -d '\n' <mlp.last | grep -Eq 'completed 960 steps; final train loss [0-9.e-]+ acc [0-9.]+, test loss [0-9.e-]+ acc [0-9.]+; \|dL/dW\| layer 1/last [0-9.e+-]+ \(step 951\)'"

# A recurrent net: ||dL/dh_t|| at the chunk's first and last step.
in_terminal rnn "'$NNLAB' train '$ROOT/configs/adding_lstm.json' --set data.train_size=640 --set data.length=30 --set train.epochs=3 --set model.depth=2 --set log.every=5 --out rnn >rnn.stdout"
check "the recurrent run exits 0" test "$(cat rnn.rc)" -eq 0
check "recurrent: a |dL/dh_t| line per layer" \
  test "$(grep -Ec '^\|dL/dh_t\| layer [12]: t=1 [0-9.e+-]+ \.\. t=30 ' rnn.last)" -eq 2

# -q in the terminal: no view, only what -q prints today.
in_terminal quiet "'$NNLAB' -q train '$ROOT/configs/quickstart.json' --set train.epochs=2 --out quiet >quiet.stdout"
check "-q: no view" bash -c "! grep -q '^step \|log scale' quiet.last"
check "-q: stdout is the run directory" test "$(cat quiet.stdout)" = quiet

# Off a TTY: no escape sequences, and stdout only the run directory, as before.
"$NNLAB" train "$ROOT/configs/quickstart.json" --set train.epochs=2 --out plain >plain.out 2>plain.err
check "off a TTY stdout is only the run directory" test "$(cat plain.out)" = plain
check "off a TTY stderr has no escape sequences" bash -c "! grep -q $'\033' plain.err"
check "off a TTY no view lines" bash -c "! grep -q '^step \|log scale' plain.err"
check "off a TTY the end-of-run line" grep -q '^info: completed 32 steps; final train loss .* test loss .*layer 1/last' plain.err

# The default run name of a run started with --set shows its overrides (item 3 of issue 9);
# explicit names, --out and runs without --set are named as before.
mkdir named && cd named
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set train.epochs=1 --set model.init=he_normal \
  --set data.noise=0.2 >dir.txt
check "--set: the run directory is named after the overrides" \
  grep -Eq '^runs/quickstart_epochs=1,init=he_normal,noise=0\.2-[0-9]{8}-[0-9]{6}$' dir.txt
check "--set: config.json's name too" grep -q '"name": "quickstart_epochs=1,init=he_normal,noise=0.2"' "$(cat dir.txt)/config.json"
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set train.epochs=1 --set name=mine >dir.txt
check "--set name=...: that name" grep -Eq '^runs/mine-[0-9]{8}-[0-9]{6}$' dir.txt
"$NNLAB" train "$ROOT/configs/quickstart.json" -q --set "log.dir=$WORK/named/deep" \
  --set train.epochs=1 >dir.txt
check "a value with '/' stays one directory level" \
  bash -c "[ \"\$(dirname \"\$(cat dir.txt)\")\" = '$WORK/named/deep' ]"
cd "$WORK"

finish test_live_view
