"""spec.verify.coreDNS: one line added to the main server block of kube-system/coredns, nothing else."""
from __future__ import annotations

import pytest

from krmfn import coredns
from tests import charts

from .sinks import run

# kubeadm's Corefile, as `kubectl -n kube-system get cm coredns -o yaml` shows it.
KUBEADM = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""
LINE = "    rewrite stop type A AAAA\n"


def configmap(corefile: str = KUBEADM, name: str = "coredns", namespace: str = "kube-system") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"Corefile": corefile}}


def verify_plan(mode: str = "ipv6") -> dict:
    return charts.plan(mode, verify={"coreDNS": True})


def test_adds_one_line_to_the_main_block():
    [cm], results = run([configmap()], verify_plan())
    after = cm["data"]["Corefile"]
    assert after == KUBEADM.replace(".:53 {\n", ".:53 {\n" + LINE, 1)
    assert [r for r in results if r["severity"] != "info"] == []
    assert any("added `rewrite stop type A AAAA`" in r["message"] for r in results)


def test_never_twice():
    [cm], _ = run([configmap()], verify_plan())
    [again], results = run([cm], verify_plan())
    assert again == cm
    assert any("already in the main server block" in r["message"] for r in results)


@pytest.mark.parametrize("present", ["    rewrite stop type A AAAA  # forced IPv6\n", "\trewrite continue type A AAAA\n"])
def test_existing_rewrite_counts(present):
    text = KUBEADM.replace("    errors\n", "    errors\n" + present)
    assert coredns.rewrite(text) == (text, "present")


def test_other_blocks_and_nested_rewrites_are_not_the_main_block():
    text = "example.org:53 {\n  rewrite stop type A AAAA\n}\n" + KUBEADM
    new, what = coredns.rewrite(text)
    assert what == "added"
    assert new == text.replace(".:53 {\n", ".:53 {\n" + LINE, 1)


def test_keeps_crlf_and_tab_indentation():
    text = ".:53 {\r\n\terrors\r\n\tforward . /etc/resolv.conf\r\n}\r\n"
    assert coredns.rewrite(text) == (".:53 {\r\n\trewrite stop type A AAAA\r\n\terrors\r\n\tforward . /etc/resolv.conf\r\n}\r\n", "added")


@pytest.mark.parametrize("key", [". {", "dns://.:53 {", ".:53 cluster.local:53 {"])
def test_root_zone_spellings(key):
    assert coredns.rewrite(f"{key}\n  errors\n}}\n")[1] == "added"


def test_no_main_block_is_a_warning_and_untouched():
    text = "cluster.local:53 {\n    errors\n}\n.:5353 {\n    errors\n}\n"
    [cm], results = run([configmap(text)], verify_plan())
    assert cm["data"]["Corefile"] == text
    assert [r["severity"] for r in results if "coreDNS" in r["message"]] == ["warning"]


@pytest.mark.parametrize("mode", ["dual-ipv6", "dual-ipv4", "ipv4"])
def test_not_ipv6_only_warns_but_patches(mode):
    [cm], results = run([configmap()], verify_plan(mode))
    assert LINE in cm["data"]["Corefile"]
    [warning] = [r for r in results if r["severity"] == "warning"]
    assert warning["field"]["path"] == "data.Corefile" and mode in warning["message"] and "IPv4" in warning["message"]


def test_absent_configmap_is_info():
    other = configmap(name="coredns", namespace="dns")
    [cm], results = run([other], verify_plan())
    assert cm == other
    assert {"message": "verify.coreDNS: no ConfigMap kube-system/coredns in the input: nothing patched", "severity": "info"} in results


def test_off_unless_asked():
    [cm], results = run([configmap()], charts.plan("ipv6"))
    assert cm == configmap()
    assert not any("coreDNS" in r["message"] for r in results)
