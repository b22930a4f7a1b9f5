#!/usr/bin/env bash
# The command line's own usage: --version (and the revision script behind it) and the answer
# to a mistyped command.
# Usage: tests/cli_usage.sh PATH_TO_TCPSIM SCENARIOS_DIR
set -uo pipefail
tcpsim=$1
scenarios=$2
source "$(dirname "$0")/lib.sh"
top=$(cd "$scenarios/.." && pwd)

# --- --version ---
expect "--version says the version" 0 '^tcpsim 0\.9\.0( \(git [0-9a-f]{4,}(-dirty)?\))?$' -- "$tcpsim" --version
# The binary may be older than the last commit (ctest does not rebuild), so its hash need only
# name a commit of this checkout; the scratch repository below checks the exact hash and -dirty.
built=$("$tcpsim" --version | sed -n 's/^tcpsim 0\.9\.0 (git \([0-9a-f]*\)\(-dirty\)\?)$/\1/p')
if ! git -C "$top" rev-parse --show-toplevel >/dev/null 2>&1; then
  skip "--version names a commit of this checkout: the sources are not a git checkout"
elif [ -n "$built" ] && git -C "$top" cat-file -e "$built^{commit}" 2>/dev/null; then
  pass "--version names a commit of this checkout ($built)"
else
  fail "--version names no commit of this checkout: $("$tcpsim" --version)"
fi

revision() {  # revision SOURCE_DIR OUTPUT: runs the build's revision step
  cmake -DSOURCE_DIR="$1" -DVERSION=0.9.0 -DOUTPUT="$2" -P "$top/cmake/git_revision.cmake"
}
mkdir -p "$work/tarball"
revision "$work/tarball" "$work/tarball.cpp"
if grep -q 'return "0.9.0";' "$work/tarball.cpp"; then
  pass "outside a git checkout the version is the release alone"
else
  fail "outside a git checkout: $(grep return "$work/tarball.cpp")"
fi
if command -v git >/dev/null; then
  repo="$work/repo"
  git init -q "$repo" && echo one >"$repo/file" && git -C "$repo" add file &&
    git -C "$repo" -c user.name=t -c user.email=t@t commit -q -m one
  hash=$(git -C "$repo" rev-parse --short HEAD)
  revision "$repo" "$work/repo.cpp"
  if grep -q "return \"0.9.0 (git $hash)\";" "$work/repo.cpp"; then pass "a clean checkout gives its short hash"; else fail "clean checkout: $(grep return "$work/repo.cpp")"; fi
  # The file is rewritten only when the revision changes: a build recompiles nothing then.
  touch -d '2000-01-01' "$work/repo.cpp"
  revision "$repo" "$work/repo.cpp"
  if [ "$(stat -c %Y "$work/repo.cpp")" = "$(date -d 2000-01-01 +%s)" ]; then
    pass "an unchanged revision leaves the generated file alone"
  else
    fail "an unchanged revision rewrote the generated file (every build would relink)"
  fi
  echo two >"$repo/file"
  revision "$repo" "$work/repo.cpp"
  if grep -q "return \"0.9.0 (git $hash-dirty)\";" "$work/repo.cpp"; then pass "a changed tracked file adds -dirty"; else fail "changed file: $(grep return "$work/repo.cpp")"; fi
  mkdir -p "$repo/unpacked"
  revision "$repo/unpacked" "$work/inside.cpp"
  if grep -q 'return "0.9.0";' "$work/inside.cpp"; then
    pass "a source tree inside some other repository gets no hash"
  else
    fail "a source tree inside another repository: $(grep return "$work/inside.cpp")"
  fi
else
  skip "the revision script on a scratch repository: git is not installed"
fi

# --- a mistyped command ---
expect "a near miss names the command" 2 '^tcpsim: unknown command "runn": did you mean "run"\?$' -- "$tcpsim" runn scenarios/x.json
expect "a swap of two letters is a near miss" 2 '^tcpsim: unknown command "chekc": did you mean "check"\?$' -- "$tcpsim" chekc
expect "case does not matter" 2 'did you mean "validate"\?$' -- "$tcpsim" Validate
expect "a tie names both" 2 'unknown command "rul": did you mean "run" or "rule"\?$' -- "$tcpsim" rul
expect "a word far from all lists the commands" 2 \
  '^tcpsim: unknown command "frobnicate": the commands are run, check, validate, sweep, .*calibrate$' -- "$tcpsim" frobnicate
for command in $("$tcpsim" --help-all | awk '/^Subcommands:$/ { c = 1; next } c && /^[a-z]/ { print $1 }'); do
  typo="${command}${command: -1}"  # the last letter doubled
  expect "near miss $typo" 2 "^tcpsim: unknown command \"$typo\": did you mean \"$command\"\\?$" -- "$tcpsim" "$typo"
done
expect "a real command still runs" 0 '^both-write-1500: DEADLOCK' -- "$tcpsim" run "$scenarios/both-write-1500.json"
expect "usage names tcpsim, not the path it ran from" 0 '^Usage: tcpsim \[OPTIONS\] SUBCOMMAND' -- "$tcpsim" --help

finish cli_usage
