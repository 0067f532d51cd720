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

# The unity files' rule (cmake/check_unity_names.cmake): no file-local function name in two files.
names_script() { cmake -DROOT="$1" -P "$ROOT/cmake/check_unity_names.cmake" >"$WORK/out" 2>&1; }
check "the repository's unity files share no file-local function name" names_script "$ROOT"
grep -q 'no name in two files' "$WORK/out" || { echo "unexpected output:"; cat "$WORK/out"; }
unity_tree() {  # a copy of lib/ and app/ with one more file: unity_tree REL CONTENT
  rm -rf "$WORK/tree" && mkdir -p "$WORK/tree" && cp -r "$ROOT/lib" "$ROOT/app" "$WORK/tree/"
  printf '%s\n' "$2" >"$WORK/tree/$1"
}
names_fail() { ! names_script "$WORK/tree" && grep -qF -- "$1" "$WORK/out"; }
unity_tree lib/run/bad.cpp 'namespace nnlab {
namespace {
std::vector<std::string_view> split(std::string_view line, char c) {
  return {};
}
}  // namespace
}  // namespace nnlab'
check "an overload of another file's file-local function in lib/ is refused, naming both" \
  names_fail 'split(): lib/lab/lab.cpp and lib/run/bad.cpp'
unity_tree app/bad.cpp 'namespace {
int put_duration(double seconds) { return 0; }
}  // namespace'
check "the same in app/" names_fail 'put_duration(): app/bad.cpp and app/progress.cpp'
unity_tree lib/nn/extra.cpp 'namespace {
std::vector<std::string> split(const std::string& line) { return {}; }
}  // namespace'
check "lib/nn/ (one object per file) is outside the rule" names_script "$WORK/tree"
unity_tree lib/run/fine.cpp 'namespace nnlab {
std::vector<std::string> split(const std::string& line);  // a declaration, public
}  // namespace nnlab'
check "a public declaration is not a file-local definition" names_script "$WORK/tree"
finish test_layers
