#!/usr/bin/env bash
# A sweep split into SHARDS shards that GNU parallel runs side by side, then merged into OUT:
# byte for byte the file one unsharded run writes (tests/cli_sweep.sh checks it).
# Usage: tools/sweep_parallel.sh [-j SLOTS] SHARDS OUT TCPSIM sweep FILE --vary ... [sweep options]
#   SLOTS: shards run at once (default: one per core). Give the sweep --jobs 1 so that the
#   shards, not each sweep's threads, share the cores. OUT ends in .csv or .jsonl.
# Options in $PARALLEL reach GNU parallel as usual.
set -euo pipefail
slots=$(nproc)
if [ "${1:-}" = -j ]; then slots=$2; shift 2; fi
if [ $# -lt 4 ] || [ "$4" != sweep ]; then
  echo "usage: $0 [-j SLOTS] SHARDS OUT TCPSIM sweep FILE --vary ... [sweep options]" >&2
  exit 2
fi
shards=$1 out=$2 tcpsim=$3
shift 3
shard_dir=$(mktemp -d "$(dirname "$out")/.tcpsim-shards.XXXXXX")
trap 'rm -rf "$shard_dir"' EXIT
# -q keeps each argument whole (paths with ">" or spaces); a failed shard stops the rest.
parallel -q --halt now,fail=1 -j "$slots" "$tcpsim" "$@" --shard "{}/$shards" --out "$shard_dir/shard-{}.${out##*.}" \
  ::: $(seq "$shards")
"$tcpsim" merge "$out" "$shard_dir"/shard-*
