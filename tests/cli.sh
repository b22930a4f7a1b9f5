#!/usr/bin/env bash
# The command line as a user meets it: exit codes, one-line errors, stable output.
# Usage: tests/cli.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"

both="$scenarios/both-write-1500.json"
expect "run prints the deadlock" 0 '^both-write-1500: DEADLOCK' -- "$tcpsim" run "$both"
expect "run names the blocked writes" 0 'A.main: blocked in write\(1500\) at ops\[0\], 1,000 of 1,500' -- "$tcpsim" run "$both"
expect "json has the outcome" 0 '"outcome": "deadlock"' -- "$tcpsim" run "$both" --format json
expect "json blocked_in" 0 '"requested": 1500' -- "$tcpsim" run "$both" --format json
expect "--set changes the verdict" 0 'COMPLETED' -- "$tcpsim" run "$both" --set endpoints.A.sqs=1000 --set endpoints.B.sqs=1KiB
expect "negative size" 2 'both-write-1500.json: /endpoints/A/sqs: must be a positive size, got -5' -- \
  "$tcpsim" run "$both" --set endpoints.A.sqs=-5
expect "missing file" 2 'nope.json: cannot open file' -- "$tcpsim" run "$work/nope.json"
printf '{ "name": "x",\n  "model": }\n' >"$work/broken.json"
expect "invalid JSON" 2 'broken.json: line 2, column [0-9]+: invalid JSON' -- "$tcpsim" run "$work/broken.json"
expect "a --set path to an endpoint that does not exist" 2 'must hold exactly two endpoints, found 3: A, B, C' -- "$tcpsim" run "$both" --set endpoints.C.sqs=5
expect "a --set path through a value that is not an object" 2 '/name is a string, not an object or array' -- "$tcpsim" run "$both" --set name.x=5
profiles="$scenarios/../sim/profiles"
refit() {  # refit NETWORK PROFILE: the shipped profile is exactly what calibrate --from its sessions gives
  expect "calibrate refits the shipped $1 sessions" 0 'of 81 stalled cells predicted' -- \
    "$tcpsim" calibrate --from "$profiles/$1"-*.data.json --out "$work/refit-$1.json"
  if cmp -s "$work/refit-$1.json" "$profiles/$2"; then
    pass "the shipped $2 is exactly what calibrate --from the $1 sessions gives";
  else
    fail "the shipped $2 differs from calibrate --from the $1 sessions";
  fi
}
refit loopback linux.json
refit veth linux-veth.json
# Pooled sessions: each cell's range spans them all, and the profile was made on every release.
if grep -q '"samples": 216' "$work/refit-loopback.json" && grep -q '"release": "6[^"]*, 6' "$work/refit-loopback.json"; then
  pass "calibrate pools the runs of three sessions and lists their kernels";
else
  fail "calibrate did not pool the three sessions";
fi
# A linux scenario runs with the built-in profile calibrated nearest its MSS: Ethernet's 1460 gets the veth one.
linux64k=(--set model=linux --set endpoints.A.threads.main.0.write=1MiB --set endpoints.B.threads.main.0.write=1MiB
  --set endpoints.A.sqs=64KiB --set endpoints.A.rqs=64KiB --set endpoints.B.sqs=64KiB --set endpoints.B.rqs=64KiB)
# (The reports are compared without the line that says where the profile came from.)
"$tcpsim" run "$both" "${linux64k[@]}" --format json | grep -v '"profile"' >"$work/mss1460.json"
"$tcpsim" run "$both" "${linux64k[@]}" --format json --profile "$profiles/linux-veth.json" | grep -v '"profile"' >"$work/mss1460-veth.json"
"$tcpsim" run "$both" "${linux64k[@]}" --format json --profile "$profiles/linux.json" | grep -v '"profile"' >"$work/mss1460-loopback.json"
if cmp -s "$work/mss1460.json" "$work/mss1460-veth.json" && ! cmp -s "$work/mss1460.json" "$work/mss1460-loopback.json"; then
  pass "a linux scenario with MSS 1460 runs with the veth-calibrated profile";
else
  fail "a linux scenario with MSS 1460 did not run with the veth-calibrated profile";
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
  pass "calibrate evaluating a given profile writes no profile file";
else
  fail "calibrate --from --profile wrote linux-profile.json";
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
  skip "interrupted veth measurement: no network namespaces here"
elif [ "$ns_left" -eq 0 ] && [ "$veth_exit" -eq 143 ]; then
  pass "an interrupted veth measurement removes its namespaces";
else
  fail "interrupted veth measurement: $ns_left namespaces left, exit $veth_exit";
fi
# measure, compare and calibrate: an option out of its bounds is one line saying what was expected.
for command in measure compare; do
  expect "$command --quiet 0 asks for a duration with its unit" 2 \
    '^tcpsim: --quiet: expected a duration with its unit \(ns, us, ms, s, min, h\) from 1 ms to 600 s, such as 2s or 500ms, found "0"$' -- \
    "$tcpsim" "$command" "$both" --quiet 0
  expect "$command --timeout above its bound" 2 \
    '^tcpsim: --timeout: expected a duration with its unit \(ns, us, ms, s, min, h\) from 1 ms to 1 h, such as 2s or 500ms, found "2h"$' -- \
    "$tcpsim" "$command" "$both" --timeout 2h
  expect "$command --repeat 1.5 is not an integer" 2 '^tcpsim: --repeat: expected an integer from 1 to 100, found "1.5"' -- \
    "$tcpsim" "$command" "$both" --repeat 1.5
  expect "$command --port above its bound" 2 '^tcpsim: --port: expected an integer from 0 to 65535, found "70000"' -- \
    "$tcpsim" "$command" "$both" --port 70000
done
expect "calibrate --cells 0" 2 '^tcpsim: --cells: expected an integer from 1 to 81, found "0"' -- "$tcpsim" calibrate --cells 0 --out "$work/x.json"
expect "calibrate --quiet above its bound" 2 \
  '^tcpsim: --quiet: expected a duration with its unit \(ns, us, ms, s, min, h\) from 1 ms to 30 s, such as 2s or 500ms, found "31s"$' -- \
  "$tcpsim" calibrate --quiet 31s --out "$work/x.json"
expect "calibrate --repeat has no place beside --from" 2 '^tcpsim: --repeat: only when calibrate measures; with --from it fits saved sessions$' -- \
  "$tcpsim" calibrate --from "$one_session" --repeat 2 --out "$work/x.json"
expect "calibrate refuses an --out it cannot write before measuring" 2 \
  "^tcpsim: --out $work/nope/x.json: cannot open for writing \\(No such file or directory\\)$" -- \
  "$tcpsim" calibrate --out "$work/nope/x.json" --cells 1 --repeat 1
expect "unknown command" 2 'tcpsim: ' -- "$tcpsim" frobnicate
expect "bad format" 2 'tcpsim: ' -- "$tcpsim" run "$both" --format xml
expect "validate" 0 'valid' -- "$tcpsim" validate "$both"
expect "check passes the library" 0 ' passed, 0 failed' -- "$tcpsim" check "$scenarios"
expect "check reports a wrong expectation" 3 '/outcome: expected "completed", got "deadlock"' -- \
  "$tcpsim" check "$both" --set expect.outcome=completed

"$tcpsim" run "$scenarios/compress-2to1.json" --format json >"$work/a"
"$tcpsim" run "$scenarios/compress-2to1.json" --format json >"$work/b"
if cmp -s "$work/a" "$work/b"; then pass "deterministic output";
else fail "deterministic output"; fi

finish cli
