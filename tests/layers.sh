#!/usr/bin/env bash
# The layers hold by construction. Each layer's include roots, as the build gives them, must
# reach the headers of the layers below it and of no other. Every header of a layer is
# preprocessed with that layer's roots and must go through; and for every pair of layers, a file
# including one header of the second is preprocessed with the first layer's roots: it must stop
# at "No such file" exactly where the order forbids the include, and go through elsewhere.
# Usage: tests/layers.sh CXX SIM_DIR LAYER=ROOT[:ROOT...]... (CMake passes each layer's roots)
set -uo pipefail
cxx=$1
sim=$2
shift 2
source "$(dirname "$0")/lib.sh"

# What each layer may include besides itself: the order docs/architecture.md ("Layers") gives.
layers=(text core scenario measure analysis views web cli)
declare -A below=(
  [text]=""
  [core]="text"
  [scenario]="text core"
  [measure]="text core"
  [analysis]="text core scenario measure"
  [views]="text core scenario measure analysis"
  [web]="text core scenario measure analysis views"
  [cli]="text core scenario measure analysis views"
)
declare -A roots=()
for arg in "$@"; do roots[${arg%%=*}]=${arg#*=}; done

reaches() {  # reaches HEADER FLAGS...: preprocesses a file including HEADER; stderr in $work/err
  local header=$1; shift
  printf '#include "%s"\n' "$header" >"$work/probe.cpp"
  "$cxx" -std=c++20 -E -o /dev/null "$@" "$work/probe.cpp" 2>"$work/err"
}

for layer in "${layers[@]}"; do
  if [ -z "${roots[$layer]:-}" ]; then fail "$layer: no include roots given"; continue; fi
  flags=()
  IFS=: read -ra dirs <<<"${roots[$layer]}"
  for dir in "${dirs[@]}"; do flags+=(-I "$dir"); done
  # Every header of the layer, with all it includes, within the layer's roots: a header that
  # includes upwards fails here even when only an upper layer's code includes it.
  own=0
  for header in $(cd "$sim" && find "$layer" -maxdepth 1 -name '*.hpp' | sort); do
    own=$((own + 1))
    if ! reaches "$header" "${flags[@]}"; then fail "$layer cannot include its own $header:"; head -c 1000 "$work/err"; fi
  done
  [ "$own" -gt 0 ] && pass "$layer: its $own headers include only what its roots reach"
  [ "$own" -gt 0 ] || fail "$layer: no header in $sim/$layer"
  for other in "${layers[@]}"; do
    [ "$other" = "$layer" ] && continue
    header=$(cd "$sim" && find "$other" -maxdepth 1 -name '*.hpp' | sort | head -n 1)
    reaches "$header" "${flags[@]}"
    reached=$?
    if [[ " ${below[$layer]} " == *" $other "* ]]; then
      if [ "$reached" -eq 0 ]; then pass "$layer reaches $header"
      else fail "$layer cannot include $header, which the order allows:"; head -c 1000 "$work/err"; fi
    elif [ "$reached" -eq 0 ]; then
      fail "$layer reaches $header: an include running against the order would build"
    elif grep -qF "$header: No such file" "$work/err"; then
      pass "$layer does not find $header"
    else
      fail "$layer: probing $header failed for another reason:"; head -c 1000 "$work/err"
    fi
  done
done

# Third-party headers sit in /usr/include, where every target finds them: the build cannot keep
# them out, so this does. Text and core hold no JSON, command line, algebra or capture library.
if grep -rnE '#include <(nlohmann|CLI|Eigen|pcap)/' "$sim/text" "$sim/core" >"$work/third"; then
  fail "text and core include a third-party library:"; cat "$work/third"
else
  pass "text and core include no third-party library"
fi

finish layers
