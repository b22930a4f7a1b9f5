#!/usr/bin/env bash
# Benchmark (not a test): the 1 GiB upper-casing transfer with a reader thread.
# Prints wall time, events, events per second and peak memory for 64 MiB .. 1 GiB,
# to show that time grows with segments and memory stays flat.
# Usage: tools/bench_1gib.sh [extra --set arguments, e.g. --set link.mss=1460]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh" "$top/build" >/dev/null 2>&1
scenario="$top/scenarios/erle-uppercase-1gib-threads.json"
printf '%-8s %10s %12s %14s %12s  %s\n' size wall_s events events_per_s peak_MiB outcome
for mib in 64 256 1024; do
  writes=$((mib * 1024 * 1024 / 16))
  out=$(mktemp)
  start_ns=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$out.time" "$top/build/tcpsim" run "$scenario" --format json \
    --set "endpoints.client.threads.sender.0.repeat=$writes" "$@" >"$out"
  end_ns=$(date +%s%N)
  kib=$(cat "$out.time")
  wall=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  events=$(grep -m1 '"events"' "$out" | tr -dc '0-9')
  outcome=$(grep -m1 '"outcome"' "$out" | sed 's/.*: "\(.*\)".*/\1/')
  rate=$(awk -v e="$events" -v w="$wall" 'BEGIN { printf "%.0f", e / w }')
  printf '%-8s %10s %12s %14s %12.1f  %s\n' "${mib}MiB" "$wall" "$events" "$rate" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$outcome"
  rm -f "$out" "$out.time"
done
