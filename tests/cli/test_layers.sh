#!/usr/bin/env bash
# The layer rule of lib/ (cmake/check_layers.cmake): the real tree passes; an include that goes up
# a layer, an include without a folder and a file outside the layer folders each fail, named.
source "$(dirname "$0")/common.sh" "$@"

check_script() { cmake -DROOT="$1" -P "$ROOT/cmake/check_layers.cmake" >"$WORK/out" 2>&1; }

check "the repository's lib/ includes only downward" check_script "$ROOT"
grep -q 'all downward' "$WORK/out" || { echo "unexpected output:"; cat "$WORK/out"; }

fake() {  # a copy of lib/ with one more file: fake REL CONTENT
  rm -rf "$WORK/tree" && mkdir -p "$WORK/tree" && cp -r "$ROOT/lib" "$WORK/tree/lib"
  mkdir -p "$(dirname "$WORK/tree/lib/$1")" && printf '%s\n' "$2" >"$WORK/tree/lib/$1"
}
fails_naming() {  # fails_naming TEXT: the check fails and its message holds TEXT
  ! check_script "$WORK/tree" && grep -qF -- "$1" "$WORK/out"
}
fake nn/bad.h '#include "run/trainer.h"'
check "nn including run is refused, naming the file and both layers" \
  fails_naming 'lib/nn/bad.h: #include "run/trainer.h": nn is below run'
fake base/bad.cpp '#include "lab/lab.h"'
check "base including lab is refused" fails_naming 'lib/base/bad.cpp: #include "lab/lab.h"'
fake run/bad.cpp '#include "trainer.h"'
check "an include without its folder is refused" fails_naming 'names no layer folder'
fake run/bad.cpp '#include "cli.h"'
check "an include of app/ is refused" fails_naming '#include "cli.h" names no layer folder'
fake stray.cpp '#include "base/errors.h"'
check "a file outside the layer folders is refused" fails_naming 'lib/stray.cpp: not in a layer folder'
fake lab/fine.cpp '#include "base/errors.h"
#include "run/trainer.h"
#include "lab/lab.h"'
check "lab including lower layers and its own passes" check_script "$WORK/tree"
finish test_layers
