#!/usr/bin/env bash
# tcpsim as a user installs it: `cmake --install` into a DESTDIR, and the .deb that
# `cpack -G DEB` builds: its contents and fields, unpacked with `dpkg -x`, and installed with apt
# into a fresh Debian 12 root made by mmdebstrap, where it runs an installed example.
# Usage: tests/install.sh BUILD_DIR   (a configured and built plain build)
# TCPSIM_CHROOT_TEST=0 skips the fresh-root install (it needs root, mmdebstrap and Debian's
# package mirror, and takes a few minutes the first time; the root is kept in BUILD_DIR).
set -uo pipefail
build=$(cd "$1" && pwd)
source "$(dirname "$0")/lib.sh"
example=share/tcpsim/scenarios/both-write-1500.json
deadlock='^both-write-1500: DEADLOCK: every unfinished thread is blocked for good'

# The installed completion script, sourced into a clean bash, completing WORDS...
complete_with() {  # complete_with COMPLETION_FILE TCPSIM_DIR WORDS...
  local file=$1 dir=$2; shift 2
  env -i PATH="$dir:/usr/bin:/bin" bash --norc --noprofile -c '
    source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tcpsim; printf "%s\n" "${COMPREPLY[@]}"' "$file" "$@"
}

check_installed_tree() {  # check_installed_tree NAME ROOT: ROOT holds an installed /usr
  local name=$1 root=$2
  expect "$name: the installed tcpsim runs the installed example" 0 "$deadlock" -- \
    "$root/usr/bin/tcpsim" run "$root/usr/$example"
  local shipped
  shipped=$(find "$(dirname "$0")/../scenarios" -maxdepth 1 -name '*.json' | wc -l)
  expect "$name: the installed examples all pass tcpsim check" 0 "check: $shipped passed, 0 failed" -- \
    "$root/usr/bin/tcpsim" check "$root/usr/share/tcpsim/scenarios"
  expect "$name: --version names 0.9.0" 0 '^tcpsim 0\.9\.0' -- "$root/usr/bin/tcpsim" --version
  local page="$root/usr/share/man/man1/tcpsim.1.gz"
  expect "$name: man -l shows the page, with every command's options" 0 '^ +--heatmap TEXT' -- \
    env MANWIDTH=100 man -l "$page"
  expect "$name: the man page has the run command and the exit status" 0 '^EXIT STATUS' -- \
    env MANWIDTH=100 man -l "$page"
  if env MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q '^ *tcpsim run:'; then
    pass "$name: the man page has a subsection per command"
  else
    fail "$name: the man page has no 'tcpsim run:' subsection"
  fi
  local completion="$root/usr/share/bash-completion/completions/tcpsim"
  if [ "$(complete_with "$completion" "$root/usr/bin" tcpsim ru | tr '\n' ' ')" = "run rule " ]; then
    pass "$name: bash completion completes commands"
  else
    fail "$name: bash completion of 'tcpsim ru' gave: $(complete_with "$completion" "$root/usr/bin" tcpsim ru | tr '\n' ' ')"
  fi
  local options
  options=$(complete_with "$completion" "$root/usr/bin" tcpsim sweep -- | tr '\n' ' ')
  if [[ " $options " == *" --vary "* && " $options " != *" --format "* ]]; then
    pass "$name: bash completion completes each command's own options"
  else
    fail "$name: bash completion of 'tcpsim sweep --' gave: $options"
  fi
  if [ "$(complete_with "$completion" "$root/usr/bin" tcpsim run --format "" | tr '\n' ' ')" = "text json " ]; then
    pass "$name: bash completion offers an option's choices"
  else
    fail "$name: bash completion of 'tcpsim run --format' did not offer text json"
  fi
  if (cd "$root/usr/share/tcpsim/scenarios" && complete_with "$completion" "$root/usr/bin" tcpsim run both-write-1) |
    grep -qx 'both-write-1500.json'; then
    pass "$name: bash completion completes file names"
  else
    fail "$name: bash completion did not complete a scenario file name"
  fi
}

# --- cmake --install into a DESTDIR ---
DESTDIR="$work/destdir" cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
  { fail "cmake --install failed"; cat "$work/install.log"; }
check_installed_tree "cmake --install" "$work/destdir"

# --- cpack -G DEB ---
(cd "$build" && cpack -G DEB -B "$work/package") >"$work/cpack.log" 2>&1 || { fail "cpack -G DEB failed"; cat "$work/cpack.log"; }
deb=$(ls "$work"/package/tcpsim_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
  fail "cpack made no tcpsim_*.deb"; finish install
fi
expect "the package is version 0.9.0" 0 '^0\.9\.0$' -- dpkg-deb -f "$deb" Version
dpkg-deb -I "$deb" >"$work/info"
# Depends as dpkg-shlibdeps found them: the C++ runtime and libpcap, nothing header-only.
for library in libc6 libstdc\\+\\+6 libgcc-s1 libpcap0\\.8; do
  if grep -E "^ Depends: " "$work/info" | grep -qE "(^|[ ,])$library( |,|$)"; then
    pass "the package depends on $library"
  else
    fail "the package's Depends lacks $library: $(grep '^ Depends' "$work/info")"
  fi
done
if grep -E '^ Depends: ' "$work/info" | grep -qE 'nlohmann|cli11|eigen|doctest'; then
  fail "the package depends on a header-only build dependency: $(grep '^ Depends' "$work/info")"
else
  pass "the package depends on no header-only build dependency"
fi
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$work/contents"
for path in ./usr/bin/tcpsim ./usr/share/man/man1/tcpsim.1.gz ./usr/share/bash-completion/completions/tcpsim \
  ./usr/$example ./usr/share/tcpsim/scenarios/schema/scenario.schema.json ./usr/share/doc/tcpsim/README.md; do
  if grep -qx "$path" "$work/contents"; then pass "the package holds $path"; else fail "the package lacks $path"; fi
done
if grep -qE '^\./(usr/local|home|root|work|tmp)' "$work/contents"; then
  fail "the package holds files outside /usr: $(grep -E '^\./(usr/local|home|root|work|tmp)' "$work/contents" | head -3)"
else
  pass "every file of the package is under /usr"
fi

# --- dpkg -x: the files as the package lays them out ---
dpkg -x "$deb" "$work/unpacked"
check_installed_tree "dpkg -x" "$work/unpacked"

# --- apt install into a fresh Debian 12 root ---
chroot_install() {
  if [ "${TCPSIM_CHROOT_TEST:-1}" = 0 ]; then skip "install into a fresh Debian 12 root: TCPSIM_CHROOT_TEST=0"; return; fi
  if [ "$(id -u)" -ne 0 ]; then skip "install into a fresh Debian 12 root: needs root (chroot)"; return; fi
  if ! command -v mmdebstrap >/dev/null; then skip "install into a fresh Debian 12 root: mmdebstrap is not installed"; return; fi
  # The host's own Debian package sources; the root is made once per build directory.
  local sources
  sources=$(ls /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null | head -1)
  if [ -z "$sources" ]; then skip "install into a fresh Debian 12 root: the host has no Debian apt sources"; return; fi
  local base="$build/debian12-root.tar"
  if [ ! -f "$base" ]; then
    if ! timeout 600 mmdebstrap --variant=apt --format=tar --quiet bookworm "$base.partial" "$sources" </dev/null >"$work/mmdebstrap.log" 2>&1; then
      skip "install into a fresh Debian 12 root: mmdebstrap could not make one (no mirror?): $(tail -1 "$work/mmdebstrap.log")"
      rm -f "$base.partial"; return
    fi
    mv "$base.partial" "$base"
  fi
  local root="$work/root"
  mkdir -p "$root" && tar -xf "$base" -C "$root"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp "$deb" "$root/tmp/"
  local apt_log="$work/apt.log"
  if ! { chroot "$root" apt-get update -qq && chroot "$root" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")"; } </dev/null >"$apt_log" 2>&1; then
    fail "apt-get install of the .deb into a fresh Debian 12 root failed:"; tail -20 "$apt_log"; return
  fi
  pass "apt-get installs the .deb into a fresh Debian 12 root, with its dependencies"
  expect "fresh root: libpcap came in as a dependency" 0 '^ii +libpcap0\.8' -- chroot "$root" dpkg -l libpcap0.8
  expect "fresh root: tcpsim runs an installed example" 0 "$deadlock" -- \
    chroot "$root" tcpsim run "/usr/$example"
}
chroot_install

finish install
