# Log lines on stderr; debug only with BITNAMI_DEBUG, as the image does.
info() { echo "INFO  ==> $*" >&2; }
warn() { echo "WARN  ==> $*" >&2; }
error() { echo "ERROR ==> $*" >&2; }
debug() { [[ "${BITNAMI_DEBUG:-false}" =~ ^(1|yes|true)$ ]] && echo "DEBUG ==> $*" >&2; true; }
