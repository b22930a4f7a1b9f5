#!/usr/bin/env bash
# Mutation testing of the Linux rules: each mutation in tools/mutants.txt changes one rule
# (one piece of text in one file); every one must make a test case fail whose name names that
# rule (its kernel function or the words listed for it). For each mutation this builds
# tcpsim_tests in a scratch copy of the repository's tracked files (the working tree is never
# touched), runs it, records the failing test cases and restores the file, then prints a table:
# id, rule, CAUGHT/MISSED, whether a catching test names the rule, and the tests that caught it.
#
# Usage: tools/mutants.sh [ID_PREFIX...]     e.g. tools/mutants.sh M01 P   (default: all)
# Exits 1 if any selected mutation is missed, has a bad pattern (its text must occur exactly
# once), fails to build, times out, or is caught only by tests that do not name its rule.
#
# Not run in CI: every mutation recompiles the core and runs every doctest case (about half a
# minute each, far longer for a header that much of the code includes). ccache helps.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tcpsim-mutants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# The tracked files as they are in the working tree (uncommitted edits included).
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$scratch"
build="$scratch/build"
# Paths relative to the copy, so ccache serves one run's objects to the next run's fresh copy.
export CCACHE_BASEDIR="$scratch" CCACHE_NOHASHDIR=1
echo "mutants: configuring and building the unmutated copy in $scratch" >&2
cmake -S "$scratch" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$build" -j2 --target tcpsim_tests >/dev/null

# The unmutated tests must pass, or no failure below would mean anything.
start=$(date +%s)
if ! (cd "$scratch" && "$build/tcpsim_tests" --no-colors >"$scratch/baseline.txt" 2>&1); then
  tail -n 40 "$scratch/baseline.txt" >&2
  echo "mutants: the unmutated tests fail; fix them first" >&2
  exit 1
fi
baseline_s=$(($(date +%s) - start))
echo "mutants: unmutated tests pass in ${baseline_s} s" >&2

/usr/bin/python3 "$top/tools/mutants.py" "$scratch" "$build" "$baseline_s" "$@"
