import pytest

from audit_support import DUAL_IPV4, IPV4, IPV6, hits

RULE = "require-dual-stack"


def service(**spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"}, "spec": spec}


@pytest.mark.parametrize("plan", [IPV6, IPV4])
def test_single_stack_plans(plan):
    [hit] = hits([service(selector={"app": "db"}, ipFamilyPolicy="RequireDualStack")], RULE, plan)
    assert (hit.finding.path, hit.finding.proposed) == ("spec.ipFamilyPolicy", "PreferDualStack")


def test_headless_with_selector_is_not_exempt():
    assert len(hits([service(clusterIP="None", selector={"app": "db"}, ipFamilyPolicy="RequireDualStack")], RULE)) == 1


@pytest.mark.parametrize("objs, plan", [
    ([service(clusterIP="None", ipFamilyPolicy="RequireDualStack")], IPV6),  # selector-less headless
    ([service(selector={"app": "db"}, ipFamilyPolicy="RequireDualStack")], DUAL_IPV4),
    ([service(selector={"app": "db"}, ipFamilyPolicy="PreferDualStack")], IPV6),
])
def test_not_a_hit(objs, plan):
    assert hits(objs, RULE, plan) == []
