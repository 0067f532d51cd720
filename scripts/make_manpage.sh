#!/usr/bin/env bash
# Writes nnlab's man page (section 1) from the binary's own --help texts, so the page and --help
# cannot disagree: help2man for the top level, then one section per subcommand (`nnlab X --help`).
# Usage: scripts/make_manpage.sh NNLAB_BINARY OUT_FILE   (OUT_FILE ending in .gz is gzipped)
set -euo pipefail
nnlab=$1
out=$2
command -v help2man >/dev/null || { echo "make_manpage.sh: help2man is not installed" >&2; exit 1; }
include=$(mktemp)
trap 'rm -f "$include" "$include.1"' EXIT
# The subcommands, in the order --help lists them.
mapfile -t subcommands < <("$nnlab" --help | awk '/^Subcommands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}')
{
  echo "[DESCRIPTION]"
  echo "nnlab trains multilayer perceptrons and recurrent networks (RNN, LSTM, GRU) from a JSON"
  echo "config and writes CSV logs of the loss and of every layer's gradient norms, to show"
  echo "vanishing and exploding gradients and their cures as numbers."
  for s in "${subcommands[@]}"; do
    echo "[COMMAND: $s]"
    echo ".nf"
    "$nnlab" "$s" --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
    echo ".fi"
  done
  echo "[FILES]"
  echo ".TP"
  echo ".I /usr/share/nnlab/configs/"
  echo "Example configs (quickstart.json, the chapter's worked example, recurrent tasks) and sweeps."
  echo ".TP"
  echo ".I /usr/share/nnlab/data/"
  echo "Small real data sets (iris, wine, breast cancer) and a text corpus."
  echo ".TP"
  echo ".I /usr/share/nnlab/scripts/"
  echo "Plot scripts (python3-matplotlib, gnuplot) and sweep runners (bash loop, GNU parallel, Slurm)."
  echo "[SEE ALSO]"
  echo "The full documentation is in /usr/share/doc/nnlab/ (README.md and docs/)."
} > "$include"
# help2man orders [COMMAND: x] sections alphabetically after the standard ones; keep them as they are.
help2man --no-info --no-discard-stderr --section=1 --name="train neural networks and log how gradients flow" \
  --include="$include" --output="$include.1" "$nnlab"
# help2man titles extra sections "COMMAND: X" (upper case); print them as "nnlab x". CLI11 prints
# the binary's path in its usage lines; a man page says "nnlab".
sed -i -e 's/^\.SH "COMMAND: \(.*\)"$/.SH "NNLAB \1"/' -e "s|$nnlab |nnlab |g" "$include.1"
case "$out" in
  *.gz) gzip -9n < "$include.1" > "$out" ;;
  *) cp "$include.1" "$out" ;;
esac
