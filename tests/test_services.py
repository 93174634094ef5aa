"""The Service family injector, one behaviour per test, through the real function."""
import pytest

from tests.chartrun import run_function
from tests.charts import plan


def svc(name, **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ns"}, "spec": spec}


def results(output, severity=None):
    return [r for r in output.get("results", []) if severity is None or r["severity"] == severity]


def by_name(output, name):
    return next(o for o in output["items"] if o["metadata"]["name"] == name)


@pytest.mark.parametrize(
    "mode,policy,families",
    [
        ("ipv4", "SingleStack", ["IPv4"]),
        ("ipv6", "SingleStack", ["IPv6"]),
        ("dual-ipv4", "PreferDualStack", ["IPv4", "IPv6"]),
        ("dual-ipv6", "PreferDualStack", ["IPv6", "IPv4"]),
    ],
)
def test_plain_and_headless_services_get_the_plans_families(mode, policy, families):
    rc, out, _ = run_function([svc("web", ports=[{"port": 80}]), svc("peers", clusterIP="None")], plan(mode))
    assert rc == 0
    for name in ("web", "peers"):
        spec = by_name(out, name)["spec"]
        assert (spec["ipFamilyPolicy"], spec["ipFamilies"]) == (policy, families)
    assert results(out, "info")[-1]["message"] == "Services: 2 changed, 0 kept as they were, 0 skipped"


def test_explicit_policy_in_plan_wins_over_the_default():
    rc, out, _ = run_function([svc("web")], plan("dual-ipv6", ipFamilyPolicy="RequireDualStack"))
    assert rc == 0
    assert by_name(out, "web")["spec"]["ipFamilyPolicy"] == "RequireDualStack"


def test_externalname_never_gets_families_and_loses_existing_ones_with_a_warning():
    clean = svc("clean", type="ExternalName", externalName="example.com")
    dirty = svc("dirty", type="ExternalName", externalName="example.com", ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])
    rc, out, stderr = run_function([clean, dirty], plan("ipv6"))
    assert rc == 0
    assert "ipFamilies" not in by_name(out, "clean")["spec"]
    assert "ipFamilyPolicy" not in by_name(out, "dirty")["spec"] and "ipFamilies" not in by_name(out, "dirty")["spec"]
    warnings = results(out, "warning")
    assert [(w["resourceRef"]["name"], w["field"]["path"], w["field"]["currentValue"]) for w in warnings] == [
        ("dirty", "spec.ipFamilyPolicy", "SingleStack"),
        ("dirty", "spec.ipFamilies", ["IPv4"]),
    ]
    assert stderr.count("krmfn: warning: Service ns/dirty") == 2


def test_existing_fields_are_kept_and_a_conflict_names_field_current_and_proposed():
    rc, out, _ = run_function([svc("ing", type="LoadBalancer", ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])], plan("ipv6"))
    assert rc == 0
    assert by_name(out, "ing")["spec"]["ipFamilies"] == ["IPv4"]
    (warning,) = results(out, "warning")
    assert warning["field"] == {"path": "spec.ipFamilies", "currentValue": ["IPv4"], "proposedValue": ["IPv6"]}
    assert warning["resourceRef"] == {"apiVersion": "v1", "kind": "Service", "name": "ing", "namespace": "ns"}
    assert "1 kept" in results(out, "info")[-1]["message"]


def test_matching_existing_fields_are_kept_silently():
    rc, out, _ = run_function([svc("ok", ipFamilyPolicy="SingleStack", ipFamilies=["IPv6"])], plan("ipv6"))
    assert rc == 0 and results(out, "warning") == []


def test_override_rewrites_and_warns_that_the_primary_family_is_immutable():
    rc, out, _ = run_function(
        [svc("ing", ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])], plan("ipv6", services={"override": True})
    )
    assert rc == 0
    assert by_name(out, "ing")["spec"]["ipFamilies"] == ["IPv6"]
    (warning,) = results(out, "warning")
    assert warning["field"]["path"] == "spec.ipFamilies[0]" and "immutable" in warning["message"]


def test_exclude_selectors_leave_services_alone():
    items = [
        svc("keep-by-name"),
        {**svc("keep-by-label"), "metadata": {"name": "keep-by-label", "namespace": "ns", "labels": {"ipv6": "no"}}},
        svc("change"),
    ]
    exclude = [{"name": "keep-by-name"}, {"labels": {"ipv6": "no"}}]
    rc, out, _ = run_function(items, plan("ipv6", services={"exclude": exclude}))
    assert rc == 0
    assert "ipFamilies" not in by_name(out, "keep-by-name")["spec"]
    assert "ipFamilies" not in by_name(out, "keep-by-label")["spec"]
    assert by_name(out, "change")["spec"]["ipFamilies"] == ["IPv6"]
    assert results(out, "info")[-1]["message"] == "Services: 1 changed, 0 kept as they were, 2 skipped"


@pytest.mark.parametrize("field,address", [("clusterIP", "10.96.0.10"), ("clusterIPs", ["10.96.0.10", "fd00::10"])])
def test_a_pinned_address_of_another_family_is_an_error(field, address):
    rc, out, stderr = run_function([svc("dns", **{field: address})], plan("ipv6"))
    assert rc == 1
    (error,) = results(out, "error")
    assert error["field"]["path"] == ("spec.clusterIP" if field == "clusterIP" else "spec.clusterIPs[0]")
    assert error["field"]["currentValue"] == "10.96.0.10"
    assert "krmfn: error: Service ns/dns" in stderr
    assert len(out["items"]) == 1


def test_a_pinned_address_of_the_primary_family_is_fine():
    rc, out, _ = run_function([svc("dns", clusterIP="fd00::10")], plan("dual-ipv6"))
    assert rc == 0 and by_name(out, "dns")["spec"]["ipFamilies"] == ["IPv6", "IPv4"]


def test_require_dual_stack_on_a_single_stack_plan_is_an_error_except_selectorless_headless():
    items = [
        svc("with-selector", selector={"app": "x"}, ipFamilyPolicy="RequireDualStack"),
        svc("selectorless", clusterIP="None", ipFamilyPolicy="RequireDualStack"),
    ]
    rc, out, _ = run_function(items, plan("ipv6"))
    assert rc == 1
    (error,) = results(out, "error")
    assert error["resourceRef"]["name"] == "with-selector" and error["field"]["path"] == "spec.ipFamilyPolicy"


def test_local_config_and_non_services_are_untouched():
    local = svc("local")
    local["metadata"]["annotations"] = {"config.kubernetes.io/local-config": "true"}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    rc, out, _ = run_function([local, cm], plan("ipv6"))
    assert rc == 0
    assert out["items"] == [local, cm]


def test_a_service_whose_spec_is_a_list_is_an_error_and_is_kept():
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad"}, "spec": [1, 2]}
    rc, out, _ = run_function([bad, svc("good")], plan("ipv6"))
    assert rc == 1
    assert out["items"][0] == bad
    assert results(out, "error")[0]["field"]["path"] == "spec"
    assert out["items"][1]["spec"]["ipFamilies"] == ["IPv6"]
