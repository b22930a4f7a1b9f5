#!/usr/bin/env bash
# A sweep split into SHARDS shards run as one Slurm job array, then merged into OUT: byte for
# byte the file one unsharded run writes (tests/slurm.sh checks it on a one-node Slurm).
# Usage: tools/sweep_slurm.sh SHARDS OUT TCPSIM sweep FILE --vary ... [sweep options]
#   OUT ends in .csv or .jsonl; its folder, the scenario and TCPSIM must be visible to every
#   node at the same path (a shared file system). sbatch takes its other options from the
#   environment as usual (SBATCH_PARTITION, SBATCH_TIMELIMIT, ...). Waits for the array.
set -euo pipefail
if [ $# -lt 4 ] || [ "$4" != sweep ]; then
  echo "usage: $0 SHARDS OUT TCPSIM sweep FILE --vary ... [sweep options]" >&2
  exit 2
fi
shards=$1 out=$2
shift 2
shard_dir=$(mktemp -d "$(dirname "$out")/.tcpsim-shards.XXXXXX")
trap 'rm -rf "$shard_dir"' EXIT
# Each task runs its own slice; %q keeps every argument whole through the job's shell.
task=$(printf '%q ' "$@")
task+="--shard \"\$SLURM_ARRAY_TASK_ID/$shards\" --out $(printf '%q' "$shard_dir")/shard-\$SLURM_ARRAY_TASK_ID.${out##*.}"
if ! sbatch --wait --quiet --array="1-$shards" --job-name=tcpsim-sweep --output="$shard_dir/slurm-%a.log" --wrap "$task"; then
  cat "$shard_dir"/slurm-*.log >&2 2>/dev/null || true  # the tasks' own words, before they are removed
  exit 1
fi
"$1" merge "$out" "$shard_dir"/shard-*
