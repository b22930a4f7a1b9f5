#!/usr/bin/env bash
# The text help2man makes tcpsim's man page from: `tcpsim --help-all` with each command as a
# subsection of a COMMANDS section (help2man's layout rules), or `tcpsim --version`.
# Usage (by CMake): help2man "tools/man-help.sh BUILD/tcpsim" (help2man adds --help or --version)
set -euo pipefail
tcpsim=$1
if [ "$2" = --version ]; then exec "$tcpsim" --version; fi
"$tcpsim" --help-all | awk '
  /^Subcommands:$/ { print "*Commands*"; commands = 1; next }
  commands && /^[a-z]/ {                        # a command name: a subsection, its summary a paragraph
    print "tcpsim " $0 ":"; getline; print; print ""; next
  }
  /^  (Positionals|Options):$/ { next }         # its options follow as a list anyway
  commands && /^    / { sub(/^  /, "") }
  { print }'
