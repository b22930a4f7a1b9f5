#!/usr/bin/env bash
# The whole test suite: a normal build and an AddressSanitizer + UndefinedBehaviorSanitizer
# build, each running every doctest case and `tcpsim check scenarios/` through CTest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
export TCPSIM_TEST_TOOLS=1  # tshark and chromium, for the pcap and page tests

"$top/tools/setup.sh" "$top/build"
(cd "$top/build" && ctest --output-on-failure -j "$jobs")

"$top/tools/setup.sh" "$top/build-asan" -DTCPSIM_SANITIZE=ON
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs")
