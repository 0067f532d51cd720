#!/usr/bin/env bash
# The Debian package as a user meets it: scripts/package.sh builds the .deb (cpack), dpkg -i
# installs it, the quick start runs from the installed files only (not the build tree: a fresh
# directory, /usr/bin/nnlab, /usr/share/nnlab), the man page and scripts are where the FHS puts
# them, and dpkg -r removes every file it installed. Needs root and dpkg: otherwise it skips
# (exit 77). Usage: test_package.sh NNLAB_BINARY REPO_ROOT
source "$(dirname "$0")/common.sh" "$@"
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null; then
  echo "SKIP: needs root and dpkg to install a .deb" >&2
  exit 77
fi
if dpkg-query -W -f='${Status}' nnlab 2>/dev/null | grep -q "ok installed"; then
  echo "SKIP: a package named nnlab is installed already; this test does not touch it" >&2
  exit 77
fi
installed=0
remove_package() { [ "$installed" -eq 1 ] && dpkg -P nnlab >/dev/null 2>&1; cleanup_work; }
trap remove_package EXIT

# Built beside the test binary's build tree (so that CI's clean clone builds it afresh), unless
# PACKAGE_BUILD_DIR names another.
export PACKAGE_BUILD_DIR=${PACKAGE_BUILD_DIR:-"$(dirname "$NNLAB")/package"}
deb=$("$ROOT/scripts/package.sh" 2>"$WORK/package.log" | tail -n 1)
check "scripts/package.sh builds a .deb" test -f "$deb"
[ -f "$deb" ] || { tail -n 30 "$WORK/package.log" >&2; finish test_package; exit 1; }

fields=$(dpkg-deb -f "$deb" Package Depends Recommends Architecture)
echo "$fields" | sed 's/^/  /' >&2
check "the package is named nnlab" grep -qx 'Package: nnlab' <<<"$fields"
check "it depends on OpenBLAS (found by dpkg-shlibdeps)" grep -q '^Depends:.*libopenblas' <<<"$fields"
check "it depends on the C++ runtime" grep -q '^Depends:.*libstdc++6' <<<"$fields"
check "it recommends matplotlib for the plots" grep -q '^Recommends:.*python3-matplotlib' <<<"$fields"
check "nothing of the build tree is in it" bash -c "! dpkg-deb -c '$deb' | grep -q -e build/ -e '\.o\$'"

dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1 && installed=1
check "dpkg -i installs it" test "$installed" -eq 1
[ "$installed" -eq 1 ] || { cat "$WORK/dpkg.log" >&2; finish test_package; exit 1; }
dpkg -L nnlab | sort >"$WORK/files"

check "the binary is /usr/bin/nnlab" test -x /usr/bin/nnlab
check "the configs are in /usr/share/nnlab/configs" test -f /usr/share/nnlab/configs/quickstart.json
check "the data sets are in /usr/share/nnlab/data" test -f /usr/share/nnlab/data/iris.csv
check "the plot script is in /usr/share/nnlab/scripts" test -x /usr/share/nnlab/scripts/plot_grad_norms.py
check "the sweep runners too" test -x /usr/share/nnlab/scripts/sweep_parallel.sh
check "the labs are in /usr/share/nnlab/labs" test -f /usr/share/nnlab/labs/chain-rule.json
check "the README is in /usr/share/doc/nnlab" test -f /usr/share/doc/nnlab/README.md
check "the docs are in /usr/share/doc/nnlab/docs" test -f /usr/share/doc/nnlab/docs/config.md
check "the bash completion is installed" test -f /usr/share/bash-completion/completions/nnlab
check "the zsh completion is installed" test -f /usr/share/zsh/vendor-completions/_nnlab
check "the man page is installed" test -f /usr/share/man/man1/nnlab.1.gz
check "the man page documents every subcommand" bash -c \
  "for s in \$(/usr/bin/nnlab --help | awk '/^Subcommands:/{on=1;next} on&&/^  [a-z]/{print \$1} on&&/^\$/{exit}'); do
     zcat /usr/share/man/man1/nnlab.1.gz | grep -q \"^\\.SH \\\"NNLAB \${s^^}\\\"\" || { echo \"  no section for \$s\" >&2; exit 1; }; done"

# The quick start from the installed files, in a fresh directory.
mkdir user && cd user
run_dir=$(env -i PATH=/usr/bin:/bin HOME="$WORK" nnlab train /usr/share/nnlab/configs/quickstart.json -q \
  --set train.epochs=2)
check "the installed nnlab trains the quick start" test -s "$run_dir/grad_norms.csv"
check "its run directory is under the current directory" test -d runs
check "a config with a relative data path works from the installed files" \
  bash -c "nnlab train /usr/share/nnlab/configs/iris.json -q --set train.epochs=2 --out iris >/dev/null"
if "$PY" -c "import matplotlib" 2>/dev/null; then
  check "the installed plot script draws the run" \
    "$PY" /usr/share/nnlab/scripts/plot_grad_norms.py run "$run_dir" --out run.png >/dev/null
  check "its PNG is there" test -s run.png
fi
check "the installed nnlab finds its labs" bash -c "nnlab lab list | grep -q chain-rule"
check "and runs one from the installed files" \
  bash -c "nnlab lab run chain-rule --quick --no-plots --out lab >/dev/null 2>&1 && test -s lab/REPORT.md"
cd "$WORK"

dpkg -r nnlab >"$WORK/dpkg.log" 2>&1 && installed=0
check "dpkg -r removes it" test "$installed" -eq 0
left=()
while read -r f; do
  [ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done <"$WORK/files"
check "dpkg -r leaves none of its files behind (${left[*]:-none left})" test ${#left[@]} -eq 0
check "nor /usr/share/nnlab or /usr/share/doc/nnlab" bash -c "! test -e /usr/share/nnlab && ! test -e /usr/share/doc/nnlab"
check "dpkg no longer knows it" bash -c "! dpkg-query -W -f='\${Status}' nnlab 2>/dev/null | grep -q installed"
finish test_package
