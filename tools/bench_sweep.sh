#!/usr/bin/env bash
# Benchmark (not a test): a 100x100 sweep of compress-2to1 over the client's SQS and the
# server's RQS (10,000 points). Targets: under 2 s wall on a 2-core machine; since points are
# set on the loaded model (issue 16), at least 3 times the points per second of the binary
# before (ebb76c4), timed side by side with TCPSIM_BIN (figures in docs/performance.md).
# Usage: tools/bench_sweep.sh [--jobs N]
#   TCPSIM_BIN=path/to/tcpsim times another build instead (no build step), for side-by-side figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tcpsim=${TCPSIM_BIN:-"$top/build/tcpsim"}
[ -n "${TCPSIM_BIN:-}" ] || "$top/tools/setup.sh" "$top/build" >/dev/null 2>&1
out=$(mktemp --suffix=.csv) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
start_ns=$(date +%s%N)
"$tcpsim" sweep "$top/scenarios/compress-2to1.json" \
  --vary endpoints.client.sqs=100:10000:100 --vary endpoints.server.rqs=100:10000:100 --out "$out" "$@" 2>"$err"
end_ns=$(date +%s%N)
# The count the sweep itself reports ("sweep: 10000 points: ..."), whatever its file's layout.
points=$(sed -n 's/^sweep: \([0-9]*\) points\{0,1\}:.*/\1/p' "$err")
awk -v p="$points" -v a="$start_ns" -v b="$end_ns" \
  'BEGIN { w = (b - a) / 1e9; printf "points %d  wall %.3f s  points/s %.0f\n", p, w, p / w }'
