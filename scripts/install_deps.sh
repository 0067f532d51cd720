#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever nnlab needs to build, test and plot. Idempotent:
# packages already present are not touched. Needs root (or sudo) only when something is missing.
set -euo pipefail
packages=(build-essential cmake git libeigen3-dev libcli11-dev nlohmann-json3-dev libspdlog-dev
          doctest-dev libopenblas-dev python3 python3-numpy)
packages+=("$@")  # callers may ask for more (e.g. python3-torch for reference checks)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
