#!/usr/bin/env bash
# Writes a scenario with many threads on one socket, for measure's limits (issue 14):
#   readers: endpoint A has N threads each writing BYTES, endpoint B reads to the end;
#   both:    both endpoints have N threads each writing BYTES, and nobody reads.
# Usage: tools/many_threads.sh N [readers|both] [BYTES] > FILE.json
set -euo pipefail
n=${1:?usage: tools/many_threads.sh N [readers|both] [BYTES]}
shape=${2:-readers}
bytes=${3:-100}
case "$n" in '' | *[!0-9]*) echo "many_threads.sh: N: expected a positive integer, found '$n'" >&2; exit 2 ;; esac
case "$shape" in readers | both) ;; *) echo "many_threads.sh: expected readers or both, found '$shape'" >&2; exit 2 ;; esac
writers() {  # N threads w0..w(N-1), each writing $bytes
  local sep=""
  for ((i = 0; i < n; i++)); do printf '%s"w%d": [{"write": %d}]' "$sep" "$i" "$bytes"; sep=", "; done
}
if [ "$shape" = readers ]; then b_threads='"main": ["read_to_end"]'; else b_threads=$(writers); fi
cat <<JSON
{
  "name": "threads-$n-$shape",
  "description": "$n threads on one socket, each writing $bytes bytes; the peer $([ "$shape" = readers ] && echo "reads to the end" || echo "does the same, and nobody reads").",
  "model": "linux",
  "link": { "bandwidth": "10Gbps", "delay": "10us", "mss": 65483 },
  "endpoints": {
    "A": { "threads": { $(writers) } },
    "B": { "threads": { $b_threads } }
  }
}
JSON
