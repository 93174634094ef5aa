# Source this (bash) to let kustomize and kpt run container functions through podman.
# `make podman-setup` creates the files it points at.
_krmfn_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The docker shim must shadow the real docker client, which talks to an engine that isn't there.
export PATH="$_krmfn_root/.cache/shim:$PATH"
export CONTAINERS_CONF="$_krmfn_root/.cache/containers/containers.conf"
# kpt rejects podman's version output when podman poses as docker.
export KPT_FN_RUNTIME=podman
unset _krmfn_root
