"""etcd 3.4, three members from the etcd chart's cluster render (replicaCount 3) on an IPv6-only
network. etcd reads the container's ETCD_* environment itself, so each member runs with that env
as rendered: only the data directory moves (the image's own variables, auth set-up included, are
left to the warnings etcd prints for them). From 6.10.3 the chart signs auth tokens with a key it
generates on every render; the variants name an existing Secret instead (tests/variants/etcd.yaml),
so here, as a user would before installing, that Secret is created with a fresh RSA key. The
chart's 0.0.0.0 listen URLs already take both families in Go, so BEFORE and AFTER must both form
the cluster; krmfn's [::] must not break it."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import time

import pytest

from tests import charts
from tests.runtime import netns, pods
from tests.runtime.table import Row

ARCHIVES = [a for a in charts.pinned_archives() if a.startswith("etcd-")]
PLAN = charts.plan("ipv6")


def version() -> str:
    out = subprocess.run(["etcd", "--version"], capture_output=True, text=True, timeout=10).stdout
    return "etcd " + re.search(r"etcd Version: (\d+\.\d+)", out).group(1)


def etcdctl(net: netns.Network, node: netns.Node, endpoints: str, *args: str) -> str:
    proc = net.run(node, ["etcdctl", "--dial-timeout=3s", "--command-timeout=5s", f"--endpoints={endpoints}", *args],
                   {"PATH": "/usr/bin:/bin", "ETCDCTL_API": "3"}, timeout=15)
    if proc.returncode:  # etcdctl fails this way both for no answer and for no quorum behind it
        raise netns.Unreachable(f"etcd: could not reach {endpoints} from {node.ns} ({args[0]}): "
                                f"{(proc.stdout + proc.stderr).strip()}")
    return proc.stdout + proc.stderr  # `endpoint health` reports on stderr


def existing_secrets(items: list[dict], archive: str) -> list[dict]:
    """The Secret the render's values name as existing (auth.token.privateKey.existingSecret), as
    the user creates it: the RS256 key under the file name ETCD_AUTH_TOKEN's priv-key gives."""
    name = (((pods.case(archive, "cluster").values.get("auth") or {}).get("token") or {})
            .get("privateKey") or {}).get("existingSecret")
    if not name or any(o["kind"] == "Secret" and o["metadata"]["name"] == name for o in items):
        return []
    env = {e["name"]: e.get("value", "") for o in pods.of_kind(items, "StatefulSet")
           for c in o["spec"]["template"]["spec"]["containers"] for e in c.get("env") or []}
    key_file = re.search(r"priv-key=([^,]+)", env["ETCD_AUTH_TOKEN"]).group(1).rsplit("/", 1)[1]
    key = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, check=True, timeout=30).stdout
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
             "data": {key_file: base64.b64encode(key).decode()}}]


@pytest.mark.parametrize("stage", pods.STAGES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_cluster_quorum(net, tmp_path, proven, archive, stage):
    start = time.monotonic()
    items = pods.objects(archive, "cluster", stage, PLAN)
    items += existing_secrets(items, archive)
    sts = next(o for o in pods.of_kind(items, "StatefulSet")
               if any(c["name"] == "etcd" for c in o["spec"]["template"]["spec"]["containers"]))
    name, size = sts["metadata"]["name"], sts["spec"]["replicas"]
    assert 1 < size <= len(net.nodes), f"{name}: {size} replicas for a {len(net.nodes)}-node network"
    nodes = net.nodes[:size]
    net.hosts(pods.dns(items, name, nodes))
    envs = []
    for i, node in enumerate(nodes):
        pod = pods.Pod(items, name, "etcd", i, node.ipv6)
        paths = pod.materialize(tmp_path / pod.name)
        env = {k: pods.translate(v, paths) for k, v in pod.env().items()} | {"PATH": "/usr/bin:/bin"}
        envs.append(env)
        net.start(node, ["etcd"], env, tmp_path / pod.name / "etcd.log")
    client = net.nodes[-1]
    port = int(envs[0]["ETCD_LISTEN_CLIENT_URLS"].rsplit(":", 1)[1])
    by_address = ",".join(f"http://{netns.address(n.ipv6, port)}" for n in nodes)
    # What the image's health check does in each pod: the member's advertised (DNS) client URL.
    for node, env in zip(nodes, envs):
        url = env["ETCD_ADVERTISE_CLIENT_URLS"]
        netns.wait_for(f"etcd member {env['ETCD_NAME']}: healthy at {url} ({node.ipv6})",
                       lambda: "is healthy" in etcdctl(net, node, url, "endpoint", "health"), 60, 0.5)
    members = json.loads(etcdctl(net, client, by_address, "member", "list", "-w", "json"))["members"]
    want = {env["ETCD_NAME"]: env["ETCD_INITIAL_ADVERTISE_PEER_URLS"] for env in envs}
    assert {m["name"]: ",".join(m["peerURLs"]) for m in members} == want, f"etcd members: {members}"
    etcdctl(net, client, by_address, "put", "krmfn-proof", stage)
    for node in nodes:
        got = etcdctl(net, client, f"http://{netns.address(node.ipv6, port)}", "get", "krmfn-proof", "--print-value-only")
        assert got.strip() == stage, f"etcd at {netns.address(node.ipv6, port)}: read {got.strip()!r}"
    listen = ", ".join(f"`{a}`" for a in sorted(net.listening(nodes[0], port)))
    proven.add(Row(version(), f"{archive.replace('-', ' ', 1)} ({size} members)", "IPv6",
                   {"before": "chart", "after": "krmfn"}[stage],
                   f"`{envs[0]['ETCD_LISTEN_CLIENT_URLS']}` listens on {listen}; {size} members form the "
                   f"cluster over IPv6, a write is read back from every member's IPv6 address"),
               time.monotonic() - start)
