import pytest

from audit_support import DUAL_IPV4, IPV4, IPV6, hits, load

RULE = "netpol-ipv4-any"

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: default}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: db}}
    - ipBlock: {cidr: 0.0.0.0/0}
"""


def test_any_ipv4_without_any_ipv6():
    [hit] = hits(POLICY, RULE)
    assert hit.finding.path == "spec.egress[0].to"
    assert hit.finding.proposed[-1] == {"ipBlock": {"cidr": "::/0"}}
    assert hit.finding.proposed[:-1] == hit.finding.current
    assert hit.severity == "error"


def test_except_ranges_block_the_mechanical_fix():
    text = POLICY.replace("{cidr: 0.0.0.0/0}", "{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}")
    [hit] = hits(text, RULE)
    assert hit.result().to_dict()["field"] == {"path": "spec.egress[0].to"}
    assert "except" in hit.finding.fix


def test_ingress():
    text = POLICY.replace("policyTypes: [Egress]", "policyTypes: [Ingress]").replace("egress:", "ingress:") \
        .replace("- to:", "- from:")
    assert [h.finding.path for h in hits(text, RULE)] == ["spec.ingress[0].from"]


WITH_ANY6 = POLICY.replace("    - ipBlock: {cidr: 0.0.0.0/0}", "    - ipBlock: {cidr: 0.0.0.0/0}\n    - ipBlock: {cidr: '::/0'}")


@pytest.mark.parametrize("text, plan", [(WITH_ANY6, IPV6), (POLICY.replace("0.0.0.0/0", "10.0.0.0/8"), IPV6),
                                        (POLICY, IPV4)])
def test_not_a_hit(text, plan):
    assert hits(text, RULE, plan) == []


def test_dual_stack_ipv4_first_is_a_warning():
    assert [h.severity for h in hits(POLICY, RULE, DUAL_IPV4)] == ["warning"]


def test_other_kinds_are_ignored():
    objs = load(POLICY.replace("networking.k8s.io/v1", "crd.projectcalico.org/v1"))
    assert hits(objs, RULE) == []
