#!/usr/bin/env bash
# Hostile and unusual input: every case ends within seconds, under 1 GiB, with one clear line
# (exit 2), or is a legitimate run that shows its progress on a terminal and stops on Ctrl-C.
# Usage: tests/cli_input.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"
both="$scenarios/both-write-1500.json"

# bounded NAME WANT_EXIT PATTERN -- command...: as expect, under 1 GiB of memory, and a hang fails
# it (at 120 s, a guard against stalling the suite, not a speed target) instead of stalling.
bounded() {
  local name=$1 want=$2 pattern=$3; shift 4
  expect "$name" "$want" "$pattern" -- /usr/bin/time -f 'peak %M KiB' -o "$work/time" timeout 120 "$@"
  local kib
  kib=$(grep -o 'peak [0-9]*' "$work/time" | tr -dc '0-9')
  if [ -z "$kib" ] || [ "$kib" -gt 1048576 ]; then fail "$name: peak memory ${kib:-unknown} KiB, limit 1 GiB"; fi
}

# --- where input comes from
expect "- reads a scenario from standard input" 0 '^both-write-1500: DEADLOCK' -- sh -c "'$tcpsim' run - <'$both'"
expect "errors name standard input" 2 '^<stdin>: missing required keys "description", "model", "link" and "endpoints"$' -- \
  sh -c "echo '{\"name\": \"x\"}' | '$tcpsim' validate -"
bounded "a device is not a scenario" 2 '^/dev/zero: not a regular file' -- "$tcpsim" run /dev/zero
bounded "random bytes from a device are refused" 2 '^/dev/urandom: not a regular file' -- "$tcpsim" validate /dev/urandom
mkfifo "$work/fifo.json"
bounded "a FIFO is refused without waiting for a writer" 2 'fifo.json: not a regular file' -- "$tcpsim" run "$work/fifo.json"
bounded "a profile naming a FIFO is refused" 2 '/profile: the profile file does not load: .*fifo.json: not a regular file' -- \
  "$tcpsim" run "$both" --set model=linux --set "profile=$work/fifo.json"
bounded "a profile naming a device is refused" 2 '/profile: the profile file does not load: /dev/zero: not a regular file' -- \
  "$tcpsim" run "$both" --set model=linux --set profile=/dev/zero
bounded "calibration sessions are bounded too" 2 '^/dev/zero: not a regular file' -- "$tcpsim" calibrate --from /dev/zero
bounded "endless standard input is cut at the limit" 2 '^-: larger than 4 MiB' -- sh -c "'$tcpsim' run - </dev/zero"
head -c 100000000 /dev/zero | tr '\0' ' ' >"$work/spaces.json"
bounded "100 MB of whitespace is refused at once" 2 'spaces.json: larger than 4 MiB' -- "$tcpsim" run "$work/spaces.json"
rm -f "$work/spaces.json"
expect "validate names a scenario whose profile file is missing" 2 '^<stdin>: /profile: the profile file does not load: nope.json: cannot open file$' -- \
  sh -c "sed 's/\"model\": \"textbook\"/\"model\": \"linux\", \"profile\": \"nope.json\"/' '$both' | '$tcpsim' validate -"

# --- directories
mkdir -p "$work/empty"
expect "check on a folder with no scenarios is an error, not a pass" 2 'empty: no scenario files \(\*\.json\) in this directory' -- \
  "$tcpsim" check "$work/empty"
expect "validate takes a folder" 0 'rule-demo.json: valid' -- "$tcpsim" validate "$scenarios"
expect "validate of the README's glob passes" 0 'both-write-1500.json: valid' -- sh -c "'$tcpsim' validate '$scenarios'/*.json"

# --- --set creates what the format allows
sed '/"limits"/d' "$both" >"$work/no-limits.json"
expect "--set limits.events on a file without limits" 0 'LIMIT: stopped by the events limit' -- \
  "$tcpsim" run "$work/no-limits.json" --set limits.events=2

# --- hostile documents: one clear line, quickly
big_list() {  # big_list N: a scenario whose A.main is N sleeps (about 9 bytes each)
  python3 -c "
import json, sys
doc = json.load(open('$both'))
doc.pop('expect')
doc['endpoints']['A']['threads']['main'] = [{'sleep': 1}] * int(sys.argv[1])
print(json.dumps(doc, separators=(',', ':')))" "$1"
}
big_list 300000 >"$work/ops.json"
bounded "300,000 ops in one list load and run" 0 '^both-write-1500: ' -- "$tcpsim" run "$work/ops.json"
# Loading was quadratic in the length of one list (300,000 ops took about 30 s). Linear loading
# takes about 5 times the CPU for 5 times the ops, quadratic about 25 times: a ratio, so the check
# holds on a slow or loaded machine and under sanitizers.
big_list 60000 >"$work/ops-small.json"
cpu_seconds() { /usr/bin/time -f '%U %S' -o "$work/cpu" "$tcpsim" validate "$1" >/dev/null 2>&1; awk '{ print $1 + $2 }' "$work/cpu"; }
small=$(cpu_seconds "$work/ops-small.json") large=$(cpu_seconds "$work/ops.json")
if awk -v s="$small" -v l="$large" 'BEGIN { exit !(l <= 12 * (s > 0.05 ? s : 0.05)) }'; then
  pass "loading is linear in the length of a list: ${small} s of CPU for 60,000 ops, ${large} s for 300,000"
else
  fail "loading is not linear in the length of a list: ${small} s of CPU for 60,000 ops, ${large} s for 300,000"
fi
python3 -c "
import json
doc = json.load(open('$both'))
doc['description'] = 'x' * 1000000
print(json.dumps(doc))" >"$work/description.json"
bounded "a 1 MB description runs" 0 '^both-write-1500: DEADLOCK' -- "$tcpsim" run "$work/description.json"
python3 -c "
import json
doc = json.load(open('$both'))
doc.pop('expect')
doc['endpoints']['A']['threads'] = {f't{i}': [{'write': 10}] for i in range(10000)}
doc['endpoints']['B']['threads'] = {'main': ['read_to_end']}
print(json.dumps(doc))" >"$work/threads.json"
bounded "10,000 threads run" 0 '^both-write-1500: COMPLETED' -- "$tcpsim" run "$work/threads.json"
python3 -c "
import json
doc = json.load(open('$both'))
doc['description'] = {f'k{i}': 0 for i in range(20000)}
print(json.dumps(doc))" >"$work/keys.json"
bounded "an object of 20,000 keys is refused before it is built" 2 'more than 10000 keys in one object' -- "$tcpsim" run "$work/keys.json"
bounded "a 100-year delay is refused" 2 '/link/delay: must be at most 1 h' -- "$tcpsim" run "$both" --set link.delay=876000h
bounded "nested repeats writing more than 2^50 bytes are refused" 2 'writes more than 2\^50 bytes in total' -- \
  "$tcpsim" run "$both" --set 'endpoints.A.threads.main=[{"repeat": 1099511627776, "do": [{"repeat": 1099511627776, "do": [{"write": 1}]}]}]'
bounded "a repeat count past 2^40 is refused" 2 'must be a positive integer \(at most 2\^40\)' -- \
  "$tcpsim" run "$both" --set 'endpoints.A.threads.main=[{"repeat": 1099511627777, "do": [{"write": 1}]}]'
bounded "a sweep of 10^9 points is refused before any work" 2 'the axes make 1000000000 points, more than the 10,000,000 a sweep may have' -- \
  "$tcpsim" sweep "$both" --vary endpoints.A.sqs=1:1000000000:1 --out "$work/sweep.csv"

# --- legitimate long runs: progress on a terminal, and Ctrl-C stops them
long_run() {  # long_run NAME -- command...: under a terminal, interrupted after 3 s
  local name=$1; shift 2
  if ! command -v script >/dev/null; then skip "$name: no script(1) to give the run a terminal"; return; fi
  local cmd
  printf -v cmd '%q ' "$@"
  timeout 30 script -qec "timeout -s INT 3 $cmd" /dev/null >"$work/tty" 2>&1
  local got=$?
  if [ "$got" -ne 124 ]; then fail "$name: wanted the run still going after 3 s and stopped by SIGINT, exit $got"; return; fi
  if grep -q 'simulated .* of at most .*Ctrl-C stops it' "$work/tty"; then pass "$name"; else
    fail "$name: no progress line on the terminal"; cat "$work/tty"; fi
}
long_run "1 GiB at MSS 1 shows progress and stops on Ctrl-C" -- \
  "$tcpsim" run "$scenarios/erle-uppercase-1gib-threads.json" --set link.mss=1
long_run "astronomic nested sleeps show progress and stop on Ctrl-C" -- \
  "$tcpsim" run "$both" --set limits.time=720h \
  --set 'endpoints.A.threads.main=[{"repeat": 1099511627776, "do": [{"repeat": 1099511627776, "do": [{"sleep": 1}]}]}]'
long_run "check shows progress too" -- "$tcpsim" check "$scenarios/erle-uppercase-1gib-threads.json" --set link.mss=1
"$tcpsim" run "$both" >"$work/plain" 2>&1
if grep -q 'Ctrl-C' "$work/plain"; then fail "a short run off a terminal prints no progress"; else pass "a short run off a terminal prints no progress"; fi

finish cli_input
