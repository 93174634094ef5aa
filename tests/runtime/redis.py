"""Pods of the redis chart's sentinel StatefulSet, run with the chart's own start scripts.

Each pod is two containers, redis (start-node.sh) and sentinel (start-sentinel.sh), sharing the
pod's volumes and host name, started in order as a StatefulSet does. The scripts, configs and
health probes are the rendered ConfigMaps; only image paths move (pods.translate), the bitnami
shell libraries they source come from image_lib/, and cluster DNS is the namespaces' hosts file
(pods.dns), which lists a pod under the headless Service once it has started, as DNS would.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.runtime import netns, pods

IMAGE_LIB = Path(__file__).parent / "image_lib"
CONTAINERS = ("redis", "sentinel")


def version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, timeout=10).stdout
    return "Redis " + out.split("v=", 1)[1].split()[0].rsplit(".", 1)[0] + " + sentinel"


@dataclass
class Container:
    pod: pods.Pod
    node: netns.Node
    env: dict[str, str]
    paths: dict[str, Path]
    log: Path

    @property
    def label(self) -> str:
        return f"{self.pod.container} of {self.pod.name}"

    @property
    def port(self) -> int:
        return int(self.env["REDIS_SENTINEL_PORT" if self.pod.container == "sentinel" else "REDIS_PORT"])

    @property
    def password(self) -> str:
        """REDIS_PASSWORD, or from 16.x on the file REDIS_PASSWORD_FILE names in the mounted Secret."""
        env = self.pod.env()
        return env["REDIS_PASSWORD"] if "REDIS_PASSWORD" in env else self.pod.file(env["REDIS_PASSWORD_FILE"])

    def command(self) -> list[str]:
        spec = self.pod.container_spec()
        cmd = [pods.translate(a, self.paths) for a in spec.get("command", []) + spec.get("args", [])]
        # The pod's host name, which the scripts read with `hostname -i`.
        return ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.pod.name, *cmd]

    def probe(self, kind: str) -> list[str]:
        return [pods.translate(a, self.paths) for a in self.pod.probe(kind)]


def pod_containers(items: list[dict], statefulset: str, ordinal: int, node: netns.Node, root: Path) -> list[Container]:
    """Both containers of pod <statefulset>-<ordinal>, their volumes projected under root."""
    ps = [pods.Pod(items, statefulset, c, ordinal, node.ipv6) for c in CONTAINERS]
    paths = {"/opt/bitnami/scripts": IMAGE_LIB}
    for p in ps:
        paths |= p.materialize(root)
    pods.translate_files(root, paths)
    out = []
    for p in ps:
        env = {k: pods.translate(v, paths) for k, v in p.env().items()} | {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
        out.append(Container(p, node, env, paths, root / f"{p.container}.log"))
    return out


def cli(net: netns.Network, client: netns.Node, host: str, port: int, password: str, *args: str) -> str:
    proc = net.run(client, ["redis-cli", "--no-auth-warning", "-a", password, "-h", host, "-p", str(port), *args],
                   {"PATH": "/usr/bin:/bin"}, timeout=15)
    out = (proc.stdout + proc.stderr).strip()
    if "Could not connect" in out:
        raise netns.Unreachable(f"Redis: could not reach {netns.address(host, port)} from {client.ns}: {out}")
    if proc.returncode or proc.stdout.startswith(("ERR", "NOAUTH")):
        raise AssertionError(f"redis-cli {' '.join(args)} at {netns.address(host, port)} from {client.ns}: {out}")
    return proc.stdout


def fields(text: str) -> dict[str, str]:
    """INFO output as a dict."""
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def pairs(text: str) -> list[dict[str, str]]:
    """SENTINEL REPLICAS/SENTINELS output (one key and one value per line, entries concatenated) as dicts."""
    out, lines = [], text.splitlines()
    for i in range(0, len(lines) - 1, 2):
        if lines[i] == "name":
            out.append({})
        out[-1][lines[i]] = lines[i + 1]
    return out
