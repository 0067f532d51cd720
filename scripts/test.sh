#!/usr/bin/env bash
# Builds nnlab and runs the whole test suite (unit tests and command-line tests) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
# python3-torch: the reference the tests compare nnlab against; parallel: GNU parallel, which the
# sweep tests run scripts/sweep_parallel.sh with; python3-matplotlib and gnuplot-nox: the plot
# scripts, which tests/cli/test_plots.sh runs; slurmctld, slurmd, slurm-client, munge: the
# one-node Slurm cluster tests/cli/test_slurm.sh starts (scripts/slurm_local_cluster.sh) to run a
# sweep as an array job; python3-jsonschema and zsh: tests/cli/test_config_table.sh checks the
# JSON Schemas and the zsh completion; tmux: the terminal tests/cli/test_live_view.sh runs train's
# live view in; clang, libfuzzer-14-dev: the sanitizer build and fuzz targets of
# scripts/sanitize.sh; help2man, dpkg-dev: the man page and the .deb tests/cli/test_package.sh
# builds, installs and removes.
scripts/install_deps.sh python3-torch parallel python3-matplotlib gnuplot-nox slurmctld slurmd \
  slurm-client munge python3-jsonschema zsh tmux clang libfuzzer-14-dev help2man dpkg-dev
# ASan + UBSan build, tests and fuzzing (docs/hardening.md): in CI (CI=true) unless
# NNLAB_SANITIZE=0, elsewhere with NNLAB_SANITIZE=1. First, so that the suite's summary below is
# the last thing this script prints.
if [ "${NNLAB_SANITIZE:-$([ "${CI:-}" = true ] && echo 1)}" = 1 ]; then
  scripts/sanitize.sh
fi
# First the quick start's build (the binary alone), timed: on a fresh clone this is the
# first-build figure of docs/performance.md, kept in CI's log. Then everything else.
start=$(date +%s)
scripts/build.sh nnlab
echo "test: nnlab built in $(( $(date +%s) - start ))s (the quick start's build)" >&2
scripts/build.sh
# Everything is installed above, so a test that would skip for a missing dependency fails here.
NNLAB_TEST_NO_SKIP=1 ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2
