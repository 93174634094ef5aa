"""networkPolicies: twin — ::/0 beside every 0.0.0.0/0, except entries left where they belong, the rest reported."""
from __future__ import annotations

from tests import charts

from .sinks import run, warnings

TWIN_PLAN = charts.plan("dual-ipv4", networkPolicies="twin")


def policy(ingress=None, egress=None, name: str = "api") -> dict:
    spec: dict = {"podSelector": {}, "policyTypes": []}
    if ingress is not None:
        spec["ingress"], spec["policyTypes"] = ingress, spec["policyTypes"] + ["Ingress"]
    if egress is not None:
        spec["egress"], spec["policyTypes"] = egress, spec["policyTypes"] + ["Egress"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def block(cidr: str, *excepted: str) -> dict:
    return {"ipBlock": {"cidr": cidr, **({"except": list(excepted)} if excepted else {})}}


ANY6 = block("::/0")


def test_twins_ingress_from_and_egress_to():
    pod = {"podSelector": {"matchLabels": {"app": "web"}}}
    [np], results = run([policy(
        ingress=[{"from": [block("0.0.0.0/0"), pod], "ports": [{"port": 443}]}],
        egress=[{"to": [block("0.0.0.0/0")]}],
    )], TWIN_PLAN)
    assert np["spec"]["ingress"][0]["from"] == [block("0.0.0.0/0"), ANY6, pod]
    assert np["spec"]["egress"][0]["to"] == [block("0.0.0.0/0"), ANY6]
    assert warnings(results) == []
    assert {"message": "NetworkPolicies: 1 of 1 given ::/0 twins", "severity": "info"} in results


def test_except_entries_are_not_carried_over():
    """An except must be the same family as its cidr: IPv4 exceptions under ::/0 are rejected."""
    [np], results = run([policy(egress=[{"to": [block("0.0.0.0/0", "169.254.169.254/32", "10.0.0.0/8")]}])], TWIN_PLAN)
    assert np["spec"]["egress"][0]["to"] == [block("0.0.0.0/0", "169.254.169.254/32", "10.0.0.0/8"), ANY6]
    [warning] = warnings(results)
    assert warning["field"]["path"] == "spec.egress[0].to[0].ipBlock.except"
    assert "same family" in warning["message"]


def test_idempotent_and_respects_an_existing_twin():
    once = policy(ingress=[{"from": [block("0.0.0.0/0"), ANY6]}])
    [np], results = run([once], TWIN_PLAN)
    assert np == once
    [again], _ = run([np], TWIN_PLAN)
    assert again == once
    assert {"message": "NetworkPolicies: 0 of 1 given ::/0 twins", "severity": "info"} in results


def test_other_ipv4_cidrs_are_reported_with_their_path():
    [np], results = run([policy(
        ingress=[{"from": [block("10.0.0.0/8")]}, {"from": [block("192.168.0.0/16"), block("fd00::/8")]}],
        egress=[{"to": [{"namespaceSelector": {}}, block("172.16.0.0/12")]}],
    )], TWIN_PLAN)
    assert np["spec"]["ingress"][0]["from"] == [block("10.0.0.0/8")]
    # The second rule already admits IPv6 peers by CIDR: the user has translated it.
    assert sorted(w["field"]["path"] for w in warnings(results)) == [
        "spec.egress[0].to[1].ipBlock.cidr", "spec.ingress[0].from[0].ipBlock.cidr",
    ]
    assert all(w["resourceRef"]["name"] == "api" for w in warnings(results))


def test_off_unless_asked():
    before = policy(ingress=[{"from": [block("0.0.0.0/0")]}])
    [np], results = run([before], charts.plan("dual-ipv4"))
    assert np == before
    assert not any("twin" in r["message"] for r in results)
