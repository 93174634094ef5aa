"""Redis 7 and sentinel with the redis chart's sentinel render, three pods on an IPv6-only network:
the chart's start scripts elect the first pod master (by its IPv6 address before 15.7.2, by its host
name, which resolves to IPv6 only, since), the others replicate from it over IPv6, and the three
sentinels reach quorum over IPv6. krmfn changes nothing these pods read, so the AFTER run is also the
BEFORE run: the test proves that first. On dual-stack, before 15.7.2, krmfn's IPv4-only headless
Service is what lets the set start; a dual-stack one does not (test_dual_stack_sentinel_after,
test_dual_stack_sentinel_dual_headless_fails)."""
from __future__ import annotations

import re
import time

import pytest

from tests import charts
from tests.runtime import netns, pods, redis
from tests.runtime.table import Row

ARCHIVES = [a for a in charts.pinned_archives() if a.startswith("redis-") and not a.startswith("redis-cluster-")]
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


def sentinel_quorum(net: netns.Network, pods_: list[list[redis.Container]], client: netns.Node, names: dict,
                    master: str, port: int) -> str:
    """Every sentinel names the master at address master (by that address or by a name DNS answers
    with it) and port, and can reach quorum for a failover. Returns how the master was named."""
    sentinels = [p[1] for p in pods_]
    password, name = sentinels[0].password, master_set(pods_[0])
    named = set()
    for s in sentinels:
        at = netns.address(s.node.ipv6, s.port)
        host, got_port = redis.cli(net, client, s.node.ipv6, s.port, password, "SENTINEL", "get-master-addr-by-name",
                                   name).split()
        assert netns.resolve(names, host) == {master} and int(got_port) == port, (
            f"sentinel at {at} names master {host} {got_port} ({sorted(netns.resolve(names, host))}), "
            f"expected {master} {port}")
        named.add(host)
        quorum = redis.cli(net, client, s.node.ipv6, s.port, password, "SENTINEL", "CKQUORUM", name)
        assert quorum.startswith(f"OK {len(sentinels)} usable Sentinels"), f"sentinel at {at}: {quorum.strip()}"
    return "address" if named == {master} else "host name"


def replication_and_quorum(net: netns.Network, items: list[dict], pods_: list[list[redis.Container]],
                           family: str) -> dict[str, str]:
    """Pod 0 is master, the others replicate from it over `family`, the sentinels know each other and
    reach quorum; every host they announce resolves to the pods' addresses of that family only.
    Returns how master, replicas and sentinels were announced (address or host name)."""
    def addr(node: netns.Node) -> str:
        return node.ipv6 if family == "IPv6" else node.ipv4

    replicas = len(pods_)
    names = pods.dns(items, statefulset(items)["metadata"]["name"], net.nodes[:replicas])
    password, port = pods_[0][0].password, pods_[0][0].port
    master, replicas_ = net.nodes[0], net.nodes[1:replicas]
    client = net.nodes[-1]
    at = netns.address(master.ipv6, port)

    info = redis.fields(redis.cli(net, client, master.ipv6, port, password, "INFO", "replication"))
    assert info["role"] == "master", f"Redis at {at}: role {info['role']}"
    want = {addr(n) for n in replicas_}
    announced: dict[str, set[str]] = {}

    def online() -> bool:
        hosts = {v.split("ip=")[1].split(",")[0] for k, v in redis.fields(redis.cli(
            net, client, master.ipv6, port, password, "INFO", "replication")).items()
            if k.startswith("slave") and "state=online" in v}
        announced["replicas"] = hosts
        return set().union(*(netns.resolve(names, h) for h in hosts)) == want and len(hosts) == len(want)

    netns.wait_for(f"Redis master {at}: replicas {sorted(want)} online", online, 30, 0.5)
    # The replication links themselves, as the master's kernel sees them: from the replicas' addresses.
    peers = net.peers(master, port)
    assert want <= peers, f"Redis master {at}: replication peers {sorted(peers)}, expected {sorted(want)}"

    sentinels = {addr(p[1].node) for p in pods_}
    for s in (p[1] for p in pods_):
        s_at = netns.address(s.node.ipv6, s.port)
        others = sentinels - {addr(s.node)}

        def known() -> bool:
            hosts = {x["ip"] for x in redis.pairs(redis.cli(net, client, s.node.ipv6, s.port, password,
                                                            "SENTINEL", "sentinels", master_set(pods_[0])))}
            announced.setdefault("sentinels", set()).update(hosts)
            return set().union(*(netns.resolve(names, h) for h in hosts)) == others and len(hosts) == len(others)

        netns.wait_for(f"sentinel at {s_at}: the other sentinels {sorted(others)}", known, 30, 0.5)
    how = {"master": sentinel_quorum(net, pods_, client, names, addr(master), port)}
    for key, hosts in announced.items():
        how[key] = "address" if all(netns.resolve(names, h) == {h} for h in hosts) else "host name"
    return how


@pytest.mark.parametrize("archive", ARCHIVES)
def test_replica_and_sentinel_quorum(net, tmp_path, proven, archive):
    start_time = time.monotonic()
    shown = sentinel_set_over_ipv6(net, tmp_path, archive)
    proven.add(Row(redis.version(), f"{archive.replace('-', ' ', 1)} (sentinel)", "IPv6", "chart = krmfn (no change)",
                   shown), time.monotonic() - start_time)


def sentinel_set_over_ipv6(net: netns.Network, tmp_path, archive: str) -> str:
    """The whole IPv6-only proof on one archive's sentinel render; returns what it showed."""
    before = pods.objects(archive, "sentinel", "before", PLAN)
    items = pods.objects(archive, "sentinel", "after", PLAN)
    assert what_pods_read(items) == what_pods_read(before), f"krmfn changed what redis pods read in {archive}"
    pods_ = statefulset_pods(net, items, tmp_path)
    how = replication_and_quorum(net, items, pods_, "IPv6")
    for pod in pods_:
        for c in pod:
            cmd = c.probe("livenessProbe")
            ok = net.run(c.node, cmd, c.env, timeout=10).returncode == 0
            assert ok, f"{c.label}: liveness probe {cmd[-1]!r} failed"
    by = {"address": "IPv6 address", "host name": "host name (resolving to IPv6 only)"}
    replicas = len(pods_)
    return (f"master elected, named by its {by[how['master']]}; {replicas - 1} replicas online over IPv6; "
            f"{replicas} sentinels find each other by {by[how['sentinels']]} and reach quorum; probes pass")


def dual_stack_headless(items: list[dict], plan: dict) -> list[dict]:
    """items with the sentinel StatefulSet's headless Service in the plan's two families, as the
    Service injector alone made it before catalog/redis.yaml's headless-ipv4-before-15.7.2 intent."""
    headless = statefulset(items)["spec"]["serviceName"]
    svc = pods.find(items, "Service", headless)
    svc["spec"]["ipFamilyPolicy"], svc["spec"]["ipFamilies"] = "PreferDualStack", list(plan["spec"]["ipFamilies"])
    return items


def needs_ipv4_headless(archive: str) -> bool:
    """Whether krmfn's output for a dual-stack plan makes the headless Service IPv4-only (the intent
    applies to this version): read off the output, so that the test follows the catalog."""
    items = pods.objects(archive, "sentinel", "after", charts.plan("dual-ipv6"))
    svc = pods.find(items, "Service", statefulset(items)["spec"]["serviceName"])["spec"]
    return svc.get("ipFamilies") == ["IPv4"] and svc.get("ipFamilyPolicy") == "SingleStack"


# Found by running it: on dual-stack, before 15.7.2, the chart's scripts keep the pod's IPv4
# (`hostname -i`), but a headless name that answers both families also lists the pod's own IPv6
# address, which `grep -v "^${myip}"` does not filter out: pod 0 believes another pod exists, asks
# sentinel through the Service (nobody there yet), starts as a replica of nothing and its sentinel
# stops on `sentinel monitor mymaster   2`. krmfn's output makes that headless Service IPv4-only.
DUAL = "dual-ipv6"


@pytest.mark.parametrize("archive", ARCHIVES)
def test_dual_stack_sentinel_after(net, tmp_path, proven, archive):
    """krmfn's output on a dual-stack plan: the sentinel set starts and reaches quorum on IPv4."""
    start_time = time.monotonic()
    plan = charts.plan(DUAL)
    items = pods.objects(archive, "sentinel", "after", plan)
    assert needs_ipv4_headless(archive), f"krmfn's output for {archive} on {DUAL} keeps a dual-stack headless Service"
    with net.dual_stack():
        pods_ = statefulset_pods(net, items, tmp_path)
        how = replication_and_quorum(net, items, pods_, "IPv4")
        net.stop()
    proven.add(Row(redis.version(), f"{archive.replace('-', ' ', 1)} (sentinel)", "dual-stack, IPv6 primary", "krmfn",
                   f"headless Service IPv4-only: master elected, named by its IPv4 {how['master']}; "
                   f"{len(pods_) - 1} replicas online and {len(pods_)} sentinels reach quorum over IPv4"),
               time.monotonic() - start_time)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_dual_stack_sentinel_dual_headless_fails(net, tmp_path, proven, archive):
    """The same output with the headless Service dual-stack: the documented failure, asserted."""
    start_time = time.monotonic()
    plan = charts.plan(DUAL)
    items = dual_stack_headless(pods.objects(archive, "sentinel", "after", plan), plan)
    name = statefulset(items)["metadata"]["name"]
    with net.dual_stack():
        with pytest.raises(AssertionError) as caught:
            start(net, items, name, 0, tmp_path)
        node = net.nodes[0]
        redis_log = (tmp_path / f"{name}-0" / "redis.log").read_text(errors="replace")
        sentinel_log = (tmp_path / f"{name}-0" / "sentinel.log").read_text(errors="replace")
        net.stop()
    at = netns.address(node.ipv6, pods_port(items, name))
    assert f"sentinel of {name}-0: could not reach {at}" in str(caught.value), str(caught.value)
    # A replica of an empty host (port 0 is how Redis prints none).
    assert "Connecting to MASTER :" in redis_log, (
        f"redis of {name}-0 did not start as a replica of nothing:\n{redis_log[-1500:]}")
    conf = next(c["data"]["sentinel.conf"] for c in pods.of_kind(items, "ConfigMap")
                if "sentinel.conf" in c.get("data", {}))
    set_name = re.search(r"(?m)^sentinel monitor (\S+)", conf).group(1)
    bad = re.search(rf"(?m)^>>> 'sentinel monitor {re.escape(set_name)} +(\d+)'$", sentinel_log)
    assert bad and "FATAL CONFIG FILE ERROR" in sentinel_log, (
        f"sentinel of {name}-0 did not stop on a master-less monitor line:\n{sentinel_log[-1500:]}")
    proven.add(Row(redis.version(), f"{archive.replace('-', ' ', 1)} (sentinel)", "dual-stack, IPv6 primary",
                   "dual-stack headless Service",
                   "pod 0 finds its own IPv6 under the headless name, starts as a replica of nothing; "
                   "its sentinel exits on a `sentinel monitor` line without a master"),
               time.monotonic() - start_time)


def pods_port(items: list[dict], name: str) -> int:
    """The sentinel container's port in the StatefulSet."""
    spec = pods.find(items, "StatefulSet", name)["spec"]["template"]["spec"]
    sentinel = next(c for c in spec["containers"] if c["name"] == "sentinel")
    return int(next(e["value"] for e in sentinel["env"] if e["name"] == "REDIS_SENTINEL_PORT"))
