#!/usr/bin/env bash
# Parameter studies (sweep, threshold, merge, heatmap) as a user runs them.
# Usage: tests/cli_sweep.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"
tools="$(dirname "$0")/../tools"

compress="$scenarios/compress-2to1.json"
write=endpoints.client.threads.main.0.write
block=endpoints.server.threads.main.0.do.0.read_exact

# --- sweeps: deterministic, sharded, merged, drawn
vary=(--vary endpoints.client.sqs=200:1400:100 --vary endpoints.server.rqs=200:1400:100)
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 1 --out "$work/j1.csv" 2>/dev/null
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 2 --out "$work/j2.csv" --heatmap "$work/map.svg" 2>/dev/null
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 1 --out "$work/j1.jsonl" 2>/dev/null
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 2 --out "$work/j2.jsonl" 2>/dev/null
same_files "sweep --jobs 1 = --jobs 2 (CSV)" "$work/j1.csv" "$work/j2.csv"
same_files "sweep --jobs 1 = --jobs 2 (JSON Lines)" "$work/j1.jsonl" "$work/j2.jsonl"
# The sweep record, the column names, 13 x 13 rows.
if [ "$(wc -l <"$work/j1.csv")" -eq 171 ]; then pass "sweep writes every point"; else fail "sweep writes every point"; fi
for i in 1 2 3; do "$tcpsim" sweep "$compress" "${vary[@]}" --shard "$i/3" --out "$work/s$i.csv" 2>/dev/null; done
"$tcpsim" merge "$work/merged.csv" "$work/s3.csv" "$work/s1.csv" "$work/s2.csv" --heatmap "$work/merged.svg"
same_files "shards + merge = one run" "$work/j1.csv" "$work/merged.csv"
same_files "merge --heatmap draws the run's heatmap" "$work/map.svg" "$work/merged.svg"
"$tcpsim" heatmap "$work/saved.svg" "$work/j1.jsonl"
same_files "heatmap of a saved JSON Lines result = the run's heatmap" "$work/map.svg" "$work/saved.svg"
if grep -q "rule's boundary" "$work/map.svg" && grep -q "endpoints.client.sqs (bytes)" "$work/map.svg"; then
  pass "heatmap has axes and legend"; else fail "heatmap"; fi
expect "a shard's heatmap points at merge" 2 'merge OUT SHARD... --heatmap' -- \
  "$tcpsim" sweep "$compress" "${vary[@]}" --shard 1/3 --heatmap "$work/x.svg"

# --- merge refuses what is not one whole sweep
expect "merge refuses a missing last shard" 2 'shard 3 of 3 is missing' -- "$tcpsim" merge "$work/m.csv" "$work/s1.csv" "$work/s2.csv"
expect "merge refuses a missing first shard" 2 'shard 1 of 3 is missing' -- "$tcpsim" merge "$work/m.csv" "$work/s2.csv" "$work/s3.csv"
expect "merge refuses a shard twice" 2 'given twice' -- "$tcpsim" merge "$work/m.csv" "$work/s1.csv" "$work/s2.csv" "$work/s2.csv" "$work/s3.csv"
"$tcpsim" sweep "$compress" --vary endpoints.client.sqs=200:1400:50 --shard 2/3 --out "$work/other2.csv" 2>/dev/null
expect "merge refuses mixed sweeps" 2 'from another sweep' -- "$tcpsim" merge "$work/m.csv" "$work/s1.csv" "$work/other2.csv" "$work/s3.csv"
head -n 20 "$work/s2.csv" >"$work/cut2.csv"
expect "merge refuses a cut-short shard" 2 'cut2.csv: shard 2/3 ends after 18 of its 56 points' -- \
  "$tcpsim" merge "$work/m.csv" "$work/s1.csv" "$work/cut2.csv" "$work/s3.csv"
if [ ! -e "$work/m.csv" ]; then pass "a refused merge writes nothing"; else fail "a refused merge wrote $work/m.csv"; fi
expect "merge names the output's format" 2 'the shards are CSV; name the output .csv' -- \
  "$tcpsim" merge "$work/m.jsonl" "$work/s1.csv" "$work/s2.csv" "$work/s3.csv"
# Two points in three shards: the first is empty, and still merges in any order.
two=(--vary endpoints.client.sqs=200,300)
for i in 1 2 3; do "$tcpsim" sweep "$compress" "${two[@]}" --shard "$i/3" --out "$work/e$i.jsonl" 2>/dev/null; done
"$tcpsim" sweep "$compress" "${two[@]}" --out "$work/e.jsonl" 2>/dev/null
"$tcpsim" merge "$work/em.jsonl" "$work/e1.jsonl" "$work/e3.jsonl" "$work/e2.jsonl"
same_files "an empty first JSON Lines shard merges" "$work/e.jsonl" "$work/em.jsonl"
"$tcpsim" merge "$work/em2.jsonl" "$work/e3.jsonl" "$work/e2.jsonl" "$work/e1.jsonl"
same_files "the merge does not depend on file order" "$work/e.jsonl" "$work/em2.jsonl"

# --- sweep arguments
expect "bad shard" 2 'expected I/N' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1,2 --shard 4/3
expect "bad vary" 2 'range ends before it starts' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=9:1:1
expect "the same --vary twice" 2 'the same field as --vary endpoints.client.sqs' -- \
  "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1,2 --vary /endpoints/client/sqs=3,4
expect "an unknown output extension" 2 'x.txt: expected a file name ending in .csv or .jsonl' -- \
  "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1,2 --out "$work/x.txt"
expect "one point is one point" 0 '^sweep: 1 point: 1 deadlock' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=500
expect "a duration axis" 0 '^6,8000000,1000000,deadlock,' -- \
  "$tcpsim" sweep "$compress" --vary link.delay=1ms:10ms:x2 --vary link.bandwidth=1Mbps,10Mbps
expect "a bad duration names the kind" 2 'must be a non-negative duration' -- "$tcpsim" sweep "$compress" --vary link.delay=1ms:10ms:2KiB
"$tcpsim" sweep "$compress" --vary link.delay=1ms,2ms --out "$work/delay.jsonl" 2>/dev/null
if grep -q '^{"point":1,"values":{"link.delay":2000000},' "$work/delay.jsonl"; then
  pass "JSON Lines rows name their axes, numbers in base units"; else fail "JSON Lines rows"; cat "$work/delay.jsonl"; fi
# Memory that does not grow with points: counted and refused before anything is expanded,
# and rows streamed, not kept (peak resident set sizes, in KiB, from GNU time).
peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0  # no effect without ASan
r=1:9900000:1
eight=(--vary endpoints.client.sqs=$r --vary endpoints.client.rqs=$r --vary endpoints.server.sqs=$r --vary endpoints.server.rqs=$r
       --vary $write=$r --vary link.mss=$r --vary link.delay=$r --vary link.bandwidth=$r)
expect "8 axes of 9.9M values are refused" 2 'the axes make 9900000 x 9900000 x .* points, more than the 10,000,000' -- \
  "$tcpsim" sweep "$compress" "${eight[@]}"
peak=$(peak_kib "$tcpsim" sweep "$compress" "${eight[@]}")
if [ "$peak" -lt 131072 ]; then pass "refusing 8 axes of 9.9M values stays small ($peak KiB)";
else fail "refusing 8 axes of 9.9M values peaked at $peak KiB"; fi
small=$(peak_kib "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1000:1999:1 --jobs 2)
large=$(peak_kib "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1000:40999:1 --jobs 2)
if [ $((large - small)) -lt 16384 ]; then pass "40 times the points, the same memory ($small vs $large KiB)";
else fail "40 times the points took $small then $large KiB"; fi

# --- threshold
expect "threshold of compress" 0 'deadlocks from 4001 on' -- "$tcpsim" threshold "$compress" --vary $write --hi 20000
expect "threshold agrees with the rule" 0 'the rule and the simulation agree at all 20000 values run' -- \
  "$tcpsim" threshold "$compress" --vary $write --hi 20000
"$tcpsim" threshold "$compress" --vary $block --lo 900 --hi 2200 --set $write=4000 >"$work/saw.txt"
if grep -q 'all 1301 values run, so every change is exact' "$work/saw.txt" &&
   [ "$(grep -cE '^    \[[0-9]+, [0-9]+\]: ' "$work/saw.txt")" -eq 5 ] &&
   grep -q '\[1000, 1001\]: completed' "$work/saw.txt" && grep -q '\[1002, 1499\]: deadlock' "$work/saw.txt"; then
  pass "a small interval runs whole: all 5 intervals, exact"; else fail "a small interval runs whole"; cat "$work/saw.txt"; fi
if grep -q 'the rule and the simulation agree at all 1301 values run' "$work/saw.txt" && ! grep -q MISMATCH "$work/saw.txt"; then
  pass "the rule is compared with the simulation value by value"; else fail "rule comparison"; cat "$work/saw.txt"; fi
expect "a sampled threshold says what it may miss" 0 '33 samples about 32767 bytes apart.*would be missed' -- \
  "$tcpsim" threshold "$compress" --vary $write
expect "--samples raises the density" 0 '1000 samples about 1049 bytes apart' -- "$tcpsim" threshold "$compress" --vary $write --samples 1000
expect "a duration threshold" 0 'threshold of link.delay \(ns\) in \[1000000, 1000000000\]' -- \
  "$tcpsim" threshold "$compress" --vary link.delay --lo 1ms
expect "a bad --lo names the kind" 2 '--lo: must be a non-negative duration' -- "$tcpsim" threshold "$compress" --vary link.delay --lo 1KiB
expect "threshold needs a numeric field" 2 'threshold needs a size, duration, bandwidth or count field' -- \
  "$tcpsim" threshold "$compress" --vary model

# --- parameters and zipped axes
cat >"$work/param.json" <<'JSON'
{ "name": "param", "description": "compress-2to1 with the request a parameter", "model": "textbook",
  "params": { "request": 10000 },
  "link": { "bandwidth": "10Mbps", "delay": "1ms", "mss": 1460 },
  "endpoints": {
    "client": { "sqs": 500, "rqs": 500, "threads": { "main": [ { "write": "$request" }, "shutdown", "read_to_end" ] } },
    "server": { "sqs": 500, "rqs": 500, "threads": { "main": [
      { "repeat": "eof", "do": [ { "read_exact": 1000 }, { "write": { "ratio": 0.5 } } ] }, "close" ] } } } }
JSON
"$tcpsim" sweep "$work/param.json" --vary request=1KiB:8KiB:1KiB --out "$work/param.csv" 2>/dev/null
"$tcpsim" sweep "$compress" --vary $write=1KiB:8KiB:1KiB --out "$work/path.csv" 2>/dev/null
# The rows (not the sweep records, which name their scenario and axis) are the same.
if [ "$(tail -n +3 "$work/param.csv")" = "$(tail -n +3 "$work/path.csv")" ] && [ "$(wc -l <"$work/param.csv")" -eq 10 ] &&
   grep -q '"path":"request","kind":"size","values":8' "$work/param.csv"; then
  pass "a sweep over a parameter is the sweep over the field that uses it"; else fail "a sweep over a parameter"; cat "$work/param.csv"; fi
expect "threshold over a parameter" 0 'deadlocks from 4001 on' -- "$tcpsim" threshold "$work/param.json" --vary request --hi 20000
expect "a parameter used nowhere numeric has no kind for threshold" 2 'a parameter has the kind of the fields that use it' -- \
  "$tcpsim" threshold "$work/param.json" --vary request --set endpoints.client.threads.main.0.write=100
zip=(--zip endpoints.client.sqs=300,600,900 --zip endpoints.server.rqs=300,600,900)
"$tcpsim" sweep "$compress" --vary link.delay=1ms,2ms "${zip[@]}" --jobs 2 --out "$work/zip.csv" 2>/dev/null
if [ "$(wc -l <"$work/zip.csv")" -eq 8 ] && grep -q '^point,link.delay,endpoints.client.sqs,endpoints.server.rqs,' "$work/zip.csv" &&
   grep -q '^4,2000000,600,600,' "$work/zip.csv"; then
  pass "--zip paths take their values together"; else fail "--zip"; cat "$work/zip.csv"; fi
for i in 1 2; do "$tcpsim" sweep "$compress" --vary link.delay=1ms,2ms "${zip[@]}" --shard "$i/2" --out "$work/z$i.jsonl" 2>/dev/null; done
"$tcpsim" sweep "$compress" --vary link.delay=1ms,2ms "${zip[@]}" --out "$work/zip.jsonl" 2>/dev/null
"$tcpsim" merge "$work/zm.jsonl" "$work/z2.jsonl" "$work/z1.jsonl"
same_files "zipped shards merge into the one run" "$work/zip.jsonl" "$work/zm.jsonl"
expect "--zip lengths must match" 2 '--zip endpoints.server.rqs: 2 values, but --zip endpoints.client.sqs has 3' -- \
  "$tcpsim" sweep "$compress" --zip endpoints.client.sqs=300,600,900 --zip endpoints.server.rqs=300,600
expect "a heatmap of zipped axes is refused" 2 'exactly two --vary axes \(and no --zip\)' -- \
  "$tcpsim" sweep "$compress" "${zip[@]}" --heatmap "$work/zip.svg"
"$tcpsim" sweep "$compress" "${zip[@]}" --out "$work/zip2.jsonl" 2>/dev/null
expect "a saved zipped sweep draws no heatmap" 2 'these two are zipped' -- "$tcpsim" heatmap "$work/zip2.svg" "$work/zip2.jsonl"
expect "a --zip path also varied names both options" 2 '^--zip /endpoints/client/sqs: the same field as --vary endpoints.client.sqs' -- \
  "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1,2 --zip /endpoints/client/sqs=3,4
expect "a sweep needs an axis" 2 'at least one --vary or --zip' -- "$tcpsim" sweep "$compress"

# --- the sharding recipe of docs/commands.md, on local job slots
if command -v parallel >/dev/null; then
  "$tools/sweep_parallel.sh" -j 2 3 "$work/par.csv" "$tcpsim" sweep "$compress" "${vary[@]}" --jobs 1 2>"$work/par.err" ||
    cat "$work/par.err"
  same_files "tools/sweep_parallel.sh (GNU parallel, 3 shards) = one run" "$work/j1.csv" "$work/par.csv"
  if ls -A "$work" | grep -q '^\.tcpsim-shards'; then fail "sweep_parallel.sh left its shards behind"; else pass "sweep_parallel.sh cleans up"; fi
else
  skip "tools/sweep_parallel.sh: GNU parallel is not installed (Debian package parallel; TCPSIM_TEST_TOOLS=1 tools/setup.sh)"
fi

finish cli_sweep
