# The image's libos.sh loads the log functions too.
. "$(dirname "${BASH_SOURCE[0]}")/liblog.sh"

# retry_while CMD [RETRIES=12] [SLEEP=5]: run CMD until it succeeds, as the image does.
retry_while() {
    local cmd="${1:?cmd is missing}"
    local retries="${2:-12}"
    local sleep_time="${3:-5}"
    local return_value=1
    read -r -a command <<< "$cmd"
    for ((i = 1; i <= retries; i += 1)); do
        "${command[@]}" && return_value=0 && break
        sleep "$sleep_time"
    done
    return $return_value
}
