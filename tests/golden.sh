#!/usr/bin/env bash
# Golden outputs: what tcpsim prints for the scenario library, for a fixed set of generated
# scenarios in both models (tests/golden/scenarios, written by tools/golden_scenarios.py) and for
# calibrate's tables on the shipped sessions, compared byte for byte with tests/golden/outputs.
# A change to a golden file belongs in a commit that says why the behaviour changed.
# Usage: tests/golden.sh PATH_TO_TCPSIM SCENARIOS_DIR [--record]
set -uo pipefail
tcpsim=$(realpath "$1")
scenarios=$2
mode=${3:-compare}
top=$(cd "$(dirname "$0")/.." && pwd)
golden=$top/tests/golden
source "$top/tests/lib.sh"

outputs=$work/outputs
mkdir -p "$outputs/library" "$outputs/generated" "$outputs/calibrate"
# A trace of a run this long keeps its first and last lines only (gzip -n: no name or time stamp).
keep_ends() { if [ "$(wc -l <"$1")" -gt 20000 ]; then { head -n 10000 "$1"; tail -n 10000 "$1"; }; else cat "$1"; fi; }

for file in "$scenarios"/*.json; do
  name=$(basename "$file" .json)
  out=$outputs/library/$name
  "$tcpsim" run "$file" --format json >"$out.report.json"
  "$tcpsim" run "$file" >"$out.report.txt"
  "$tcpsim" explain "$file" >"$out.explain.txt"
  "$tcpsim" run "$file" --set model=linux --format json >"$out.linux.report.json"
  "$tcpsim" run "$file" --trace "$work/trace.jsonl" >/dev/null
  keep_ends "$work/trace.jsonl" | gzip -n >"$out.trace.jsonl.gz"
done
for file in "$golden"/scenarios/*.json; do
  "$tcpsim" run "$file" --format json >"$outputs/generated/$(basename "$file" .json).report.json"
done
for net in loopback veth; do
  # From the work folder, so the line naming the profile written names no machine path.
  (cd "$work" && "$tcpsim" calibrate --from "$top"/sim/profiles/"$net"-*.data.json --out refit.json) >"$outputs/calibrate/$net.txt"
  cp "$work/refit.json" "$outputs/calibrate/$net.profile.json"
done

if [ "$mode" = --record ]; then
  rm -rf "$golden/outputs"
  cp -r "$outputs" "$golden/outputs"
  echo "golden: recorded $(find "$golden/outputs" -type f | wc -l) files in tests/golden/outputs"
  exit 0
fi

if [ ! -d "$golden/outputs" ]; then
  fail "no golden outputs: record them with tests/golden.sh BINARY SCENARIOS --record"
  finish golden
fi
# Every file on either side, so that a missing or an extra output fails too.
while read -r rel; do
  a=$golden/outputs/$rel b=$outputs/$rel
  if [ ! -f "$a" ] || [ ! -f "$b" ]; then fail "$rel: only on one side"; continue; fi
  if cmp -s "$a" "$b"; then pass "$rel"; continue; fi
  fail "$rel differs from the golden output:"
  if [[ $rel == *.gz ]]; then diff <(zcat "$a") <(zcat "$b") | head -n 10; else diff "$a" "$b" | head -n 10; fi
done < <( (cd "$golden/outputs" && find . -type f; cd "$outputs" && find . -type f) | sort -u)
finish golden
