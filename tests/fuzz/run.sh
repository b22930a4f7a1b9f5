#!/usr/bin/env bash
# Runs one libFuzzer target over its committed seeds and regressions, then on new inputs.
# Usage: tests/fuzz/run.sh FUZZ_BINARY SECONDS [CORPUS_DIR] [libFuzzer options...]
#   FUZZ_BINARY  build-fuzz/fuzz_load or build-fuzz/fuzz_set (cmake -DTCPSIM_FUZZ=ON, clang++)
#   CORPUS_DIR   where new inputs are kept (default: a scratch folder, removed at the end)
# A finding is written to ./fuzz-artifacts/ (crash-*, timeout-*, oom-*) and the run fails.
set -uo pipefail
binary=$1 seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
target=$(basename "$binary")  # fuzz_load or fuzz_set
name=${target#fuzz_}

corpus=""
if [ $# -gt 0 ] && [ "${1:0:1}" != "-" ]; then corpus=$1; shift; fi
if [ -z "$corpus" ]; then
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
fi
mkdir -p "$corpus" fuzz-artifacts

# Seeds: the scenario library for the loader, and each target's own committed inputs;
# regressions: every input that once found a bug, run again first.
seeds=()
[ "$name" = load ] && seeds+=("$here/../../scenarios")
for dir in "$here/corpus/$name" "$here/regressions/$name"; do
  [ -d "$dir" ] && seeds+=("$dir")
done

# -timeout: no input of a bounded run takes seconds; -rss_limit_mb: the loader's memory is bounded.
# --set inputs grow slowly from short seeds: let them reach eight long assignments at once.
lengths=()
[ "$name" = set ] && lengths=(-max_len=1024 -len_control=0)
nice "$binary" "$corpus" "${seeds[@]}" -dict="$here/scenario.dict" -max_total_time="$seconds" "${lengths[@]}" \
  -timeout=10 -rss_limit_mb=2048 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 "$@" 2>fuzz-$name.log
status=$?
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY' fuzz-$name.log | head -20
if [ $status -ne 0 ]; then
  echo "FAIL $target: a finding (reproducer in fuzz-artifacts/, log in $PWD/fuzz-$name.log); the stack:"
  grep -A40 -m1 -E '^==[0-9]+==ERROR|deadly signal|uncaught exception|runtime error' fuzz-$name.log
  exit 1
fi
echo "PASS $target: ${seconds}s without a finding"
