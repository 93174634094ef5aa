from audit_support import IPV4, hits

RULE = "netpol-except-family"

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: internet}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12]}
    - ipBlock: {cidr: '::/0', except: [10.0.0.0/8, 'fd00::/8']}
"""


def test_except_of_the_other_family():
    [hit] = hits(POLICY, RULE)
    assert hit.finding.path == "spec.egress[0].to[1].ipBlock.except[0]"
    assert hit.finding.found == "except 10.0.0.0/8 in cidr ::/0"
    assert "IPv4 ipBlock" in hit.finding.fix


def test_any_plan():
    assert len(hits(POLICY, RULE, IPV4)) == 1


def test_not_a_hit():
    good = POLICY.replace("except: [10.0.0.0/8, 'fd00::/8']", "except: ['fd00::/8']")
    assert hits(good, RULE) == []
    assert hits(POLICY.replace("cidr: '::/0'", "cidr: not-a-cidr"), RULE) == []
