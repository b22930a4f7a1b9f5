# Shared by the command-line test scripts: a scratch folder, counters and the checks.
# Source it after setting tcpsim and scenarios; end the script with `finish NAME`.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
skip() { echo "SKIP $1"; }

expect() {  # expect NAME WANT_EXIT PATTERN_ON_OUTPUT -- command...
  local name=$1 want=$2 pattern=$3; shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$name: exit $got, wanted $want"; head -c 2000 "$work/err"; return
  fi
  if ! grep -qE -- "$pattern" "$work/out" "$work/err"; then
    fail "$name: output lacks /$pattern/"; head -c 2000 "$work/out"; head -c 2000 "$work/err"; return
  fi
  if [ "$want" -eq 2 ] && [ "$(wc -l <"$work/err")" -ne 1 ]; then
    fail "$name: bad input must give exactly one line on stderr:"; head -c 2000 "$work/err"; return
  fi
  pass "$name"
}

same_files() {  # same_files NAME FILE_A FILE_B: byte for byte
  if cmp -s "$2" "$3"; then pass "$1"; else fail "$1: $2 and $3 differ"; fi
}

finish() {  # finish NAME: the summary line and the exit code
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
