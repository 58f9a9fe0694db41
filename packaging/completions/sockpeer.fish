# fish completion for sockpeer: asks sockpeer itself (System.CommandLine's [suggest] directive).
function __sockpeer_complete
    set -l line (commandline -cp | string replace -r '^\S+\s*' '')
    sockpeer "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null | string match -v -r '^/'
end
complete -c sockpeer -f -a '(__sockpeer_complete)'
complete -c sockpeer -F -n 'test -z (__sockpeer_complete)'
