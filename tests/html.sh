#!/usr/bin/env bash
# The HTML page as a browser shows it: headless Chromium renders what `tcpsim run --html`
# writes, with no console message, the verdict in the rendered DOM, and a screenshot kept.
# Usage: tests/html.sh PATH_TO_TCPSIM SCENARIOS_DIR
# Artifacts (page, screenshot, Chromium logs) stay in ./html-artifacts: CTest runs this in the build dir.
set -uo pipefail
tcpsim=$1
scenarios=$2
out=$PWD/html-artifacts
mkdir -p "$out"
profiles=$(mktemp -d)
trap 'rm -rf "$profiles"' EXIT
passed=0 failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
finish() {
  echo "html: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  fail "chromium is not installed: tools/setup.sh installs it (Debian package chromium)"
  finish
fi

# browse LOG ARGS...: one bounded headless run with a fresh profile; its stderr goes to LOG.
browse() {
  local log=$1; shift
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$profiles")" --enable-logging=stderr --v=0 "$@" 2>"$log"
}

# Chromium logs every console level (error, warning, log) as INFO:CONSOLE; the page has no
# script, so any console line at all means something went wrong (a blocked or missing resource).
no_console() {  # no_console NAME LOG
  if grep -q ':CONSOLE' "$2"; then fail "$1: console messages:"; grep ':CONSOLE' "$2"; else pass "$1"; fi
}

page=$out/both.html
rm -f "$page" "$out/both-write-1500.png"
if timeout 60 "$tcpsim" run "$scenarios/both-write-1500.json" --html "$page" >"$out/run.txt" 2>&1 && [ -s "$page" ]; then
  pass "tcpsim run --html writes the page"
else
  fail "tcpsim run --html writes the page:"; cat "$out/run.txt"
  finish
fi

if browse "$out/dom.log" --dump-dom "file://$page" >"$out/dom.html"; then pass "chromium renders the page"
else fail "chromium renders the page (exit $?, see $out/dom.log)"; fi
no_console "no console message while rendering" "$out/dom.log"
for want in 'DEADLOCK since' 'write(1500): 1,000 B of 1,500 B in, 500 B left' 'deadlock onset' 'Wait-for cycle'; do
  if grep -qF -- "$want" "$out/dom.html"; then pass "rendered DOM has '$want'"
  else fail "rendered DOM lacks '$want'"; fi
done
svgs=$(grep -o '<svg' "$out/dom.html" | wc -l)
if [ "$svgs" -eq 2 ]; then pass "both SVGs are in the DOM"; else fail "both SVGs are in the DOM: found $svgs"; fi

shot=$out/both-write-1500.png
browse "$out/screenshot.log" --screenshot="$shot" --window-size=1200,2400 "file://$page" >/dev/null
no_console "no console message while taking the screenshot" "$out/screenshot.log"
size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
if [ "$(head -c 8 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$size" -gt 10240 ]; then
  pass "screenshot kept: $shot ($size bytes)"
else
  fail "screenshot: $shot is not a PNG over 10 kB ($size bytes, see $out/screenshot.log)"
fi

# A proxy: three hosts, two connections, and a thread off the cycle.
page=$out/proxy.html
own=$(cd "$(dirname "$0")" && pwd)/scenarios
if timeout 60 "$tcpsim" run "$own/views-proxy.json" --html "$page" >"$out/run.txt" 2>&1 && [ -s "$page" ]; then
  pass "views-proxy: tcpsim run --html writes the page"
else
  fail "views-proxy: tcpsim run --html writes the page:"; cat "$out/run.txt"
  finish
fi
if browse "$out/proxy-dom.log" --dump-dom "file://$page" >"$out/proxy-dom.html"; then pass "views-proxy: chromium renders the page"
else fail "views-proxy: chromium renders the page (exit $?, see $out/proxy-dom.log)"; fi
no_console "views-proxy: no console message while rendering" "$out/proxy-dom.log"
for want in 'Host client' 'Host proxy' 'Host server' 'socket to server' 'write(5000) to server' 'proxy.server.SendQ' \
            'client.main is blocked too'; do
  if grep -qF -- "$want" "$out/proxy-dom.html"; then pass "views-proxy: rendered DOM has '$want'"
  else fail "views-proxy: rendered DOM lacks '$want'"; fi
done
browse "$out/proxy-screenshot.log" --screenshot="$out/views-proxy.png" --window-size=1200,2400 "file://$page" >/dev/null
no_console "views-proxy: no console message while taking the screenshot" "$out/proxy-screenshot.log"
finish
