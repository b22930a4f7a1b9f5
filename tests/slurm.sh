#!/usr/bin/env bash
# The Slurm recipe of docs/commands.md (tools/sweep_slurm.sh), run as a job array on a one-node
# Slurm that this script starts on loopback (munged, slurmctld, slurmd, with a minimal config in
# its scratch folder) and stops again. Where that cannot start here, it says why on a SKIP line
# and exits 77, which CTest reports as skipped. Bounded: about a minute at most.
# Usage: tests/slurm.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"
tools="$(dirname "$0")/../tools"
# Only the cluster this script starts: no configuration or sbatch defaults from the caller's.
unset $(compgen -e | grep -E '^(SLURM_|SBATCH_)')

missing=""
for command in sbatch sinfo scancel slurmctld slurmd munged; do
  command -v "$command" >/dev/null || missing+=" $command"
done
if [ -n "$missing" ]; then
  skip "Slurm job array: not installed:$missing (Debian packages slurmctld slurmd slurm-client munge; TCPSIM_TEST_TOOLS=1 tools/setup.sh)"
  exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
  skip "Slurm job array: slurmd must run as root to start jobs, and this test runs as $(id -un)"
  exit 77
fi

cluster="$work/slurm"
mkdir -p "$cluster/state" "$cluster/spool"
pids=()
stop_cluster() {
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --full --name=tcpsim-sweep 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -S "$cluster/munge.sock" ] && munged --stop --socket="$cluster/munge.sock" >/dev/null 2>&1
  rm -rf "$work"
}
trap stop_cluster EXIT
give_up() {  # give_up WHY LOG: skip, naming the reason and the log's last words
  skip "Slurm job array: $1: $(tail -n 1 "$2" 2>/dev/null)"
  exit 77
}

free_port() {  # a TCP port nothing listens on, in the range no daemon claims by default
  local port
  for _ in $(seq 50); do
    port=$(shuf -i 20000-39999 -n 1)
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}

# munge: a fresh key, a private socket.
head -c 1024 /dev/urandom >"$cluster/munge.key"
chmod 400 "$cluster/munge.key"
munged --key-file="$cluster/munge.key" --socket="$cluster/munge.sock" --pid-file="$cluster/munged.pid" \
  --log-file="$cluster/munged.log" --seed-file="$cluster/munged.seed" --force 2>>"$cluster/munged.log" ||
  give_up "munged did not start" "$cluster/munged.log"

cat >"$cluster/slurm.conf" <<EOF
ClusterName=tcpsimtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$cluster/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/slurmctld.pid
SlurmdPidFile=$cluster/slurmd.pid
SlurmctldLogFile=$cluster/slurmctld.log
SlurmdLogFile=$cluster/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=tcpsim Nodes=localhost Default=YES MaxTime=10 State=UP
EOF
export SLURM_CONF="$cluster/slurm.conf"
slurmctld -D -i >>"$cluster/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -N localhost >>"$cluster/slurmd.log" 2>&1 &
pids+=($!)
for _ in $(seq 40); do  # up to 20 s for the node to report in
  [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] || give_up "the node did not come up" "$cluster/slurmd.log"

compress="$scenarios/compress-2to1.json"
vary=(--vary endpoints.client.sqs=200:1400:100 --vary endpoints.server.rqs=200:1400:100)
"$tcpsim" sweep "$compress" "${vary[@]}" --out "$work/one.csv" 2>/dev/null
if timeout 40 "$tools/sweep_slurm.sh" 3 "$work/array.csv" "$tcpsim" sweep "$compress" "${vary[@]}" --jobs 1 \
     >"$work/array.out" 2>&1; then
  same_files "tools/sweep_slurm.sh (a 3-task Slurm job array) = one run" "$work/one.csv" "$work/array.csv"
else
  fail "tools/sweep_slurm.sh failed or took over 40 s:"; cat "$work/array.out"
fi
finish slurm
