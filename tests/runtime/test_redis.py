"""Redis 7 and sentinel with the redis chart's sentinel render, three pods on an IPv6-only network:
the chart's start scripts elect the first pod master by its IPv6 address, the others replicate from
it, and the three sentinels reach quorum over IPv6. krmfn changes nothing these pods read, so the
AFTER run is also the BEFORE run: the test proves that first."""
from __future__ import annotations

import re
import time

import pytest

from tests import charts
from tests.runtime import netns, pods, redis
from tests.runtime.table import Row

ARCHIVES = [a for a in charts.archives() if a.startswith("redis-") and not a.startswith("redis-cluster-")]
PLAN = charts.plan("ipv6")


def statefulset(items: list[dict]) -> dict:
    return next(o for o in pods.of_kind(items, "StatefulSet")
                if {c["name"] for c in o["spec"]["template"]["spec"]["containers"]} >= set(redis.CONTAINERS))


def what_pods_read(items: list[dict]) -> list:
    """Everything a sentinel pod takes from the render: its StatefulSet's pod template and the
    ConfigMaps and Secrets it mounts or reads (Services only matter through DNS names)."""
    sts = statefulset(items)
    template = sts["spec"]["template"]
    return [template["spec"], sorted((o["kind"], o["metadata"]["name"], o.get("data")) for o in items
                                     if o["kind"] in ("ConfigMap", "Secret"))]


def start(net: netns.Network, items: list[dict], name: str, ordinal: int, root) -> list[redis.Container]:
    """Pod <name>-<ordinal>: DNS now lists it, both containers start, both readiness probes pass."""
    net.hosts(pods.dns(items, name, net.nodes[:ordinal + 1]))
    containers = redis.pod_containers(items, name, ordinal, net.nodes[ordinal], root / f"{name}-{ordinal}")
    for c in containers:
        net.start(c.node, c.command(), c.env, c.log)
    for c in containers:
        cmd = c.probe("readinessProbe")
        netns.wait_for(f"{c.label}: readiness probe {cmd[-1]!r} in {c.node.ns} ({c.node.ipv6})",
                       lambda: net.run(c.node, cmd, c.env, timeout=10).returncode == 0, 60, 0.5)
    return containers


@pytest.mark.parametrize("archive", ARCHIVES)
def test_replica_and_sentinel_quorum(net, tmp_path, proven, archive):
    start_time = time.monotonic()
    before = pods.objects(archive, "sentinel", "before", PLAN)
    items = pods.objects(archive, "sentinel", "after", PLAN)
    assert what_pods_read(items) == what_pods_read(before), f"krmfn changed what redis pods read in {archive}"
    sts = statefulset(items)
    name, replicas = sts["metadata"]["name"], sts["spec"]["replicas"]
    assert replicas <= len(net.nodes), f"{name} has {replicas} replicas, the network {len(net.nodes)} nodes"
    pods_ = [start(net, items, name, i, tmp_path) for i in range(replicas)]
    env = pods_[0][0].env
    password, port, sport = env["REDIS_PASSWORD"], int(env["REDIS_PORT"]), int(pods_[0][1].env["REDIS_SENTINEL_PORT"])
    master, replicas_ = net.nodes[0], net.nodes[1:replicas]
    conf = pods_[0][1].pod.file("/opt/bitnami/redis-sentinel/mounted-etc/sentinel.conf")
    master_set = re.search(r"(?m)^sentinel monitor (\S+)", conf).group(1)
    client = net.nodes[-1]

    info = redis.fields(redis.cli(net, client, master.ipv6, port, password, "INFO", "replication"))
    assert info["role"] == "master", f"Redis at {netns.address(master.ipv6, port)}: role {info['role']}"
    want = {n.ipv6 for n in replicas_}
    netns.wait_for(
        f"Redis master {netns.address(master.ipv6, port)}: replicas {sorted(want)} online",
        lambda: {v.split("ip=")[1].split(",")[0] for k, v in redis.fields(redis.cli(
            net, client, master.ipv6, port, password, "INFO", "replication")).items()
            if k.startswith("slave") and "state=online" in v} == want, 30, 0.5)

    sentinels = {n.ipv6 for n in net.nodes[:replicas]}
    for node in net.nodes[:replicas]:
        at = netns.address(node.ipv6, sport)
        addr = redis.cli(net, client, node.ipv6, sport, password, "SENTINEL", "get-master-addr-by-name", master_set).split()
        assert addr == [master.ipv6, str(port)], f"sentinel at {at} names master {addr}"
        netns.wait_for(f"sentinel at {at}: the other sentinels {sorted(sentinels - {node.ipv6})} by IPv6",
                       lambda: {s["ip"] for s in redis.pairs(redis.cli(net, client, node.ipv6, sport, password,
                                "SENTINEL", "sentinels", master_set))} == sentinels - {node.ipv6}, 30, 0.5)
        quorum = redis.cli(net, client, node.ipv6, sport, password, "SENTINEL", "CKQUORUM", master_set)
        assert quorum.startswith(f"OK {replicas} usable Sentinels"), f"sentinel at {at}: {quorum.strip()}"
    for pod in pods_:
        for c in pod:
            cmd = c.probe("livenessProbe")
            assert net.run(c.node, cmd, c.env, timeout=10).returncode == 0, f"{c.label}: liveness probe {cmd[-1]!r} failed"
    proven.add(Row(redis.version(), f"{archive.replace('-', ' ', 1)} (sentinel)", "IPv6", "chart = krmfn (no change)",
                   f"master elected by its IPv6 address, {replicas - 1} replicas online over IPv6, "
                   f"{replicas} sentinels find each other by IPv6 and reach quorum; probes pass"),
               time.monotonic() - start_time)
