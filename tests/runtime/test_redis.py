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
    """Pod <name>-<ordinal>: DNS now lists it, both containers start, both readiness probes pass;
    a container that exits fails at once, naming it and its address."""
    net.hosts(pods.dns(items, name, net.nodes[:ordinal + 1]))
    containers = redis.pod_containers(items, name, ordinal, net.nodes[ordinal], root / f"{name}-{ordinal}")
    procs = [net.start(c.node, c.command(), c.env, c.log) for c in containers]
    for c, proc in zip(containers, procs):
        cmd = c.probe("readinessProbe")
        net.await_ready(proc, c.node, c.label, netns.address(c.node.ipv6, c.port), c.log,
                        lambda: net.run(c.node, cmd, c.env, timeout=10).returncode == 0, 60)
    return containers


def statefulset_pods(net: netns.Network, items: list[dict], root) -> list[list[redis.Container]]:
    """Every pod of the sentinel StatefulSet, one after another as the StatefulSet starts them."""
    sts = statefulset(items)
    name, replicas = sts["metadata"]["name"], sts["spec"]["replicas"]
    assert replicas <= len(net.nodes), f"{name} has {replicas} replicas, the network {len(net.nodes)} nodes"
    return [start(net, items, name, i, root) for i in range(replicas)]


def master_set(pod: list[redis.Container]) -> str:
    """The name sentinel monitors the master under, from the rendered sentinel.conf."""
    conf = pod[1].pod.file("/opt/bitnami/redis-sentinel/mounted-etc/sentinel.conf")
    return re.search(r"(?m)^sentinel monitor (\S+)", conf).group(1)


def sentinel_quorum(net: netns.Network, pods_: list[list[redis.Container]], client: netns.Node, master: str) -> None:
    """Every sentinel names master (host port) and can reach quorum for a failover."""
    sentinels = [p[1] for p in pods_]
    password, name = sentinels[0].env["REDIS_PASSWORD"], master_set(pods_[0])
    for s in sentinels:
        at = netns.address(s.node.ipv6, s.port)
        addr = redis.cli(net, client, s.node.ipv6, s.port, password, "SENTINEL", "get-master-addr-by-name", name).split()
        assert " ".join(addr) == master, f"sentinel at {at} names master {addr}, expected {master}"
        quorum = redis.cli(net, client, s.node.ipv6, s.port, password, "SENTINEL", "CKQUORUM", name)
        assert quorum.startswith(f"OK {len(sentinels)} usable Sentinels"), f"sentinel at {at}: {quorum.strip()}"


@pytest.mark.parametrize("archive", ARCHIVES)
def test_replica_and_sentinel_quorum(net, tmp_path, proven, archive):
    start_time = time.monotonic()
    before = pods.objects(archive, "sentinel", "before", PLAN)
    items = pods.objects(archive, "sentinel", "after", PLAN)
    assert what_pods_read(items) == what_pods_read(before), f"krmfn changed what redis pods read in {archive}"
    pods_ = statefulset_pods(net, items, tmp_path)
    replicas = len(pods_)
    env = pods_[0][0].env
    password, port = env["REDIS_PASSWORD"], pods_[0][0].port
    master, replicas_ = net.nodes[0], net.nodes[1:replicas]
    client = net.nodes[-1]

    info = redis.fields(redis.cli(net, client, master.ipv6, port, password, "INFO", "replication"))
    assert info["role"] == "master", f"Redis at {netns.address(master.ipv6, port)}: role {info['role']}"
    want = {n.ipv6 for n in replicas_}
    netns.wait_for(
        f"Redis master {netns.address(master.ipv6, port)}: replicas {sorted(want)} online",
        lambda: {v.split("ip=")[1].split(",")[0] for k, v in redis.fields(redis.cli(
            net, client, master.ipv6, port, password, "INFO", "replication")).items()
            if k.startswith("slave") and "state=online" in v} == want, 30, 0.5)

    sentinels = {p[1].node.ipv6 for p in pods_}
    for s in (p[1] for p in pods_):
        at = netns.address(s.node.ipv6, s.port)
        netns.wait_for(f"sentinel at {at}: the other sentinels {sorted(sentinels - {s.node.ipv6})} by IPv6",
                       lambda: {x["ip"] for x in redis.pairs(redis.cli(net, client, s.node.ipv6, s.port, password,
                                "SENTINEL", "sentinels", master_set(pods_[0])))} == sentinels - {s.node.ipv6}, 30, 0.5)
    sentinel_quorum(net, pods_, client, f"{master.ipv6} {port}")
    for pod in pods_:
        for c in pod:
            cmd = c.probe("livenessProbe")
            assert net.run(c.node, cmd, c.env, timeout=10).returncode == 0, f"{c.label}: liveness probe {cmd[-1]!r} failed"
    proven.add(Row(redis.version(), f"{archive.replace('-', ' ', 1)} (sentinel)", "IPv6", "chart = krmfn (no change)",
                   f"master elected by its IPv6 address, {replicas - 1} replicas online over IPv6, "
                   f"{replicas} sentinels find each other by IPv6 and reach quorum; probes pass"),
               time.monotonic() - start_time)


# Found by running it: on dual-stack the chart's scripts keep the pod's IPv4 (`hostname -i`), but
# the headless name, which a dual-stack Service answers in both families, also lists the pod's
# own IPv6 address, which `grep -v "^${myip}"` does not filter out: pod 0 believes another pod
# exists, asks sentinel through the Service (nobody there yet), starts as a replica of nothing and
# its sentinel stops on `sentinel monitor mymaster   2`. The adapter's warning promises a working
# set on IPv4 addresses; this stays expected-to-fail, strictly, until the catalog changes.
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="redis 15.x sentinel does not bootstrap behind a dual-stack headless Service")
@pytest.mark.parametrize("archive", ARCHIVES)
def test_dual_stack_sentinel_works_on_ipv4(net, tmp_path, archive):
    with net.dual_stack():
        pods_ = statefulset_pods(net, pods.objects(archive, "sentinel", "after", charts.plan("dual-ipv6")), tmp_path)
        sentinel_quorum(net, pods_, net.nodes[-1], f"{net.nodes[0].ipv4} {pods_[0][0].port}")
