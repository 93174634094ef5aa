"""The premise of every runtime test: each pod is IPv6-only and nothing leaves the machine."""
from __future__ import annotations

import errno
import json
import subprocess

import pytest

from tests.runtime import netns


def ip_json(ns: str, *args: str) -> list[dict]:
    out = subprocess.run(["ip", "-n", ns, "-j", *args], capture_output=True, text=True, check=True, timeout=10).stdout
    return json.loads(out or "[]")


def getent(net: netns.Network, node: netns.Node, database: str, name: str) -> list[str]:
    proc = net.run(node, ["getent", database, name], {"PATH": "/usr/bin:/bin"}, timeout=10)
    return sorted({line.split()[0] for line in proc.stdout.splitlines()})


def test_pods_are_ipv6_only(net):
    for node in net.nodes:
        addresses = {(link["ifname"], a["family"], a["local"]) for link in ip_json(node.ns, "addr")
                     for a in link["addr_info"]}
        assert addresses == {("lo", "inet", "127.0.0.1"), ("lo", "inet6", "::1"), ("eth0", "inet6", node.ipv6)}, node.ns
        # No default route in either family: only the pod network and loopback are reachable.
        routes = ip_json(node.ns, "route") + ip_json(node.ns, "-6", "route")
        assert [r["dst"] for r in routes if r.get("dev") == "eth0"] == ["fd00:10::/64"], f"{node.ns}: {routes}"


def test_names_resolve_to_ipv6_only(net):
    a, b = net.nodes[:2]
    net.hosts({"peer.example.svc.cluster.local": b})
    assert getent(net, a, "ahostsv6", "peer.example.svc.cluster.local") == [b.ipv6]
    assert getent(net, a, "ahostsv4", "peer.example.svc.cluster.local") == []
    # resolv.conf points at ::1, where nothing answers: names outside the hosts file do not resolve.
    assert getent(net, a, "ahosts", "deb.debian.org") == []


def test_pods_reach_each_other_over_ipv6(net, tmp_path):
    a, b = net.nodes[:2]
    net.start(b, ["python3", "-c", "import socket, time; s = socket.create_server(('::', 7000), "
                  "family=socket.AF_INET6); time.sleep(60)"], {"PATH": "/usr/bin:/bin"}, tmp_path / "listener.log")
    netns.wait_for(f"test listener in {b.ns}", lambda: net.listening(b, 7000), 10)
    net.accepts(a, b.ipv6, 7000, "test listener")


def test_no_ipv4_path_between_pods(net):
    with pytest.raises(OSError) as caught:
        net.connect(net.nodes[0], "10.244.0.2", 7000).close()
    assert caught.value.errno == errno.ENETUNREACH, caught.value
