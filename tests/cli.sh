#!/usr/bin/env bash
# The command line as a user meets it: exit codes, one-line errors, stable output.
# Usage: tests/cli.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

expect() {  # expect NAME WANT_EXIT PATTERN_ON_OUTPUT -- command...
  local name=$1 want=$2 pattern=$3; shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, wanted $want"; cat "$work/err"; failed=$((failed + 1)); return
  fi
  if ! grep -qE -- "$pattern" "$work/out" "$work/err"; then
    echo "FAIL $name: output lacks /$pattern/"; cat "$work/out" "$work/err"; failed=$((failed + 1)); return
  fi
  if [ "$want" -eq 2 ] && [ "$(wc -l <"$work/err")" -ne 1 ]; then
    echo "FAIL $name: bad input must give exactly one line on stderr:"; cat "$work/err"; failed=$((failed + 1)); return
  fi
  echo "PASS $name"; passed=$((passed + 1))
}

both="$scenarios/both-write-1500.json"
expect "run prints the deadlock" 0 '^both-write-1500: DEADLOCK' -- "$tcpsim" run "$both"
expect "run names the blocked writes" 0 'A.main: blocked in write\(1500\) at ops\[0\], 1000 of 1500' -- "$tcpsim" run "$both"
expect "json has the outcome" 0 '"outcome": "deadlock"' -- "$tcpsim" run "$both" --format json
expect "json blocked_in" 0 '"requested": 1500' -- "$tcpsim" run "$both" --format json
expect "--set changes the verdict" 0 'COMPLETED' -- "$tcpsim" run "$both" --set endpoints.A.sqs=1000 --set endpoints.B.sqs=1KiB
expect "negative size" 2 'both-write-1500.json: /endpoints/A/sqs: must be a positive size, got -5' -- \
  "$tcpsim" run "$both" --set endpoints.A.sqs=-5
expect "missing file" 2 'nope.json: cannot open file' -- "$tcpsim" run "$work/nope.json"
printf '{ "name": "x",\n  "model": }\n' >"$work/broken.json"
expect "invalid JSON" 2 'broken.json: line 2, column [0-9]+: invalid JSON' -- "$tcpsim" run "$work/broken.json"
expect "bad --set path" 2 'no key "C"' -- "$tcpsim" run "$both" --set endpoints.C.sqs=5
profiles="$scenarios/../sim/profiles"
refit() {  # refit NETWORK PROFILE: the shipped profile is exactly what calibrate --from its sessions gives
  expect "calibrate refits the shipped $1 sessions" 0 'of 81 stalled cells predicted' -- \
    "$tcpsim" calibrate --from "$profiles/$1"-*.data.json --out "$work/refit-$1.json"
  if cmp -s "$work/refit-$1.json" "$profiles/$2"; then
    echo "PASS the shipped $2 is exactly what calibrate --from the $1 sessions gives"; passed=$((passed + 1))
  else
    echo "FAIL the shipped $2 differs from calibrate --from the $1 sessions"; failed=$((failed + 1))
  fi
}
refit loopback linux.json
refit veth linux-veth.json
# Pooled sessions: each cell's range spans them all, and the profile was made on every release.
if grep -q '"samples": 216' "$work/refit-loopback.json" && grep -q '"release": "6[^"]*, 6' "$work/refit-loopback.json"; then
  echo "PASS calibrate pools the runs of three sessions and lists their kernels"; passed=$((passed + 1))
else
  echo "FAIL calibrate did not pool the three sessions"; failed=$((failed + 1))
fi
# A linux scenario runs with the built-in profile calibrated nearest its MSS: Ethernet's 1460 gets the veth one.
linux64k=(--set model=linux --set endpoints.A.threads.main.0.write=1MiB --set endpoints.B.threads.main.0.write=1MiB
  --set endpoints.A.sqs=64KiB --set endpoints.A.rqs=64KiB --set endpoints.B.sqs=64KiB --set endpoints.B.rqs=64KiB)
# (The reports are compared without the line that says where the profile came from.)
"$tcpsim" run "$both" "${linux64k[@]}" --format json | grep -v '"profile"' >"$work/mss1460.json"
"$tcpsim" run "$both" "${linux64k[@]}" --format json --profile "$profiles/linux-veth.json" | grep -v '"profile"' >"$work/mss1460-veth.json"
"$tcpsim" run "$both" "${linux64k[@]}" --format json --profile "$profiles/linux.json" | grep -v '"profile"' >"$work/mss1460-loopback.json"
if cmp -s "$work/mss1460.json" "$work/mss1460-veth.json" && ! cmp -s "$work/mss1460.json" "$work/mss1460-loopback.json"; then
  echo "PASS a linux scenario with MSS 1460 runs with the veth-calibrated profile"; passed=$((passed + 1))
else
  echo "FAIL a linux scenario with MSS 1460 did not run with the veth-calibrated profile"; failed=$((failed + 1))
fi
expect "run names the linux profile it chose" 0 "^Profile: linux, built in, calibrated on veth \\(MSS 1448\\), the nearest to this link's MSS 1460$" -- \
  "$tcpsim" run "$both" --set model=linux
expect "run --format json names the linux profile it chose" 0 '"profile": "linux, built in, calibrated on loopback \(MSS 65483\)' -- \
  "$tcpsim" run "$both" --set model=linux --set link.mss=65483 --format json
expect "compare names the built-in profile each column ran with" 0 \
  'the linux column runs with the built-in profile calibrated on loopback \(MSS 65483\), the linux\(own\) column with the one calibrated on veth \(MSS 1448\)' -- \
  "$tcpsim" compare "$both" --set model=linux --quiet 300ms --timeout 20s
one_session=$(ls "$profiles"/loopback-*.data.json | head -1)
sed 's/"net.core.rmem_max": "4194304"/"net.core.rmem_max": "212992"/' "$one_session" >"$work/other-kernel.data.json"
# Files are read in sorted order, so either file can be the one named.
expect "calibrate will not pool sessions whose kernels had other settings" 2 \
  'data.json: /kernel/sysctls/net.core.rmem_max: expected "(4194304|212992)" as in .*settings\), found "(212992|4194304)"' -- \
  "$tcpsim" calibrate --from "$one_session" "$work/other-kernel.data.json" --out "$work/x.json"
grep -v '"net.core.rmem_max"' "$one_session" >"$work/no-rmem-max.data.json"
expect "calibrate will not pool a session that lacks a setting another recorded" 2 \
  'data.json: /kernel/sysctls/net.core.rmem_max: expected ("4194304"|none) as in .*, found (none|"4194304")' -- \
  "$tcpsim" calibrate --from "$one_session" "$work/no-rmem-max.data.json" --out "$work/x.json"
expect "calibrate refuses a session given twice, however it is spelled" 2 'given to --from twice .*its runs would count twice' -- \
  "$tcpsim" calibrate --from "$one_session" "$(dirname "$one_session")/./$(basename "$one_session")" --out "$work/x.json"
expect "calibrate will not pool sessions measured at another MSS" 2 \
  'data.json: /cells/0/mss_bytes: expected (65483|1448) as in .*\(a profile is fitted for one MSS\), found (1448|65483)' -- \
  "$tcpsim" calibrate --from "$one_session" "$profiles/veth-2026-11-23.data.json" --out "$work/x.json"
printf '{ "kernel": {}, "cells": [] }\n' >"$work/nocells.json"
expect "calibrate refuses a session with no cells" 2 'nocells.json: /cells: expected the cells of a measured grid, found none' -- \
  "$tcpsim" calibrate --from "$work/nocells.json" --out "$work/x.json"
expect "calibrate --agreement measures the kernel against itself across sessions" 0 \
  '^7 of 81 cells have no figure inside every session.s range' -- \
  "$tcpsim" calibrate --agreement --from "$profiles"/loopback-*.data.json
expect "calibrate --agreement gives the most a prediction blind to the write size can reach" 0 \
  'reaches at most 80 of 81 cells$' -- \
  "$tcpsim" calibrate --agreement --from "$profiles"/loopback-*.data.json
expect "calibrate --agreement needs two sessions" 2 'agreement: expected two or more sessions in --from, found one' -- \
  "$tcpsim" calibrate --agreement --from "$one_session"
printf '{ "cells": [] }\n' >"$work/nodata.json"
expect "calibrate --from a file that is not calibration data" 2 'nodata.json: /kernel: expected an object' -- \
  "$tcpsim" calibrate --from "$work/nodata.json" --out "$work/x.json"
printf '{ "kernel": {}, "cells": [ { "protocol": "compress" } ] }\n' >"$work/badcell.json"
expect "calibrate --from names the JSON path of a bad cell" 2 'badcell.json: /cells/0: expected calibration data.*not found' -- \
  "$tcpsim" calibrate --from "$work/badcell.json" --out "$work/x.json"
if (cd "$work" && "$tcpsim" calibrate --from "$profiles/veth-2026-11-23.data.json" --profile "$profiles/linux.json" |
    grep -q 'of 81 stalled cells') && [ ! -e "$work/linux-profile.json" ]; then
  echo "PASS calibrate evaluating a given profile writes no profile file"; passed=$((passed + 1))
else
  echo "FAIL calibrate --from --profile wrote linux-profile.json"; failed=$((failed + 1))
fi
printf '{\n' >"$work/badprofile.json"
expect "run --profile with a broken file is an error even for a textbook scenario" 2 'badprofile.json: line 2, column 1: invalid JSON' -- \
  "$tcpsim" run "$both" --profile "$work/badprofile.json"
expect "run --profile on a textbook scenario says it is not used" 0 'is for the linux model; both-write-1500 uses the textbook model' -- \
  "$tcpsim" run "$both" --profile "$profiles/linux.json"
# An interrupted veth measurement removes the namespaces it made (where it can make them).
"$tcpsim" measure "$both" --net veth --quiet 20s --timeout 30s --set endpoints.A.threads.main.0.write=1MiB \
  --set endpoints.B.threads.main.0.write=1MiB >"$work/veth.out" 2>&1 &
veth_pid=$!
ns_prefix="tcpsim-$((veth_pid % 100000))-"
for _ in $(seq 50); do
  [ "$(ip netns list 2>/dev/null | grep -c "^$ns_prefix")" -eq 2 ] && break
  sleep 0.1
done
ns_made=$(ip netns list 2>/dev/null | grep -c "^$ns_prefix")
kill -TERM "$veth_pid"; wait "$veth_pid"; veth_exit=$?
ns_left=$(ip netns list 2>/dev/null | grep -c "^$ns_prefix")
if [ "$ns_made" -ne 2 ]; then
  echo "SKIP interrupted veth measurement: no network namespaces here"
elif [ "$ns_left" -eq 0 ] && [ "$veth_exit" -eq 143 ]; then
  echo "PASS an interrupted veth measurement removes its namespaces"; passed=$((passed + 1))
else
  echo "FAIL interrupted veth measurement: $ns_left namespaces left, exit $veth_exit"; failed=$((failed + 1))
fi
expect "unknown command" 2 'tcpsim: ' -- "$tcpsim" frobnicate
expect "bad format" 2 'tcpsim: ' -- "$tcpsim" run "$both" --format xml
expect "validate" 0 'valid' -- "$tcpsim" validate "$both"
expect "check passes the library" 0 ' passed, 0 failed' -- "$tcpsim" check "$scenarios"
expect "check reports a wrong expectation" 3 '/outcome: expected "completed", got "deadlock"' -- \
  "$tcpsim" check "$both" --set expect.outcome=completed

"$tcpsim" run "$scenarios/compress-2to1.json" --format json >"$work/a"
"$tcpsim" run "$scenarios/compress-2to1.json" --format json >"$work/b"
if cmp -s "$work/a" "$work/b"; then echo "PASS deterministic output"; passed=$((passed + 1));
else echo "FAIL deterministic output"; failed=$((failed + 1)); fi

expect "explain names A's blocked write" 0 'A.main blocks in write\(1500\): 1000 of 1500 bytes handed to TCP' -- "$tcpsim" explain "$both"
expect "explain names B's blocked write" 0 'B.main blocks in write\(1500\): 1000 of 1500 bytes handed to TCP' -- "$tcpsim" explain "$both"
expect "explain ends with the cycle" 0 'the cycle is closed' -- "$tcpsim" explain "$both"
expect "explain applies the rule" 0 'returns only after B has read n-\(SQS\+RQS\) = 500 bytes' -- "$tcpsim" explain "$both"
expect "explain: a full RecvQ closes the window" 0 'acknowledges and advertises a ZERO window: its RecvQ is full' -- \
  "$tcpsim" explain "$both"
# linux: an upper-casing server reads 1 KiB at a time out of 64 KiB segments and stalls
# with read bytes of a partly read skb still holding its RecvQ.
cat >"$work/held.json" <<'JSON'
{"name": "held", "description": "uppercase 4 KiB/64 KiB, 64 KiB writes", "model": "linux",
 "link": {"bandwidth": "10Gbps", "delay": "10us", "mss": 65483},
 "endpoints": {
  "A": {"sqs": "4KiB", "rqs": "4KiB", "threads": {"main": [{"repeat": 64, "do": [{"write": 65536}]}, "shutdown", "read_to_end"]}},
  "B": {"sqs": "64KiB", "rqs": "64KiB", "threads": {"main": [{"repeat": "eof", "do": [{"read": 1024}, {"write": {"ratio": 1}}]}, "close"]}}}}
JSON
expect "explain: a RecvQ full with read bytes still held says so" 0 \
  'ZERO window: its RecvQ is full: [0-9]+ unread plus [0-9]+ bytes already read that a partly read skb still holds' -- \
  "$tcpsim" explain "$work/held.json"
expect "explain: a zero window over free space under one segment names silly-window avoidance" 0 \
  'ZERO window: its RecvQ holds [0-9]+ of [0-9]+ bytes.*less than one segment is free \(receiver silly-window avoidance\)' -- \
  "$tcpsim" explain "$scenarios/erle-uppercase-1gib.json" --set model=linux
expect "run: the report and the cycle name read bytes still held" 0 'RecvQ [0-9]+/[0-9]+ \+ [0-9]+ read but held' -- \
  "$tcpsim" run "$work/held.json"
expect "run: the cycle says why the window is zero" 0 'plus [0-9]+ bytes already read from an skb the kernel frees only once' -- \
  "$tcpsim" run "$work/held.json"
expect "run: a writer blocked with room left waits for a third" 0 \
  'B.SendQ \([0-9]+ of [0-9]+ bytes used; a blocked writer wakes only once a third of it is free\)' -- "$tcpsim" run "$work/held.json"
expect "json: recvq_held" 0 '"recvq_held": [0-9]+' -- "$tcpsim" run "$work/held.json" --format json
expect "run draws Figure 6-5" 0 'SendQ \[##########\] 500/500 +\| -----> \| RecvQ \[##########\] 500/500' -- "$tcpsim" run "$both"
expect "run --at shows an earlier state" 0 'LIMIT: stopped by the time limit at 1 ms' -- "$tcpsim" run "$both" --at 1ms
expect "rule agrees with the simulation" 0 'both write at once: deadlock, A stuck at 1000 of 1500 and B at 1000 of 1500: the simulation agrees' -- \
  "$tcpsim" rule --n 1500 --sqs 500 --rqs 500
expect "rule with n <= SQS+RQS" 0 'returns without B reading a byte' -- "$tcpsim" rule --n 900 --sqs 500 --rqs 500
expect "explain stays short for 1 GiB" 0 'more steps of the same pattern' -- "$tcpsim" explain "$scenarios/erle-uppercase-1gib.json"
lines=$("$tcpsim" explain "$scenarios/erle-uppercase-1gib.json" | wc -l)
if [ "$lines" -lt 200 ]; then echo "PASS explain of 1 GiB is $lines lines"; passed=$((passed + 1));
else echo "FAIL explain of 1 GiB is $lines lines"; failed=$((failed + 1)); fi

compress="$scenarios/compress-2to1.json"
vary=(--vary endpoints.client.sqs=200:1400:100 --vary endpoints.server.rqs=200:1400:100)
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 1 --out "$work/j1.csv" 2>/dev/null
"$tcpsim" sweep "$compress" "${vary[@]}" --jobs 2 --out "$work/j2.csv" --heatmap "$work/map.svg" 2>/dev/null
if cmp -s "$work/j1.csv" "$work/j2.csv" && [ "$(wc -l <"$work/j1.csv")" -eq 170 ]; then echo "PASS sweep --jobs 1 = --jobs 2"; passed=$((passed + 1));
else echo "FAIL sweep --jobs 1 = --jobs 2"; failed=$((failed + 1)); fi
for i in 1 2 3; do "$tcpsim" sweep "$compress" "${vary[@]}" --shard "$i/3" --out "$work/s$i.csv" 2>/dev/null; done
"$tcpsim" merge "$work/merged.csv" "$work/s3.csv" "$work/s1.csv" "$work/s2.csv"
if cmp -s "$work/j1.csv" "$work/merged.csv"; then echo "PASS shards + merge = one run"; passed=$((passed + 1));
else echo "FAIL shards + merge = one run"; failed=$((failed + 1)); fi
if grep -q "rule's boundary" "$work/map.svg" && grep -q "endpoints.client.sqs (bytes)" "$work/map.svg"; then
  echo "PASS heatmap has axes and legend"; passed=$((passed + 1)); else echo "FAIL heatmap"; failed=$((failed + 1)); fi
expect "threshold of compress" 0 'deadlocks from 4001 on' -- "$tcpsim" threshold "$compress" --vary endpoints.client.threads.main.0.write --hi 20000
expect "threshold agrees with the rule" 0 'the simulation agrees' -- "$tcpsim" threshold "$compress" --vary endpoints.client.threads.main.0.write --hi 20000
expect "bad shard" 2 'expected I/N' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=1,2 --shard 4/3
expect "bad vary" 2 'range ends before it starts' -- "$tcpsim" sweep "$compress" --vary endpoints.client.sqs=9:1:1
expect "merge refuses a gap" 2 'missing' -- "$tcpsim" merge "$work/m2.csv" "$work/s1.csv" "$work/s3.csv"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
