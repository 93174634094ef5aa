"""RabbitMQ 3.10 (Erlang 25) with the rabbitmq chart's cluster render (replicaCount 3; two nodes
run, which is what joining takes): on an IPv6-only network the chart's render does not boot,
krmfn's boots, answers AMQP and the management API on IPv6, passes the chart's probes and forms a
cluster over IPv6; on dual-stack, what the adapter documents (catalog/rabbitmq.yaml)."""
from __future__ import annotations

import re
import time

import pytest

from tests import charts
from tests.runtime import netns, pods, rabbitmq
from tests.runtime.table import Row

ARCHIVES = [a for a in charts.pinned_archives() if a.startswith("rabbitmq-")]
NODES = 2


def plan(mode: str, clustering: str | None = None) -> dict:
    spec = {"components": [{"adapter": "rabbitmq", "options": {"clustering": clustering}}]} if clustering else {}
    return charts.plan(mode, **spec)


def plan_label(mode: str, clustering: str | None) -> str:
    family = {"ipv6": "IPv6", "dual-ipv6": "dual-stack, IPv6 primary", "dual-ipv4": "dual-stack, IPv4 primary"}[mode]
    return f"{family}, clustering={clustering}" if clustering else family


def erl_args(node: rabbitmq.Node) -> str:
    return node.env.get("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "")


def record(proven, archive: str, mode: str, clustering: str | None, stage: str, shown: str, start: float) -> None:
    proven.add(Row(rabbitmq.version(), archive.replace("-", " ", 1), plan_label(mode, clustering),
                   {"before": "chart", "after": "krmfn"}[stage], shown), time.monotonic() - start)


def not_booting_or_no_api(net: netns.Network, node: rabbitmq.Node, proc, client: netns.Node) -> str:
    """BEFORE on IPv6: either the node does not boot, or it boots and the management port is refused over IPv6."""
    try:
        rabbitmq.await_boot(net, node, proc, client)
    except AssertionError as e:
        assert "did not boot" in str(e), str(e)
        return f"does not boot: {str(e).split('did not boot: ', 1)[1].removeprefix('ERROR: ')}"
    net.refuses(client, node.net_node.ipv6, node.port("stats"), f"{node.label} management API")
    return "boots; management API refused over IPv6"


def without_inetrc(items: list[dict]) -> list[dict]:
    """krmfn's output with `-kernel inetrc` dropped from the server's arguments: the adapter broken
    on purpose, as if its intent lost the flag."""
    env = next(e for o in pods.of_kind(items, "StatefulSet") for c in o["spec"]["template"]["spec"]["containers"]
               for e in c.get("env", []) if e["name"] == "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    env["value"], edits = re.subn(r"-kernel inetrc '[^']*' ?", "", env["value"])
    assert edits == 1, f"krmfn's output has no -kernel inetrc to drop: {env['value']!r}"
    return items


def cluster(net: netns.Network, nodes: list[rabbitmq.Node], client: netns.Node) -> None:
    """Boot the nodes one after another (each later one joins the first through classic_config)
    and wait until the API on every node's IPv6 address lists them all running."""
    for node in nodes:
        rabbitmq.boot(net, node, client)
    want = {n.name for n in nodes}
    for node in nodes:
        at = netns.address(node.net_node.ipv6, node.port("stats"))
        netns.wait_for(f"{node.label}: cluster of {sorted(want)} at {at}",
                       lambda: rabbitmq.running_nodes(net, client, node, node.net_node.ipv6) == want, 60, 1)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_ipv6_only_before_and_broken(net, tmp_path, proven, archive):
    """The chart's render (pod 0) and, at the same time because a failed boot takes ~50 s,
    krmfn's output without `-kernel inetrc` (pod 1): the same harness must report the broken one
    with the node and the address it could not reach, so the AFTER test cannot pass vacuously."""
    start = time.monotonic()
    before = rabbitmq.nodes(pods.objects(archive, "cluster", "before", plan("ipv6")), net, tmp_path / "before", 2)[0]
    broken_items = without_inetrc(pods.objects(archive, "cluster", "after", plan("ipv6")))
    broken = rabbitmq.nodes(broken_items, net, tmp_path / "broken", 2)[1]
    client = net.nodes[2]
    procs = {n.name: rabbitmq.start(net, n) for n in (before, broken)}
    with pytest.raises(AssertionError) as caught:
        rabbitmq.await_boot(net, broken, procs[broken.name], client)
    assert f"{broken.label}: could not reach {netns.address(broken.net_node.ipv6, broken.port('amqp'))}" in str(caught.value)
    shown = not_booting_or_no_api(net, before, procs[before.name], client)
    record(proven, archive, "ipv6", None, "before", shown, start)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_ipv6_only_after(net, tmp_path, proven, archive):
    start = time.monotonic()
    nodes = rabbitmq.nodes(pods.objects(archive, "cluster", "after", plan("ipv6")), net, tmp_path, NODES)
    client = net.nodes[NODES]
    cluster(net, nodes, client)
    probes = {rabbitmq.probes(net, n) for n in nodes}
    peers = set().union(*(rabbitmq.dist_peers(net, n) for n in nodes))
    ipv6 = {n.net_node.ipv6 for n in nodes}
    assert peers and peers <= ipv6, (f"RabbitMQ distribution ({nodes[0].port('dist')}) not over the nodes' "
                                     f"IPv6 addresses: {peers}")
    record(proven, archive, "ipv6", None, "after",
           f"boots; AMQP and management API answer on IPv6; probes ({', '.join(sorted(probes))}) pass; "
           f"{NODES} nodes cluster over IPv6", start)


# Dual-stack: names resolve to both families, IPv6 listed first (as a dual-stack headless
# Service answers). The adapter documents: management listens on :: for both families; with
# clustering=auto distribution stays inet_tcp and nodes reach each other over IPv4; with
# clustering=ipv6 (IPv6 primary) nodes, CLI and probes speak inet6_tcp and cluster over IPv6.
DUAL = [("dual-ipv6", None, 4), ("dual-ipv6", "ipv6", 6)]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_dual_stack_before(net, tmp_path, proven, archive):
    start = time.monotonic()
    with net.dual_stack():
        node = rabbitmq.nodes(pods.objects(archive, "cluster", "before", plan("dual-ipv6")), net, tmp_path, 1)[0]
        client = net.nodes[NODES]
        rabbitmq.boot(net, node, client)
        net.refuses(client, node.net_node.ipv6, node.port("stats"), f"{node.label} management API")
        rabbitmq.api(net, client, node, node.net_node.ipv4, "/api/overview")
        net.stop([node.net_node])
    record(proven, archive, "dual-ipv6", None, "before", "boots; management API on IPv4 only, refused over IPv6", start)


@pytest.mark.parametrize("mode,clustering,family", DUAL)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_dual_stack_after(net, tmp_path, proven, archive, mode, clustering, family):
    start = time.monotonic()
    with net.dual_stack():
        items = pods.objects(archive, "cluster", "after", plan(mode, clustering))
        nodes = rabbitmq.nodes(items, net, tmp_path, NODES)
        client = net.nodes[NODES]
        assert ("inet6_tcp" in erl_args(nodes[0])) == (family == 6), f"distribution args: {erl_args(nodes[0])!r}"
        cluster(net, nodes, client)
        for n in nodes:
            rabbitmq.api(net, client, n, n.net_node.ipv4, "/api/overview")
        rabbitmq.probes(net, nodes[0])
        peers = set().union(*(rabbitmq.dist_peers(net, n) for n in nodes))
        want = {n.net_node.ipv6 if family == 6 else n.net_node.ipv4 for n in nodes}
        assert peers and peers <= want, (f"RabbitMQ distribution ({nodes[0].port('dist')}) expected over "
                                         f"IPv{family} {sorted(want)}, found {sorted(peers)}")
        net.stop([n.net_node for n in nodes])
    record(proven, archive, mode, clustering, "after",
           f"management API on IPv6 and IPv4; probes pass; {NODES} nodes cluster over IPv{family}", start)
