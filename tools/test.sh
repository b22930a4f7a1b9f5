#!/usr/bin/env bash
# The whole test suite: a normal build (which also builds and checks the .deb and
# `cmake --install`), an AddressSanitizer + UndefinedBehaviorSanitizer build, each running
# every doctest case, `tcpsim check scenarios/` and the command-line scripts through CTest,
# and a libFuzzer build whose targets each run a 60 s smoke (CTest label "fuzz").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
export TCPSIM_TEST_TOOLS=1  # tshark, chromium, man-db, mmdebstrap, clang: see setup.sh

"$top/tools/setup.sh" "$top/build"
(cd "$top/build" && ctest --output-on-failure -j "$jobs")

"$top/tools/setup.sh" "$top/build-asan" -DTCPSIM_SANITIZE=ON
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs")

TCPSIM_TARGET="fuzz_load fuzz_set" "$top/tools/setup.sh" "$top/build-fuzz" -DTCPSIM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
(cd "$top/build-fuzz" && ctest --output-on-failure -L fuzz -j "$jobs")
