#!/usr/bin/env bash
# What is generated from the config key table: docs/config.md and docs/schema/*.json are not stale;
# the JSON Schemas accept every shipped config and sweep and refuse (with python3-jsonschema) the
# bad configs nnlab refuses where JSON Schema can state the rule; `explain`; bash and zsh
# completion; `label`; the kind command line. Usage: test_config_table.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"

# --- generated files are up to date -----------------------------------------------------------
run docs
check "nnlab docs exits 0" test "$code" -eq 0
check "docs/config.md is nnlab docs (regenerate: nnlab docs > docs/config.md)" \
  cmp -s "$WORK/out" "$ROOT/docs/config.md"
for which in config sweep; do
  run schema "$which"
  check "nnlab schema $which exits 0" test "$code" -eq 0
  check "docs/schema/$which.schema.json is nnlab schema $which (regenerate it)" \
    cmp -s "$WORK/out" "$ROOT/docs/schema/$which.schema.json"
done
check "the README points to docs/config.md" grep -q 'docs/config.md' "$ROOT/README.md"
check "docs cover every key explain lists" bash -c '
  for key in $("$1" explain | cut -d" " -f1); do grep -qF "\`$key\`" "$2/docs/config.md" || { echo "missing $key" >&2; exit 1; }; done
' _ "$NNLAB" "$ROOT"

# --- the schemas, with a real validator ----------------------------------------------------------
"$NNLAB" schema config >"$WORK/config.schema.json"
"$NNLAB" schema sweep >"$WORK/sweep.schema.json"
validate() {  # validate SCHEMA FILE: exit 0 when FILE conforms to SCHEMA
  "$PY" - "$1" "$2" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:3]:
    print(f"{sys.argv[2]}: {'/'.join(map(str, e.path))}: {e.message[:200]}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
for cfg in "$ROOT"/configs/*.json; do
  [[ $cfg == *_weights.json ]] && continue  # a weights file, not a config
  check "schema accepts $(basename "$cfg")" validate "$WORK/config.schema.json" "$cfg"
  "$NNLAB" validate "$cfg" >"$WORK/resolved.json" 2>/dev/null
  check "schema accepts the resolved $(basename "$cfg")" validate "$WORK/config.schema.json" "$WORK/resolved.json"
done
for sweep in "$ROOT"/configs/sweeps/*.json; do
  check "sweep schema accepts $(basename "$sweep")" validate "$WORK/sweep.schema.json" "$sweep"
done
echo '{"$schema": "../docs/schema/config.schema.json", "label": "first try", "model": {"depth": 3}}' \
  >"$WORK/with_schema.json"
run validate "$WORK/with_schema.json"
check "nnlab accepts a top-level \$schema" test "$code" -eq 0
check "schema accepts a config with \$schema and label" validate "$WORK/config.schema.json" "$WORK/with_schema.json"

# Bad configs: nnlab refuses each (exit 2); the schema refuses those whose rule it can state.
# A line: "schema|noschema" and the config.
n=0
while IFS='|' read -r expressible cfg; do
  [[ -z $cfg ]] && continue
  n=$((n + 1))
  echo "$cfg" >"$WORK/bad$n.json"
  run validate "$WORK/bad$n.json"
  check "nnlab refuses bad config $n: $cfg" test "$code" -eq 2
  if [[ $expressible == schema ]]; then
    if validate "$WORK/config.schema.json" "$WORK/bad$n.json" 2>/dev/null; then
      failed=$((failed + 1)); echo "FAIL: schema accepts bad config $n: $cfg" >&2
    else
      passed=$((passed + 1))
    fi
  else
    check "schema cannot state the rule of bad config $n (it accepts it): $cfg" \
      validate "$WORK/config.schema.json" "$WORK/bad$n.json"
  fi
done <<'EOF'
schema|{"modle": {}}
schema|{"model": {"activaton": "relu"}}
schema|{"seed": -1}
schema|{"seed": "1"}
schema|{"dtype": "float16"}
schema|{"name": ""}
schema|{"data": {"type": "moon"}}
schema|{"data": {"noise": -0.1}}
schema|{"data": {"type": "csv"}}
schema|{"data": {"type": "csv", "path": "x.csv", "noise": 0.1}}
schema|{"data": {"type": "moons", "path": "x.csv"}}
schema|{"data": {"classes": 3}}
schema|{"data": {"type": "blobs", "classes": 1}}
schema|{"data": {"type": "sine", "length": 3}}
schema|{"data": {"type": "copy"}}
schema|{"model": {"type": "rnn"}}
schema|{"data": {"type": "adding"}, "model": {"type": "lstm", "activation": "relu"}}
schema|{"data": {"type": "adding"}, "model": {"type": "gru", "forget_bias": 1}}
schema|{"data": {"type": "adding"}, "model": {"type": "rnn", "depth": 0}}
schema|{"data": {"type": "adding"}, "model": {"type": "rnn"}, "log": {"save_data": true}}
schema|{"data": {"type": "adding"}, "model": {"type": "gru", "recurrent_init": "normal"}}
schema|{"model": {"init": "normal"}}
schema|{"model": {"init": "xavier_normal", "init_scale": 0.1}}
schema|{"model": {"init": "glorot_uniform"}}
schema|{"model": {"activation": "relu", "negative_slope": 0.1}}
schema|{"model": {"elu_alpha": 0}}
schema|{"model": {"width": 0}}
schema|{"model": {"width": [8, 0]}}
schema|{"model": {"bn_eps": 1e-5}}
schema|{"model": {"spectral_radius": 1}}
schema|{"train": {"truncation": 5}}
schema|{"train": {"lr": 0}}
schema|{"train": {"epochs": 2.5}}
schema|{"train": {"momentum": 0.5}}
schema|{"train": {"optimizer": "adam", "momentum": 0.5}}
schema|{"train": {"optimizer": "momentum", "beta1": 0.5}}
schema|{"train": {"optimizer": "adam", "beta2": 1}}
schema|{"log": {"every": 0}}
schema|{"log": {"dir": ""}}
schema|{"label": 3}
noschema|{"model": {"depth": 3, "width": [8, 8]}}
noschema|{"model": {"depth": 1, "skip": 2}}
noschema|{"data": {"type": "xor", "train_size": 0}}
noschema|{"data": {"type": "sine"}, "model": {"output": "softmax"}}
noschema|{"data": {"type": "blobs", "classes": 3}, "model": {"output": "sigmoid"}}
EOF

# --- explain ------------------------------------------------------------------------------------
run explain
check "explain lists the keys" test "$code" -eq 0
check "explain lists every key" test "$(wc -l <"$WORK/out")" -ge 55
run explain train.lr
check "explain train.lr exits 0" test "$code" -eq 0
check "explain train.lr gives the default" grep -qF 'default: 0.1 (sgd, momentum, nesterov), 0.001 (adam)' "$WORK/out"
check "explain train.lr gives the range" grep -qF 'range  : (0, 10^6]' "$WORK/out"
run explain train.beta1
check "explain gives the condition" grep -qF 'applies only when train.optimizer is "adam"' "$WORK/out"
run explain model.init
check "explain names the other names" grep -qF '"kaiming_normal" is another name for "he_normal"' "$WORK/out"
run explain model
check "explain SECTION lists its keys" bash -c "grep -q '^model.forget_bias ' '$WORK/out' && ! grep -q '^train' '$WORK/out'"
run explain train.lrr
check "explain of an unknown key exits 2" test "$code" -eq 2
check "explain suggests the key" grep -qF 'did you mean "train.lr"?' "$WORK/err"
run explain epochs
check "explain suggests the full path of a leaf" grep -qF 'did you mean "train.epochs"?' "$WORK/err"
run explain --sweep runs
check "explain --sweep explains sweep keys" grep -q '^runs: override sets' "$WORK/out"
for key in $("$NNLAB" explain | cut -d' ' -f1); do
  "$NNLAB" explain "$key" >/dev/null 2>&1 || { failed=$((failed + 1)); echo "FAIL: explain $key" >&2; }
done

# --- label ----------------------------------------------------------------------------------------
cat >"$WORK/labelled.json" <<'JSON'
{"label": "he, deeper", "data": {"train_size": 32, "test_size": 16},
 "model": {"init": "he_normal"}, "train": {"epochs": 1}}
JSON
run train "$WORK/labelled.json" --out "$WORK/labelled"
check "a labelled run completes" test "$code" -eq 0
check "config.json records the label" \
  "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["label"] == "he, deeper"' "$WORK/labelled/config.json"
check "summary.json records the label" \
  "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["label"] == "he, deeper"' "$WORK/labelled/summary.json"
run validate "$ROOT/configs/quickstart.json"
check "an unlabelled config writes no label" bash -c "! grep -q '\"label\"' '$WORK/out'"
cat >"$WORK/labels_sweep.json" <<JSON
{"base": "$WORK/labelled.json", "out": "$WORK/labels_sweep",
 "runs": [{"label": "xavier", "model.init": "xavier_normal"}, {"label": "he", "model.init": "he_normal"}]}
JSON
check "sweep schema accepts label in runs" validate "$WORK/sweep.schema.json" "$WORK/labels_sweep.json"
run sweep "$WORK/labels_sweep.json"
check "a sweep with labelled runs completes" test "$code" -eq 0
check "each sweep run records its label" bash -c "
  grep -q '\"label\": \"xavier\"' '$WORK'/labels_sweep/label=xavier*/config.json &&
  grep -q '\"label\": \"he\"' '$WORK'/labels_sweep/label=he*/summary.json"

# --- bash completion --------------------------------------------------------------------------------
"$NNLAB" completion bash >"$WORK/nnlab.bash"
complete_words() {  # complete_words WORD...: the completions bash offers for the last word
  bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _nnlab; printf "%s\n" "${COMPREPLY[@]}"' _ "$WORK/nnlab.bash" "$@"
}
check "bash: complete -p names _nnlab" bash -c "source '$WORK/nnlab.bash'; complete -p nnlab | grep -q -- '-F _nnlab nnlab'"
export -f complete_words; export WORK NNLAB
check "bash: subcommands" bash -c '[[ $(complete_words nnlab tr) == train ]]'
check "bash: options of train" bash -c '[[ $(complete_words nnlab train --fo) == --force ]]'
check "bash: key paths after --set" bash -c '[[ $(complete_words nnlab train c.json --set train.epo) == train.epochs= ]]'
check "bash: choices after = (= splits words)" bash -c \
  '[[ $(complete_words nnlab train c.json --set model.init = he_ | sort | tr "\n" " ") == "he_normal he_uniform " ]]'
check "bash: choices after = (one word)" bash -c \
  '[[ $(complete_words nnlab train c.json --set model.type=ls) == model.type=lstm ]]'
check "bash: schema's argument" bash -c '[[ $(complete_words nnlab schema sw) == sweep ]]'
check "bash: explain's keys" bash -c '[[ $(complete_words nnlab explain model.forg) == model.forget_bias ]]'

# --- zsh completion (when zsh is installed: scripts/test.sh installs it) ----------------------------
if command -v zsh >/dev/null; then
  "$NNLAB" completion zsh >"$WORK/_nnlab"
  check "zsh: compinit registers _nnlab" zsh -fc "
    autoload -U compinit && compinit -u -D && source '$WORK/_nnlab' && [[ \${_comps[nnlab]} == _nnlab ]]"
  zsh_complete() {  # zsh_complete WORD...: what _nnlab adds for the last word (compadd stubbed)
    zsh -fc '
      autoload -U compinit && compinit -u -D && source "$1"; shift
      compadd() { local -a w; local skip=0 words_only=0; for a in "$@"; do
        if (( skip )); then skip=0; continue; fi
        if (( words_only )); then [[ $a == ${PREFIX}* ]] && w+=("$a"); continue; fi
        case $a in -S|-P) skip=1 ;; --) words_only=1 ;; esac; done
        print -l -- $w }
      compset() { [[ $1 == -P ]] && PREFIX=${PREFIX#*=}; return 0 }
      _files() { print FILES }
      words=("$@"); CURRENT=${#words}; PREFIX=${words[CURRENT]}
      _nnlab' _ "$WORK/_nnlab" "$@"
  }
  export -f zsh_complete
  check "zsh: subcommands" bash -c '[[ $(zsh_complete nnlab tr) == train ]]'
  check "zsh: key paths after --set" bash -c '[[ $(zsh_complete nnlab train c.json --set train.epo) == train.epochs ]]'
  check "zsh: choices after =" bash -c '[[ $(zsh_complete nnlab train c.json --set model.type=ls) == lstm ]]'
  check "zsh: options" bash -c '[[ $(zsh_complete nnlab sweep --li) == --list ]]'
else
  echo "zsh is not installed: zsh completion not tested" >&2
fi

# --- cmake --install puts the completions where shells look ---------------------------------------
if [[ -f "$(dirname "$NNLAB")/CMakeCache.txt" ]]; then
  cmake --install "$(dirname "$NNLAB")" --prefix "$WORK/prefix" >/dev/null
  check "install: bash completion" cmp -s "$WORK/prefix/share/bash-completion/completions/nnlab" "$WORK/nnlab.bash"
  check "install: zsh completion" test -s "$WORK/prefix/share/zsh/vendor-completions/_nnlab"
fi

# --- a kind command line --------------------------------------------------------------------------
echo '{}' >"$WORK/c.json"
cli_error() {  # cli_error "text" ARGS...: exit 2, one error line with the text, then --help
  local text=$1
  shift
  run "$@"
  [[ $code -eq 2 ]] && [[ $(wc -l <"$WORK/err") -eq 2 ]] && grep -qF -- "$text" "$WORK/err" &&
    grep -q -- "--help' for more information" "$WORK/err" || { cat "$WORK/err" >&2; return 1; }
}
check "unknown subcommand: did you mean" cli_error 'unknown subcommand "trian" (did you mean "train"?)' trian c.json
check "nnlab CONFIG.json: suggests train" cli_error 'to train this config: nnlab train c.json' c.json
check "unknown option: did you mean" cli_error 'unknown option --forse (did you mean --force?)' train c.json --forse
check "-q after the subcommand does not hide the real error" cli_error 'unknown option --forse (did you mean --force?)' train c.json -q --forse
check "  nor does -v" cli_error 'unknown option --bogus' diagnose c.json -v --bogus
check "  a missing --set value after -q keeps its message" cli_error '--set' validate c.json -q --set
for cmd in train probe; do
  check "$cmd --out '': refused, not ignored" cli_error '--out: an empty path' $cmd c.json --out ''
done
check "gradcheck --tol -1: the bound and the value, not CLI11's 300-digit range" \
  cli_error '--tol: expected a number > 0, got -1' gradcheck c.json --tol -1
check "sweep --index abc: the same" cli_error '--index: expected an integer >= 0, got abc' sweep c.json --index abc
check "--epochs 5: suggests --set" cli_error 'config keys are set with --set train.epochs=5' train c.json --epochs 5
check "--lr=0.1: suggests --set" cli_error '--set train.lr=0.1' validate c.json --lr=0.1
check "--set value split by the shell: how to quote" \
  cli_error "quote the whole assignment: --set 'model.width=[16, 8]'" validate c.json --set model.width=[16, 8]
check "no subcommand" cli_error 'a subcommand is required: train' 
check "a missing argument keeps CLI11's message" cli_error 'config is required' validate
check "the help points to the subcommand" grep -qF "nnlab validate --help" "$WORK/err"
check "glorot_uniform suggests xavier_uniform" bash -c "
  '$NNLAB' validate '$WORK/c.json' --set model.init=glorot_uniform 2>&1 | grep -qF 'did you mean \"xavier_uniform\"?'"
check "kaiming_normal suggests he_normal" bash -c "
  '$NNLAB' validate '$WORK/c.json' --set model.init=kaiming_normal 2>&1 | grep -qF 'did you mean \"he_normal\"?'"

finish test_config_table
