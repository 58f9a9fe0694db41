# bash completion for sockpeer: asks sockpeer itself (System.CommandLine's [suggest] directive),
# so commands, options and their values never drift from the program; paths fall back to bash's own.
_sockpeer()
{
    local cur line
    cur="${COMP_WORDS[COMP_CWORD]}"
    line="${COMP_LINE:0:COMP_POINT}"
    # Everything after the program name, as the parser sees it.
    if [[ "$line" == *[[:space:]]* ]]; then
        line="${line#*[[:space:]]}"
    else
        line=""
    fi
    local IFS=$'\n'
    local words
    words=$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null) || words=""
    # Windows-style help aliases are no use in a Linux shell.
    words=$(printf '%s\n' "$words" | grep -v '^/')
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -o bashdefault -F _sockpeer sockpeer
