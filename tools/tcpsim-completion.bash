# bash completion for tcpsim: commands, each command's options, an option's choices, and file
# names. It reads `tcpsim --help-all` once per shell, so it always matches the installed binary.
# Installed as share/bash-completion/completions/tcpsim; to try it from a checkout:
#   source tools/tcpsim-completion.bash

# Prints "COMMAND OPTION TAKES_VALUE CHOICES" lines (COMMAND "-" for the top level).
_tcpsim_options() {
  "$1" --help-all 2>/dev/null | awk '
    /^Subcommands:$/ { commands = 1; next }
    commands && /^[a-z]/ { command = $1; next }
    /^ +-/ {
      split($1, names, ",")
      spec = $2                                  # TEXT, INT:INT in [..], TEXT:{a,b}, or the description
      takes = (spec ~ /^(TEXT|INT|UINT|FLOAT|NUMBER)/) ? 1 : 0
      choices = ""
      if (match(spec, /:\{[^}]*\}/)) choices = substr(spec, RSTART + 2, RLENGTH - 3)
      for (i in names) print (commands ? command : "-"), names[i], takes, choices
    }'
}

_tcpsim() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  # Parsed once per shell, per binary.
  if [ "${_tcpsim_cached_for:-}" != "${COMP_WORDS[0]}" ]; then
    _tcpsim_table=$(_tcpsim_options "${COMP_WORDS[0]}")
    _tcpsim_commands=$("${COMP_WORDS[0]}" --help-all 2>/dev/null | awk '/^Subcommands:$/ { c = 1; next } c && /^[a-z]/ { printf "%s ", $1 }')
    _tcpsim_cached_for=${COMP_WORDS[0]}
  fi

  local command="-" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case " $_tcpsim_commands " in *" ${COMP_WORDS[i]} "*) command=${COMP_WORDS[i]}; break ;; esac
  done

  # The value of an option: its choices, or a file name.
  local line
  line=$(awk -v c="$command" -v o="$prev" '$1 == c && $2 == o { print; exit }' <<<"$_tcpsim_table")
  if [ -n "$line" ]; then
    local takes choices
    read -r _ _ takes choices <<<"$line"
    if [ "$takes" = 1 ]; then
      if [ -n "$choices" ]; then
        mapfile -t COMPREPLY < <(compgen -W "${choices//,/ }" -- "$cur")
      else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      fi
      return
    fi
  fi

  if [[ $cur == -* ]]; then
    local options
    options=$(awk -v c="$command" '$1 == c { print $2 }' <<<"$_tcpsim_table")
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  elif [ "$command" = "-" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$_tcpsim_commands" -- "$cur")
  else
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _tcpsim tcpsim
