#compdef sockpeer
# zsh completion for sockpeer: asks sockpeer itself (System.CommandLine's [suggest] directive), so
# commands, options and their values never drift from the program; paths fall back to _files.
_sockpeer() {
    local prog=$words[1]
    local line="${BUFFER[1,CURSOR]}"
    if [[ "$line" == *[[:space:]]* ]]; then
        line="${line#*[[:space:]]}"
    else
        line=""
    fi
    local -a suggestions
    suggestions=("${(@f)$($prog "[suggest:${#line}]" "$line" 2>/dev/null | grep -v '^/')}")
    suggestions=(${suggestions:#})
    if (( ${#suggestions} )); then
        compadd -- $suggestions
    else
        _files
    fi
}
if [[ "$funcstack[1]" == "_sockpeer" ]]; then
    _sockpeer "$@"
else
    compdef _sockpeer sockpeer
fi
