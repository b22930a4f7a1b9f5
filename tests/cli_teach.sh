#!/usr/bin/env bash
# The teaching commands (explain, rule, the figure) as a reader meets them.
# Usage: tests/cli_teach.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"

both="$scenarios/both-write-1500.json"
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
if [ "$lines" -lt 200 ]; then pass "explain of 1 GiB is $lines lines";
else fail "explain of 1 GiB is $lines lines"; fi

finish cli_teach
