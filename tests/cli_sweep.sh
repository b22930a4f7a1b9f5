#!/usr/bin/env bash
# Parameter studies (sweep, threshold, merge) as a user runs them.
# Usage: tests/cli_sweep.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"

compress="$scenarios/compress-2to1.json"
vary=(--vary endpoints.client.sqs=200:1400:100 --vary endpoints.server.rqs=200:1400:100)
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 1 --out "$work/j1.csv" 2>/dev/null
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 2 --out "$work/j2.csv" --heatmap "$work/map.svg" 2>/dev/null
if cmp -s "$work/j1.csv" "$work/j2.csv" && [ "$(wc -l <"$work/j1.csv")" -eq 170 ]; then pass "sweep --jobs 1 = --jobs 2";
else fail "sweep --jobs 1 = --jobs 2"; fi
for i in 1 2 3; do "$tcpsim" sweep "$compress" "${vary[@]}" --shard "$i/3" --out "$work/s$i.csv" 2>/dev/null; done
"$tcpsim" merge "$work/merged.csv" "$work/s3.csv" "$work/s1.csv" "$work/s2.csv"
if cmp -s "$work/j1.csv" "$work/merged.csv"; then pass "shards + merge = one run";
else fail "shards + merge = one run"; fi
if grep -q "rule's boundary" "$work/map.svg" && grep -q "endpoints.client.sqs (bytes)" "$work/map.svg"; then
  pass "heatmap has axes and legend"; else fail "heatmap"; fi
expect "threshold of compress" 0 'deadlocks from 4001 on' -- "$tcpsim" threshold "$compress" --vary endpoints.client.threads.main.0.write --hi 20000
expect "threshold agrees with the rule" 0 'the simulation agrees' -- "$tcpsim" threshold "$compress" --vary endpoints.client.threads.main.0.write --hi 20000
expect "bad shard" 2 'expected I/N' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1,2 --shard 4/3
expect "bad vary" 2 'range ends before it starts' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=9:1:1
expect "merge refuses a gap" 2 'missing' -- "$tcpsim" merge "$work/m2.csv" "$work/s1.csv" "$work/s3.csv"

finish cli_sweep
