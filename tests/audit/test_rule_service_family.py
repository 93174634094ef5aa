import pytest

from audit_support import DUAL_IPV4, DUAL_IPV6, IPV4, IPV6, chart, hits

RULE = "service-family"


def service(**spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}}


@pytest.mark.parametrize("families, plan, proposed", [
    (["IPv4"], IPV6, ["IPv6"]),
    (["IPv6"], IPV4, ["IPv4"]),
    (["IPv6", "IPv4"], IPV6, ["IPv6"]),
])
def test_family_the_plan_lacks(families, plan, proposed):
    [hit] = hits([service(ipFamilyPolicy="SingleStack", ipFamilies=families)], RULE, plan)
    assert (hit.severity, hit.finding.path) == ("error", "spec.ipFamilies")
    assert (hit.finding.current, hit.finding.proposed) == (families, proposed)
    assert "the API server rejects the Service" in hit.message


def test_primary_differs():
    [hit] = hits([service(ipFamilyPolicy="PreferDualStack", ipFamilies=["IPv4", "IPv6"])], RULE, DUAL_IPV6)
    assert hit.severity == "warning"
    assert hit.finding.proposed == ["IPv6", "IPv4"]
    assert "immutable" in hit.message


@pytest.mark.parametrize("path, spec", [
    ("spec.clusterIP", {"clusterIP": "10.96.0.10"}),
    ("spec.clusterIPs[1]", {"clusterIP": "fd00::a", "clusterIPs": ["fd00::a", "10.96.0.10"]}),
])
def test_pinned_address_of_a_missing_family(path, spec):
    [hit] = hits([service(**spec)], RULE, IPV6)
    assert hit.finding.path == path


@pytest.mark.parametrize("spec, plan", [
    ({}, IPV6),
    ({"ipFamilies": ["IPv6"]}, IPV6),
    ({"ipFamilies": ["IPv4"]}, DUAL_IPV4),
    ({"ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "PreferDualStack"}, DUAL_IPV4),
    ({"clusterIP": "None"}, IPV6),
    ({"clusterIP": "fd00::a"}, DUAL_IPV4),
    ({"type": "ExternalName", "externalName": "db.example.com", "ipFamilies": ["IPv4"]}, IPV6),
])
def test_not_a_hit(spec, plan):
    assert hits([service(**spec)], RULE, plan) == []


def test_not_services():
    obj = {"apiVersion": "example.com/v1", "kind": "Service", "metadata": {"name": "x"},
           "spec": {"ipFamilies": ["IPv4"]}}
    assert hits([obj], RULE) == []


def test_single_stack_on_a_dual_stack_plan():
    [hit] = hits([service(ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])], RULE, DUAL_IPV4)
    assert (hit.severity, hit.finding.path, hit.finding.proposed) == ("warning", "spec.ipFamilyPolicy", "PreferDualStack")
    # headless: one family for peer discovery is a choice (krmfn's redis-cluster adapter makes it)
    assert hits([service(ipFamilyPolicy="SingleStack", clusterIP="None")], RULE, DUAL_IPV4) == []
    assert hits([service(ipFamilyPolicy="SingleStack")], RULE, IPV6) == []


def test_ingress_nginx_chart():
    [hit] = hits(chart("ingress-nginx-4.1.2"), RULE)
    assert hit.obj["metadata"]["name"] == "rel-ingress-nginx-controller"
    assert hit.finding.current == ["IPv4"]
    assert [h.finding.path for h in hits(chart("ingress-nginx-4.1.2"), RULE, DUAL_IPV4)] == ["spec.ipFamilyPolicy"]
    assert hits(chart("ingress-nginx-4.1.2"), RULE, IPV4) == []
