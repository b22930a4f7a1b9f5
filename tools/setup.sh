#!/usr/bin/env bash
# Installs what tcpsim needs from Debian's packages (when missing) and builds it.
# Usage: tools/setup.sh [BUILD_DIR [extra cmake args...]]   (progress goes to stderr)
# emscripten compiles the lecture page's engine to WebAssembly (configure with -DTCPSIM_LECTURE=OFF
# to build without it; a sanitized or fuzzing build leaves it out).
# TCPSIM_TEST_TOOLS=1 also installs what the tests drive: tshark and chromium (captures, pages),
# npm and playwright-core (tests/web/package.json: the lecture page driven in chromium),
# python3-jsonschema (the schema agreement test), GNU parallel and a one-node Slurm (slurmctld,
# slurmd, slurm-client, munge) for the sharding recipes,
# man-db and mmdebstrap (the package test), clang and its runtime (the fuzz targets).
# TCPSIM_TARGET="name..." builds only those targets (default: everything).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build"}
shift || true

packages=(build-essential cmake ninja-build nlohmann-json3-dev libcli11-dev doctest-dev libeigen3-dev libpcap-dev
  iproute2 time git help2man emscripten)
[ "${TCPSIM_TEST_TOOLS:-0}" = 1 ] && packages+=(tshark chromium python3-jsonschema man-db mmdebstrap clang libclang-rt-dev
  parallel slurmctld slurmd slurm-client munge)
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tcpsim setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq >&2
  # tshark asks whether non-root users may capture; answer no so the install never prompts.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo_cmd debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi

# playwright-core drives the system chromium (no browser download); Node.js comes with emscripten,
# npm from Debian where Node.js did not bring its own.
if [ "${TCPSIM_TEST_TOOLS:-0}" = 1 ]; then
  if ! command -v npm >/dev/null; then
    echo "tcpsim setup: installing npm" >&2
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq npm >&2
  fi
  # npm ci starts from nothing each time: only when the lock file changed since the last one.
  if ! cmp -s "$top/tests/web/package-lock.json" "$top/tests/web/node_modules/.tcpsim-installed-lock" 2>/dev/null; then
    (cd "$top/tests/web" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cp "$top/tests/web/package-lock.json" "$top/tests/web/node_modules/.tcpsim-installed-lock"
  fi
fi

cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >&2
# shellcheck disable=SC2086  # TCPSIM_TARGET is a list
cmake --build "$build" ${TCPSIM_TARGET:+--target $TCPSIM_TARGET} >&2
