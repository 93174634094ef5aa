"""ZooKeeper 3.8, three servers from the zookeeper chart's cluster render (replicaCount 3) on an
IPv6-only network: the ensemble elects a leader over IPv6 with the chart's render and with
krmfn's, and krmfn's quorumListenOnAllIPs moves the election and quorum listeners from the one
address the server's name resolves to onto the wildcard, which is what the adapter is for."""
from __future__ import annotations

import time

import pytest

from tests import charts
from tests.runtime import netns, pods, zookeeper
from tests.runtime.table import Row

ARCHIVES = [a for a in charts.pinned_archives() if a.startswith("zookeeper-")]
PLAN = charts.plan("ipv6")


@pytest.mark.parametrize("stage", pods.STAGES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_ensemble_quorum(net, tmp_path, proven, archive, stage):
    start = time.monotonic()
    items = pods.objects(archive, "cluster", stage, PLAN)
    sts = next(o for o in pods.of_kind(items, "StatefulSet")
               if any(c["name"] == "zookeeper" for c in o["spec"]["template"]["spec"]["containers"]))
    name, size = sts["metadata"]["name"], sts["spec"]["replicas"]
    assert 1 < size <= len(net.nodes), f"{name}: {size} replicas for a {len(net.nodes)}-node network"
    nodes = net.nodes[:size]
    net.hosts(pods.dns(items, name, nodes))
    ps = [pods.Pod(items, name, "zookeeper", i, node.ipv6) for i, node in enumerate(nodes)]
    env = ps[0].env()
    port = int(env["ZOO_PORT_NUMBER"])
    quorum, election = (int(p) for p in env["ZOO_SERVERS"].split()[0].split(":")[1:3])
    for pod, node in zip(ps, nodes):
        zookeeper.start(net, pod, node, tmp_path / pod.name)
    client = net.nodes[-1]
    modes = {}
    for node in nodes:
        modes[node.ipv6] = netns.wait_for(
            f"ZooKeeper at {netns.address(node.ipv6, port)}: in a quorum (srvr Mode leader/follower)",
            lambda: zookeeper.mode(net, client, node.ipv6, port), 60, 0.5)
    assert sorted(modes.values()) == ["follower"] * (size - 1) + ["leader"], f"ZooKeeper ensemble modes: {modes}"
    leader = next(n for n in nodes if modes[n.ipv6] == "leader")
    # Election (3888) on every server, quorum (2888) on the leader: where they listen is the change.
    wildcard = env["ZOO_LISTEN_ALLIPS_ENABLED"] == "yes"
    want_leader = {"*"} if wildcard else {f"[{leader.ipv6}]"}
    for node in nodes:
        got = net.listening(node, election)
        want = {"*"} if wildcard else {f"[{node.ipv6}]"}
        assert got == want, f"ZooKeeper {node.ns}: election port {election} listening on {got}, expected {want}"
    got = net.listening(leader, quorum)
    assert got == want_leader, (f"ZooKeeper leader {leader.ipv6}: quorum port {quorum} listening on {got}, "
                                f"expected {want_leader}")
    where = "the wildcard" if wildcard else "each server's own IPv6 address"
    proven.add(Row(zookeeper.version(), f"{archive.replace('-', ' ', 1)} ({size} servers)", "IPv6",
                   {"before": "chart", "after": "krmfn"}[stage],
                   f"leader elected, {size - 1} followers, over IPv6; election port (every server) and quorum port "
                   f"(the leader) on {where}"),
               time.monotonic() - start)
