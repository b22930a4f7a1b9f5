#!/usr/bin/env bash
# The HTML page as a browser shows it: headless Chromium renders what `tcpsim run --html`
# writes, with no console message, the verdict in the rendered DOM, and a screenshot kept; and,
# measured in the browser with its real fonts, no line of a figure wider than its host's box and
# no page wider than a phone's or a projector's screen.
# Usage: tests/html.sh PATH_TO_TCPSIM SCENARIOS_DIR
# Artifacts (pages, screenshots, Chromium logs) stay in ./html-artifacts: CTest runs this in the build dir.
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"
out=$PWD/html-artifacts
mkdir -p "$out"
own=$(cd "$(dirname "$0")" && pwd)/scenarios

chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  fail "chromium is not installed: tools/setup.sh installs it (Debian package chromium)"
  finish html
fi

# browse LOG ARGS...: one bounded headless run with a fresh profile; its stderr goes to LOG.
browse() {
  local log=$1; shift
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$(mktemp -d -p "$work")" --enable-logging=stderr --v=0 "$@" 2>"$log"
}

# Chromium logs every console level (error, warning, log) as INFO:CONSOLE; the page has no
# script, so any console line at all means something went wrong (a blocked or missing resource).
no_console() {  # no_console NAME LOG
  if grep -q ':CONSOLE' "$2"; then fail "$1: console messages:"; grep ':CONSOLE' "$2"; else pass "$1"; fi
}

page() {  # page NAME SCENARIO [tcpsim options...]: writes $out/NAME.html
  local name=$1 file=$2; shift 2
  rm -f "$out/$name.html"
  if timeout 60 "$tcpsim" run "$file" --html "$out/$name.html" "$@" >"$out/run.txt" 2>&1 && [ -s "$out/$name.html" ]; then
    pass "$name: tcpsim run --html writes the page"
  else
    fail "$name: tcpsim run --html writes the page:"; cat "$out/run.txt"
    finish html
  fi
}

rendered_has() {  # rendered_has NAME DOM TEXT...
  local name=$1 dom=$2; shift 2
  for want in "$@"; do
    if grep -qF -- "$want" "$dom"; then pass "$name: rendered DOM has '$want'"; else fail "$name: rendered DOM lacks '$want'"; fi
  done
}

# The measurement, run in a copy of the page (the page itself has no script): every <text> of
# the figure that starts inside a host's box (rx=8) ends inside it, every <text> of either
# picture lies inside its picture, and the page is no wider than the window. It writes what it
# found into <pre id="layout">, which --dump-dom prints.
measure_js='<script>
// Headless Chromium keeps its window at least 500 px wide: a narrower one is the root element
// made that narrow, its width taken from the address (#390).
const wanted = Number(location.hash.slice(1)) || window.innerWidth;
if (wanted < window.innerWidth) document.documentElement.style.width = wanted + "px";
const problems = [];
for (const svg of document.querySelectorAll("svg")) {
  const picture = svg.getBoundingClientRect();
  const hosts = [...svg.querySelectorAll("rect[rx=\"8\"]")].map(r => r.getBoundingClientRect());
  for (const t of svg.querySelectorAll("text")) {
    const b = t.getBoundingClientRect(), cx = (b.left + b.right) / 2, cy = (b.top + b.bottom) / 2;
    const name = JSON.stringify(t.firstChild ? t.firstChild.textContent : "");
    if (b.left < picture.left - 0.5 || b.right > picture.right + 0.5 || b.top < picture.top - 0.5 || b.bottom > picture.bottom + 0.5)
      problems.push("outside its picture: " + name);
    const host = hosts.find(h => cx >= h.left && cx <= h.right && cy >= h.top && cy <= h.bottom);
    if (host && (b.left < host.left || b.right > host.right)) problems.push("wider than its host box: " + name);
  }
}
// The right edge of every box, and of the page text outside the pictures, which can run out of its box.
let wide = Math.max(...[...document.body.querySelectorAll("*")].map(e => e.getBoundingClientRect().right));
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walk.nextNode(); node; node = walk.nextNode()) {
  if (node.parentElement.closest("svg")) continue;
  const range = document.createRange();
  range.selectNodeContents(node);
  for (const r of range.getClientRects()) wide = Math.max(wide, r.right);
}
if (wide > wanted + 0.5) problems.push("page " + Math.round(wide) + " px wide in a " + wanted + " px window");
const pre = document.createElement("pre");
pre.id = "layout";
pre.textContent = problems.length ? problems.join("\n") : "layout fine";
document.body.append(pre);
</script>'
layout() {  # layout NAME WIDTH HEIGHT: measures $out/NAME.html in a window of that size
  local name=$1 width=$2 height=$3 copy=$out/$1.measured.html
  { sed '/^<\/body>$/,$d' "$out/$name.html"; printf '%s\n' "$measure_js"; sed -n '/^<\/body>$/,$p' "$out/$name.html"; } >"$copy"
  browse "$out/$name-layout.log" --virtual-time-budget=2000 --window-size="$width,$height" --dump-dom "file://$copy#$width" \
    >"$out/$name-layout.html"
  local found
  found=$(sed -n '/<pre id="layout">/,/<\/pre>/p' "$out/$name-layout.html" | sed 's/<[^>]*>//g')
  if [ "$found" = "layout fine" ]; then pass "$name at ${width}x$height: every line inside its box, no sideways scrolling"
  else fail "$name at ${width}x$height: ${found:-no measurement (see $out/$name-layout.log)}"; fi
}

screenshot() {  # screenshot NAME WIDTH HEIGHT
  local shot=$out/$1-$2x$3.png
  rm -f "$shot"
  browse "$out/$1-screenshot.log" --screenshot="$shot" --window-size="$2,$3" "file://$out/$1.html" >/dev/null
  no_console "$1: no console message while taking the screenshot" "$out/$1-screenshot.log"
  local size
  size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
  if [ "$(head -c 8 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$size" -gt 10240 ]; then
    pass "$1: screenshot kept: $shot ($size bytes)"
  else
    fail "$1: screenshot: $shot is not a PNG over 10 kB ($size bytes, see $out/$1-screenshot.log)"
  fi
}

page both "$scenarios/both-write-1500.json"
if browse "$out/dom.log" --dump-dom "file://$out/both.html" >"$out/dom.html"; then pass "chromium renders the page"
else fail "chromium renders the page (exit $?, see $out/dom.log)"; fi
no_console "no console message while rendering" "$out/dom.log"
rendered_has both "$out/dom.html" 'DEADLOCK since' '1,000 B of 1,500 B in, 500 B left' 'deadlock onset' 'Wait-for cycle' \
  'A.main: write(1500) blocks' 'data-time-map=' '<span class="t">2.432 ms</span>'
svgs=$(grep -o '<svg' "$out/dom.html" | wc -l)
if [ "$svgs" -eq 2 ]; then pass "both SVGs are in the DOM"; else fail "both SVGs are in the DOM: found $svgs"; fi
screenshot both 1200 2400

# A proxy: three hosts, two connections, and a thread off the cycle.
page views-proxy "$own/views-proxy.json"
if browse "$out/proxy-dom.log" --dump-dom "file://$out/views-proxy.html" >"$out/proxy-dom.html"; then
  pass "views-proxy: chromium renders the page"
else
  fail "views-proxy: chromium renders the page (exit $?, see $out/proxy-dom.log)"
fi
no_console "views-proxy: no console message while rendering" "$out/proxy-dom.log"
rendered_has views-proxy "$out/proxy-dom.html" 'Host client' 'Host proxy' 'Host server' 'socket to server' \
  'write(5000) to server' 'proxy.server.SendQ' 'client.main is blocked too'
screenshot views-proxy 1200 2400

# Long numbers (1 GiB), a linux SendQ full below its payload, pipes and a pause of a second: at a
# projector's size and a phone's.
page rule-demo "$scenarios/rule-demo.json"
page erle "$scenarios/erle-uppercase-1gib.json"
page pipes "$scenarios/subprocess-pipes.json"
page linux-both "$scenarios/both-write-1500.json" --set model=linux --set endpoints.A.sqs=64KiB --set endpoints.B.sqs=64KiB \
  --set endpoints.A.rqs=64KiB --set endpoints.B.rqs=64KiB --set endpoints.A.threads.main.0.write=1000000 \
  --set endpoints.B.threads.main.0.write=1000000
for name in both views-proxy rule-demo erle pipes linux-both; do
  layout "$name" 1920 1080
  layout "$name" 390 844
done
for name in rule-demo erle linux-both; do
  screenshot "$name" 1920 1080
  screenshot "$name" 390 844
done
finish html
