#!/usr/bin/env bash
# --pcap as Wireshark reads it: tshark's own TCP analysis must see the deadlock the
# simulator reports. Offline: tshark only reads files, and -n stops it resolving names.
# Usage: tests/pcap.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
# Scenarios with several connections, written for the views' tests.
own=$(cd "$(dirname "$0")" && pwd)/scenarios
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

result() {  # result NAME STATUS [DETAIL]: STATUS 0 passes
  if [ "$2" -eq 0 ]; then echo "PASS $1"; passed=$((passed + 1)); return; fi
  echo "FAIL $1${3:+: $3}"; failed=$((failed + 1))
}

# tshark on one capture, bounded in time; its complaints, minus the note about running
# as root, go to $work/ts.err.
ts() {  # ts FILE TSHARK_ARGS...
  local file=$1; shift
  timeout 60 tshark -n -r "$file" "$@" 2>"$work/ts.raw"
  local rc=$?
  grep -v '^Running as user' "$work/ts.raw" >"$work/ts.err"
  return "$rc"
}

# A filter must run cleanly and match no packet.
expect_none() {  # expect_none NAME FILE FILTER [TSHARK_ARGS...]
  local name=$1 file=$2 filter=$3; shift 3
  ts "$file" "$@" -Y "$filter" >"$work/matches"
  local rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$work/ts.err" ]; then result "$name" 1 "tshark: $(head -1 "$work/ts.err")"; return; fi
  result "$name" "$([ -s "$work/matches" ] && echo 1 || echo 0)" "$(head -3 "$work/matches" | tr '\n' ';')"
}

# tshark prints frame.time_epoch with 9 decimals for a nanosecond capture.
to_ns() {
  [[ $1 =~ ^[0-9]+\.[0-9]{9}$ ]] || { echo -1; return; }
  local digits=${1/./}
  echo $((10#$digits))
}

if ! command -v tshark >/dev/null; then
  echo "FAIL tshark is not installed (tools/setup.sh installs it)"
  echo "pcap: 0 passed, 1 failed"
  exit 1
fi

# Wireshark's words for sequence numbers that do not add up.
sequence_problems='tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.retransmission
  || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order
  || tcp.analysis.reused_ports'
checksums=(-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE)

for file in "$scenarios"/*.json "$own"/views-proxy.json "$own"/views-star.json; do
  case $file in *.schema.json) continue ;; esac
  name=$(basename "$file" .json)
  # Pipes and queues are not captured: a scenario with no connection has nothing to capture
  # (the views-pipes case below checks that --pcap refuses it).
  if ! grep -q '"link"' "$file"; then echo "SKIP $name: no TCP connection to capture"; continue; fi
  pcap="$work/$name.pcap"
  timeout 120 "$tcpsim" run "$file" --pcap "$pcap" --format json >"$work/$name.json" 2>"$work/err"
  result "$name: run --pcap" $? "$(head -1 "$work/err")"
  ts "$pcap" -T fields -e frame.number >"$work/frames"
  rc=$?
  [ "$rc" -eq 0 ] && [ ! -s "$work/ts.err" ] && [ "$(wc -l <"$work/frames")" -ge 3 ]
  result "$name: tshark reads the capture without complaint" $? "exit $rc, $(head -1 "$work/ts.err")"
  expect_none "$name: no malformed packet, no expert error" "$pcap" '_ws.malformed || _ws.expert.severity >= error'
  expect_none "$name: sequence and ack numbers add up" "$pcap" "$sequence_problems"
  # Status 1 is Good; 2 (Unverified) is what a packet captured without its payload gets.
  expect_none "$name: checksums verify" "$pcap" \
    'ip.checksum.status != 1 || tcp.checksum.status == 0 || (frame.cap_len == frame.len && tcp.checksum.status != 1)' \
    "${checksums[@]}"
  # A FIN takes a sequence number: the peer's next ACK must count it.
  first_fin=$(ts "$pcap" -Y 'tcp.flags.fin == 1' -T fields -e frame.number | head -1)
  if [ -n "$first_fin" ]; then
    ts "$pcap" -Y "tcp.analysis.acks_frame == $first_fin" -T fields -e frame.number >"$work/fin_acks"
    [ -s "$work/fin_acks" ]
    result "$name: the first FIN (frame $first_fin) is acknowledged" $?
  fi
  timeout 120 "$tcpsim" run "$file" --pcap "$work/again.pcap" >/dev/null 2>&1
  cmp -s "$pcap" "$work/again.pcap"
  result "$name: a second run writes the same bytes" $?
done

for name in both-write-1500 compress-2to1; do
  pcap="$work/$name.pcap"
  ts "$pcap" -Y tcp.analysis.zero_window -T fields -e ip.src >"$work/zero"
  senders=$(sort -u "$work/zero" | tr '\n' ' ')
  [ "$senders" = "10.0.0.1 10.0.0.2 " ]
  result "$name: zero windows in both directions" $? "from: $senders"
  ts "$pcap" -Y tcp.analysis.window_full -T fields -e frame.number >"$work/full"
  [ -s "$work/full" ]
  result "$name: a full window" $?

  onset_ns=$(grep -o '"time_ns": [0-9]*' "$work/$name.json" | head -1 | grep -o '[0-9]*$')
  ts "$pcap" -Y tcp.analysis.zero_window -T fields -e frame.time_epoch >"$work/t"
  first_zero_ns=$(to_ns "$(head -1 "$work/t")")
  [ -n "$onset_ns" ] && [ "$first_zero_ns" -ge 0 ] && [ "$first_zero_ns" -le "$onset_ns" ]
  result "$name: the first zero window is not after the deadlock onset" $? "$first_zero_ns ns vs onset ${onset_ns:-?} ns"
  ts "$pcap" -Y 'tcp.len > 0' -T fields -e frame.time_epoch >"$work/t"
  last_data_ns=$(to_ns "$(tail -1 "$work/t")")
  [ -n "$onset_ns" ] && [ "$last_data_ns" -ge 0 ] && [ "$last_data_ns" -le "$onset_ns" ]
  result "$name: the last data segment is at or before the onset" $? "$last_data_ns ns vs onset ${onset_ns:-?} ns"
done

# A reader that wakes after 5 s: the writer's persist timer probes the zero window.
# Linux's probe (no payload, one below snd_nxt) is what Wireshark 4.0 calls a keep-alive;
# a later Wireshark may call it a zero-window probe, so either name passes.
pcap="$work/probe.pcap"
timeout 120 "$tcpsim" run "$scenarios/rule-demo.json" --set endpoints.B.threads.main.0.sleep=5s --pcap "$pcap" \
  >/dev/null 2>"$work/err"
ts "$pcap" -Y 'tcp.analysis.keep_alive || tcp.analysis.zero_window_probe' -T fields -e ip.src -e tcp.len >"$work/probes"
[ -s "$work/probes" ] && [ "$(sort -u "$work/probes" | tr '\t\n' ' ')" = "10.0.0.1 0 " ]
result "rule-demo, reader asleep 5 s: zero-window probes from the writer, no payload" $? \
  "$(sort -u "$work/probes" | tr '\t\n' ' ')$(head -1 "$work/err")"

# A proxy: one TCP stream per connection, each host with its own address and each connection
# with its own ports, and its own handshake.
pcap="$work/views-proxy.pcap"
ts "$pcap" -q -z conv,tcp | grep '<->' | awk '{print $1, $3}' >"$work/conv"
[ "$(tr '\n' ';' <"$work/conv")" = "10.0.0.1:40000 10.0.0.2:50000;10.0.0.2:40001 10.0.0.3:50001;" ]
result "views-proxy: two TCP conversations, client-proxy and proxy-server" $? "$(tr '\n' ';' <"$work/conv")"
ts "$pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.stream >"$work/syns"
[ "$(tr '\n' ' ' <"$work/syns")" = "0 1 " ]
result "views-proxy: a handshake per connection" $? "SYNs in streams: $(tr '\n' ' ' <"$work/syns")"
# tcpsim: proxy.server and server.proxy both offer a zero window; client and proxy never do.
ts "$pcap" -Y tcp.analysis.zero_window -T fields -e ip.src -e tcp.srcport >"$work/zero"
zero=$(sort -u "$work/zero" | tr '\t\n' ': ')
[ "$zero" = "10.0.0.2:40001 10.0.0.3:50001 " ]
result "views-proxy: zero windows from proxy and server on their connection only" $? "from: $zero"
ts "$pcap" -Y tcp.analysis.window_full -T fields -e tcp.stream >"$work/full"
[ "$(sort -u "$work/full" | tr '\n' ' ')" = "0 1 " ]
result "views-proxy: full windows on both connections" $? "streams: $(sort -u "$work/full" | tr '\n' ' ')"

# Pipes put nothing on a wire: a scenario with no connection has nothing to capture.
timeout 60 "$tcpsim" run "$own"/views-pipes.json --pcap "$work/pipes.pcap" >/dev/null 2>"$work/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q 'no TCP connection' "$work/err"
result "views-pipes: --pcap says there is nothing to capture, exit 2" $? "exit $rc, $(head -1 "$work/err")"

echo "pcap: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
