#!/usr/bin/env bash
# The teaching commands (explain, rule, the figure, run's report and --trace) as a reader meets them.
# Usage: tests/cli_teach.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"

# lacks NAME PATTERN -- command...: the command exits 0 and its output never matches PATTERN.
lacks() {
  local name=$1 pattern=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne 0 ]; then fail "$name: exit $got"; cat "$work/err"; return; fi
  if grep -qE -- "$pattern" "$work/out" "$work/err"; then
    fail "$name: output has /$pattern/:"; grep -hE -- "$pattern" "$work/out" "$work/err" | head -3; return
  fi
  pass "$name"
}

both="$scenarios/both-write-1500.json"
compress="$scenarios/compress-2to1.json"
demo="$scenarios/rule-demo.json"
gib="$scenarios/erle-uppercase-1gib.json"

# ---- explain: what each thread holds, with the numbers of the lesson
expect "explain names A's blocked write" 0 'A.main blocks in write\(1500\): 1,000 of 1,500 bytes handed to TCP' -- "$tcpsim" explain "$both"
expect "explain names B's blocked write" 0 'B.main blocks in write\(1500\): 1,000 of 1,500 bytes handed to TCP' -- "$tcpsim" explain "$both"
expect "explain ends with the cycle" 0 'the cycle is closed' -- "$tcpsim" explain "$both"
expect "explain applies the rule" 0 'returns only after B has read n-\(SQS\+RQS\) = 500 bytes' -- "$tcpsim" explain "$both"
expect "explain: a full RecvQ closes the window" 0 'acknowledges and advertises a ZERO window: its RecvQ is full' -- \
  "$tcpsim" explain "$both"
expect "explain: the ACK that empties A's SendQ is told" 0 \
  'A receives the ACK for 500 bytes: 500 bytes leave its SendQ, now empty, where A.main waits to write' -- "$tcpsim" explain "$both"
expect "explain: an ACK that frees room for a waiting writer is told" 0 \
  '1.003 s  A receives the ACK for 1,000 bytes: 500 bytes leave its SendQ, now empty, where A.main waits to write' -- \
  "$tcpsim" explain "$demo"
expect "explain: a read_exact that blocks again says what it has" 0 \
  'server.main blocks in read_exact\(1000\) with 500 of 1,000 bytes read, 500 to go' -- "$tcpsim" explain "$compress"
expect "explain: rule-demo says how much B has read" 0 'B.main blocks in read_to_end\(\) with 500 bytes read so far' -- \
  "$tcpsim" explain "$demo"
lacks "explain: a read that holds bytes never says 'nothing to read yet'" 'read_to_end\(\): nothing to read yet' -- \
  "$tcpsim" explain "$demo"
expect "explain: a sleep has its duration" 0 'B.main calls sleep\(1s\)' -- "$tcpsim" explain "$demo"
expect "explain: a wake-up has its duration" 0 'B.main wakes up after 1 s' -- "$tcpsim" explain "$demo"
lacks "explain: summaries are words, not internal names" '_sent|_received|op_[a-z]+|sleep_done| x |1 more steps' -- \
  "$tcpsim" explain "$gib"
expect "explain: one skipped step is 'step'" 0 '\.\.\. 1 more step of the same pattern \(1 wait in read_exact by server.main\)' -- \
  "$tcpsim" explain "$compress"
lacks "explain: calls are never digit-grouped" '(write|read|read_exact|send)\([0-9]+,' -- "$tcpsim" explain "$gib"

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
  'ZERO window: its RecvQ is full: [0-9,]+ unread plus [0-9,]+ bytes already read that a partly read skb still holds' -- \
  "$tcpsim" explain "$work/held.json"
expect "explain: a zero window over free space under one segment names silly-window avoidance" 0 \
  'ZERO window: its RecvQ holds [0-9,]+ of [0-9,]+ bytes.*less than one segment is free \(receiver silly-window avoidance\)' -- \
  "$tcpsim" explain "$gib" --set model=linux
lacks "explain, linux: the per-write rule is not applied to a write blocked for good" 'can return without a read' -- \
  "$tcpsim" explain "$gib" --set model=linux
expect "explain, linux: says what the run shows instead" 0 \
  'client.main: blocked in write\(16\) with 15 of 16 bytes in\. client has written [0-9,]+ bytes and server has read [0-9,]+, so [0-9,]+ bytes sit in client.SendQ, on the wire or in server.RecvQ: [0-9,]+ short of SQS\+RQS' -- \
  "$tcpsim" explain "$gib" --set model=linux
expect "explain, linux: the textbook rule does not hold" 0 'so the rule does not hold here' -- "$tcpsim" explain "$gib" --set model=linux
"$tcpsim" run "$gib" --set model=linux --html "$work/linux.html" >/dev/null 2>&1
if grep -q 'does not hold here' "$work/linux.html" && ! grep -q 'can return without a read' "$work/linux.html"; then
  pass "html, linux: the rule section says what the run shows"
else
  fail "html, linux: the rule section applies the per-write rule"
fi
expect "explain, textbook 1 GiB: the rule counts what was written before the write" 0 \
  'client.main: write\(16\) after client had written 1,049,168 bytes, .* it returns only after server has read \(1,049,168\+16\)-\(SQS\+RQS\) = 524,896 bytes in all; server has read 524,888, so 8 more' -- \
  "$tcpsim" explain "$gib"

# ---- run: the report, the cycle and the figure in sizes people read
expect "run: the report and the cycle name read bytes still held" 0 'RecvQ [0-9,]+/[0-9,]+ \+ [0-9,]+ read but held' -- \
  "$tcpsim" run "$work/held.json"
expect "run: the cycle says why the window is zero" 0 'plus [0-9,]+ bytes already read from an skb the kernel frees only once' -- \
  "$tcpsim" run "$work/held.json"
expect "run: a writer blocked with room left waits for a third" 0 \
  'B.SendQ \([0-9,]+ of [0-9,]+ bytes used; a blocked writer wakes only once a third of it is free\)' -- "$tcpsim" run "$work/held.json"
expect "json: recvq_held" 0 '"recvq_held": [0-9]+' -- "$tcpsim" run "$work/held.json" --format json
expect "run draws Figure 6-5" 0 'SendQ \[##########\] 500/500 B +\| -----> \| RecvQ \[##########\] 500/500 B' -- "$tcpsim" run "$both"
expect "run: totals in groups of three digits" 0 'client.main: blocked in write\(16\) at ops\[0\]\.do\[0\], 8 of 16 bytes done; wrote 1,049,176, read 0' -- \
  "$tcpsim" run "$gib"
expect "run: the cycle's words in groups of three digits" 0 'it waits for space in client.SendQ \(262,144 of 262,144 bytes used\)' -- \
  "$tcpsim" run "$gib"
expect "run: the figure in short binary units" 0 'SendQ \[##########\] 256/256 KiB +\| -----> \| RecvQ \[##########\] 256/256 KiB' -- \
  "$tcpsim" run "$gib"
expect "json keeps exact integers" 0 '"bytes_written": 1049176,' -- "$tcpsim" run "$gib" --format json

# ---- --at: a stop the user asked for is no limit
expect "run --at shows an earlier state, as a stop" 0 '^both-write-1500: STOPPED where asked, at 1 ms' -- "$tcpsim" run "$both" --at 1ms
lacks "run --at is not reported as a limit" 'LIMIT|limit' -- "$tcpsim" run "$both" --at 1ms
expect "run --at in JSON: outcome stopped" 0 '"outcome": "stopped"' -- "$tcpsim" run "$both" --at 1ms --format json
expect "run --at 0 stops at 0 ns" 0 '^both-write-1500: STOPPED where asked, at 0 ns \(0 events\)' -- "$tcpsim" run "$both" --at 0
expect "run --at past the end changes nothing" 0 '^both-write-1500: DEADLOCK' -- "$tcpsim" run "$both" --at 1s
expect "run --at with a sleeping thread gives the sleep's duration" 0 'B.main: sleeping in sleep\(1s\) at ops\[0\]' -- \
  "$tcpsim" run "$demo" --at 500ms
expect "run --at: the figure gives the sleep's duration" 0 'main: sleeping in sleep\(1s\)' -- "$tcpsim" run "$demo" --at 500ms
expect "run --at: JSON gives the sleep's duration" 0 '"duration_ns": 1000000000' -- "$tcpsim" run "$demo" --at 500ms --format json
expect "bad --at" 2 '^--at: must be a non-negative duration' -- "$tcpsim" run "$both" --at soon

# ---- --trace: the duration of sleeps, and a bounded file
"$tcpsim" run "$demo" --trace "$work/demo.jsonl" >/dev/null
if grep -q '"kind":"op_start","endpoint":"B","thread":"main","op":"sleep","duration_ns":1000000000' "$work/demo.jsonl" &&
   ! grep -q '"op":"sleep","requested"' "$work/demo.jsonl"; then
  pass "trace: a sleep carries its duration"
else
  fail "trace: a sleep lacks its duration"; grep '"sleep' "$work/demo.jsonl" | head -2
fi
"$tcpsim" run "$gib" >"$work/untraced.txt"
"$tcpsim" run "$gib" --trace "$work/cut.jsonl" --trace-limit 64KiB >"$work/traced.txt" 2>"$work/trace.err"
size=$(stat -c %s "$work/cut.jsonl")
if [ "$size" -le 65536 ] && tail -1 "$work/cut.jsonl" | grep -q '^{"t_ns":[0-9]*,"kind":"trace_cut","events_written":[0-9]*,"limit_bytes":65536,'; then
  pass "trace: cut at --trace-limit with a last line that says so ($size bytes)"
else
  fail "trace: --trace-limit 64KiB gave $size bytes ending with: $(tail -c 200 "$work/cut.jsonl")"
fi
if [ "$(wc -l <"$work/trace.err")" -eq 1 ] && grep -q 'reached --trace-limit 64KiB after [0-9,]* events' "$work/trace.err"; then
  pass "trace: stderr says once that the trace was cut"
else
  fail "trace: stderr after a cut:"; cat "$work/trace.err"
fi
same_files "trace: the run goes on to the same report after a cut" "$work/untraced.txt" "$work/traced.txt"
expect "trace: a limit below 4 KiB is refused" 2 '^--trace-limit: must be at least 4 KiB, got "1KiB"$' -- \
  "$tcpsim" run "$both" --trace "$work/t.jsonl" --trace-limit 1KiB

# ---- rule
expect "rule agrees with the simulation" 0 'both write 1,500 at once: deadlock, A stuck at 1,000 of 1,500 and B at 1,000 of 1,500: the simulation agrees' -- \
  "$tcpsim" rule --n 1500 --sqs 500 --rqs 500
expect "rule with n <= SQS+RQS" 0 'returns without B reading a byte' -- "$tcpsim" rule --n 900 --sqs 500 --rqs 500
expect "rule takes sizes with units" 0 'The rule, for write\(64KiB\) from A to B with A.s SendQ = 1,024 and B.s RecvQ = 2,048 bytes' -- \
  "$tcpsim" rule --n 64KiB --sqs 1KiB --rqs 2KiB --peer-sqs 1KiB --peer-rqs 2KiB
expect "rule: a bad size is one line" 2 '^--peer-rqs: must be a positive size: ' -- "$tcpsim" rule --n 1500 --sqs 500 --rqs 500 --peer-rqs lots
expect "rule: zero is no size for it" 2 '^--n: must be a positive size, got 0$' -- "$tcpsim" rule --n 0 --sqs 500 --rqs 500
expect "rule: more than 1 TiB is refused" 2 '^--sqs: must be at most 1 TiB' -- "$tcpsim" rule --n 1 --sqs 2TiB --rqs 500
expect "rule: too large to simulate, checked smaller and said so" 0 \
  'checks the same rule at smaller sizes, .*n = [0-9,]+, A.s SendQ 1, B.s RecvQ 1' -- "$tcpsim" rule --n 100000000 --sqs 1 --rqs 1
lacks "rule: no sentinel and no false mismatch where the run would hit its limit" '-1|MISMATCH' -- \
  "$tcpsim" rule --n 100000000 --sqs 1 --rqs 1
expect "rule: grouped figures" 0 'n-\(SQS\+RQS\) = 100,000,000-2 = 99,999,998 bytes' -- "$tcpsim" rule --n 100000000 --sqs 1 --rqs 1
# The peer must sleep until the write has filled SQS+RQS: one byte a round trip takes seconds here.
lacks "rule: the peer sleeps until the write is stuck (tiny SendQ)" 'MISMATCH' -- "$tcpsim" rule --n 100002 --sqs 1 --rqs 100000
lacks "rule: the peer sleeps until the write is stuck (large queues)" 'MISMATCH' -- "$tcpsim" rule --n 16000000 --sqs 4000000 --rqs 4000000

# ---- 1 GiB stays short
expect "explain stays short for 1 GiB" 0 'more steps of the same pattern' -- "$tcpsim" explain "$gib"
lines=$("$tcpsim" explain "$gib" | wc -l)
if [ "$lines" -lt 200 ]; then pass "explain of 1 GiB is $lines lines";
else fail "explain of 1 GiB is $lines lines"; fi
lines=$("$tcpsim" explain "$gib" --set model=linux | wc -l)
if [ "$lines" -lt 200 ]; then pass "explain of 1 GiB, linux, is $lines lines";
else fail "explain of 1 GiB, linux, is $lines lines"; fi

# ---- lecture: the page file (what it does in a browser: tests/web/lecture.js)
if "$tcpsim" lecture "$both" --out "$work/lec" >"$work/out" 2>"$work/err"; then
  page=$work/lec/both-write-1500.html
  if [ -s "$page" ]; then pass "lecture --out DIR writes DIR/NAME.html"; else fail "lecture --out DIR writes DIR/NAME.html"; fi
  if grep -qE '(src|href)="?(https?:)?//' "$page"; then fail "lecture: the page loads nothing from the network"
  else pass "lecture: the page loads nothing from the network"; fi
  if grep -q 'createTcpsimEngine' "$page" && grep -q 'data:application/octet-stream;base64' "$page"; then
    pass "lecture: the engine and its module are inside the page"
  else fail "lecture: the engine and its module are inside the page"; fi
  scripts=$(grep -o '</script>' "$page" | wc -l)
  if [ "$scripts" -eq 3 ]; then pass "lecture: three scripts, none closed early"; else fail "lecture: $scripts </script> tags, wanted 3"; fi
  # A scenario whose text holds "<!--<script>" or "</script>" cannot end the page's scenario element early or late.
  sed 's|"description": "|"description": "<!--<script> </script><b>x</b> |' "$both" >"$work/script.json"
  "$tcpsim" lecture "$work/script.json" --out "$work/script.html" >/dev/null 2>&1
  scripts=$(grep -o '</script>' "$work/script.html" | wc -l)
  if [ "$scripts" -eq 3 ]; then pass "lecture: a scenario's </script> stays inside its string"
  else fail "lecture: a scenario's </script> closed an element ($scripts closings)"; fi
  scenarios_json=$(sed -n 's|.*id="tcpsim-scenarios">\(.*\)</script>.*|\1|p' "$work/script.html")
  if [ -n "$scenarios_json" ] && [[ $scenarios_json != *"<"* ]]; then pass "lecture: no '<' inside the scenarios' JSON (no comment or script state)"
  else fail "lecture: the scenarios' JSON holds a '<' or is missing"; fi
  "$tcpsim" lecture "$both" --out "$work/a.html" >/dev/null && "$tcpsim" lecture "$both" --out "$work/b.html" >/dev/null
  "$tcpsim" lecture - --out "$work/stdin.html" <"$both" >/dev/null
  if grep -q 'both-write-1500' "$work/stdin.html" && grep -q '\\"sqs\\": *500' "$work/stdin.html"; then
    pass "lecture: a scenario from standard input is in the page"
  else fail "lecture: a scenario from standard input is in the page"; fi
  sed 's|"name": "both-write-1500"|"name": "../up/x y"|' "$both" >"$work/named.json"
  "$tcpsim" lecture "$work/named.json" --out "$work/named" >/dev/null
  if [ -f "$work/named/page..-up-x-y.html" ] && [ ! -e "$work/up" ]; then pass "lecture: a scenario's name cannot put the page outside --out"
  else fail "lecture: a scenario's name cannot put the page outside --out"; ls -R "$work" | head; fi
  "$tcpsim" lecture "$scenarios/compress-2to1.json" --out "$work/compress.html" >/dev/null
  files=$(grep -o '"file":"[a-z0-9-]*\.json"' "$work/compress.html" | tr '\n' ' ')
  if [ "$files" = '"file":"compress-2to1.json" "file":"compress-threads.json" "file":"compress-nonblocking.json" ' ]; then
    pass "lecture: a scenario's variants are in its page, in order"
  else fail "lecture: a scenario's variants are in its page, in order: $files"; fi
  "$tcpsim" lecture "$scenarios/compress-2to1.json" "$scenarios/compress-threads.json" --out "$work/twice.html" >/dev/null
  n=$(grep -o '"file":"compress-threads.json"' "$work/twice.html" | wc -l)
  if [ "$n" -eq 1 ]; then pass "lecture: a variant also named on the command line is in the page once"
  else fail "lecture: a variant also named on the command line is in the page $n times"; fi
  same_files "lecture: the same scenario gives the same page" "$work/a.html" "$work/b.html"
  # --set is for the files named: a path only the first file has leaves its variants alone.
  expect "lecture: --set does not reach the first file's variants" 0 '^wrote' -- \
    "$tcpsim" lecture "$scenarios/compress-2to1.json" --set endpoints.client.threads.main.0.write=20000 --out "$work/set.html"
  expect "lecture: a default name from the scenario" 0 '^wrote both-write-1500.html' -- \
    bash -c 'cd "$1" && "$2" lecture "$3"' _ "$work" "$(readlink -f "$tcpsim")" "$(readlink -f "$both")"
else
  if grep -q 'built without the lecture' "$work/err"; then skip "lecture: this tcpsim has no lecture engine (TCPSIM_LECTURE=OFF)"
  else fail "lecture --out DIR:"; cat "$work/err"; fi
fi
expect "lecture: bad input is one line" 2 'sqs' -- "$tcpsim" lecture "$both" --set endpoints.A.sqs=0
expect "lecture: a missing file is one line" 2 'nothing.json' -- "$tcpsim" lecture "$work/nothing.json"
sed 's|"model": "textbook",|"model": "textbook", "variants": ["gone.json"],|' "$both" >"$work/gone-variant.json"
expect "lecture: a missing variant is one line naming it" 2 'gone.json' -- "$tcpsim" lecture "$work/gone-variant.json"
# A profile file cannot be read in the page: refused at once, not a page that can never run.
cp "$(dirname "$scenarios")/sim/profiles/linux.json" "$work/profile.json"
sed 's|"model": "textbook",|"model": "linux", "profile": "profile.json",|' "$both" >"$work/with-profile.json"
expect "lecture: a scenario with a profile file is refused in one line" 2 '/profile: a lecture page runs the built-in' -- \
  "$tcpsim" lecture "$work/with-profile.json" --out "$work/profile.html"

finish cli_teach
