# is_boolean_yes VALUE: 1, yes or true, in any case.
is_boolean_yes() {
    local -r bool="${1:-}"
    shopt -s nocasematch
    [[ "$bool" = 1 || "$bool" =~ ^(yes|true)$ ]]
}
