"""`krmfn kyverno`: the admission-time twin of the Service injector, valid for the CRD and agreeing with it."""
from __future__ import annotations

import copy
import itertools

import pytest
from click.testing import CliRunner

from krmfn import kyverno, services
from krmfn import plan as plan_mod
from krmfn.commands import cli
from krmfn.sdk import yaml12
from tests import charts

from . import crdschema, kyverno_sim


def svc(name: str, namespace: str = "shop", labels: dict | None = None, **spec) -> dict:
    md = {"name": name, "namespace": namespace, **({"labels": labels} if labels else {})}
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": {"ports": [{"port": 80}], **spec}}


SERVICES = [
    svc("plain"),
    svc("headless", clusterIP="None", selector={"app": "db"}),
    svc("headless-selectorless", clusterIP="None"),
    svc("nodeport", type="NodePort"),
    svc("external", type="ExternalName", externalName="db.example.com"),
    svc("only-policy", ipFamilyPolicy="SingleStack"),
    svc("only-families", ipFamilies=["IPv4"]),
    svc("both", ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"]),
    svc("pinned-v4", clusterIP="10.96.0.50"),
    svc("pinned-v6", clusterIP="fd00::50"),
    svc("pinned-list-v4", clusterIPs=["10.96.0.51"]),
    svc("legacy", namespace="ops"),
    svc("legacy", namespace="shop"),
    svc("labelled", labels={"krmfn.dev/skip": "true"}),
]
EXCLUDE = [{"name": "legacy", "namespace": "ops"}, {"labels": {"krmfn.dev/skip": "true"}}, {"kind": "Deployment"}]
PLANS = {
    "ipv6": charts.plan("ipv6"),
    "dual-ipv4": charts.plan("dual-ipv4"),
    "dual-ipv6": charts.plan("dual-ipv6", ipFamilyPolicy="RequireDualStack"),
    "ipv6-exclude": charts.plan("ipv6", services={"exclude": EXCLUDE}),
    "dual-ipv6-override": charts.plan("dual-ipv6", services={"override": True, "exclude": EXCLUDE}),
}


def families(obj: dict) -> tuple:
    spec = obj.get("spec") or {}
    return spec.get("ipFamilyPolicy"), spec.get("ipFamilies")


@pytest.mark.parametrize("name", PLANS)
def test_policy_is_a_valid_cluster_policy(name):
    policy = kyverno.policy(plan_mod.from_dict(PLANS[name]))
    assert crdschema.errors(policy) == []
    assert policy["spec"]["background"] is False
    rule = policy["spec"]["rules"][0]
    assert rule["match"]["any"] == [{"resources": {"kinds": ["Service"], "operations": ["CREATE"]}}]


CASES = list(itertools.product(PLANS, SERVICES))


@pytest.mark.parametrize(("name", "service"), CASES,
                         ids=[f"{p}-{s['metadata']['namespace']}-{s['metadata']['name']}" for p, s in CASES])
def test_policy_and_injector_agree(name, service):
    """What Kyverno would admit is what the render-time injector writes, Service by Service."""
    plan = plan_mod.from_dict(PLANS[name])
    admitted = kyverno_sim.admit(kyverno.policy(plan), service)
    rendered = copy.deepcopy(service)
    services.inject([rendered], plan)
    assert families(admitted) == families(rendered)


def test_schema_check_catches_a_broken_policy():
    """The structural check is not vacuous: a typo and a bad enum value fail it."""
    policy = kyverno.policy(plan_mod.from_dict(PLANS["ipv6"]))
    policy["spec"]["rules"][0]["match"]["any"][0]["resources"]["operations"] = ["MUTATE"]
    policy["spec"]["backgroud"] = True
    assert len(crdschema.errors(policy)) == 2


def test_update_is_never_mutated():
    """ipFamilies[0] of a live Service is immutable: admission only touches new Services."""
    plan = plan_mod.from_dict(PLANS["dual-ipv6-override"])
    plain = svc("plain")
    assert kyverno_sim.admit(kyverno.policy(plan), plain, "UPDATE") == plain


def test_preconditions_read_as_intended():
    rule = kyverno.policy(plan_mod.from_dict(PLANS["dual-ipv4"]))["spec"]["rules"][0]
    conds = {c["key"]: (c["operator"], c["value"]) for c in rule["preconditions"]["all"]}
    assert conds["{{ request.object.spec.type || 'ClusterIP' }}"] == ("NotEquals", "ExternalName")
    # Neither field set, judged together: one anchor per field would fill in the other one.
    assert conds["{{ request.object.spec.ipFamilyPolicy || '' }}"] == ("Equals", "")
    assert conds["{{ length(request.object.spec.ipFamilies || `[]`) }}"] == ("Equals", 0)
    # An IPv4-first plan leaves Services pinned to IPv6 addresses alone, and the other way round.
    assert conds["{{ contains(request.object.spec.clusterIP || '', ':') }}"] == ("Equals", False)
    assert not any("+(" in k for k in yaml12.dump(rule["mutate"]).split())
    assert rule["mutate"]["patchStrategicMerge"] == {"spec": {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4", "IPv6"]}}


def test_override_drops_the_not_set_preconditions():
    rule = kyverno.policy(plan_mod.from_dict(PLANS["dual-ipv6-override"]))["spec"]["rules"][0]
    keys = [c["key"] for c in rule["preconditions"]["all"]]
    assert not any("ipFamilyPolicy" in k or "ipFamilies" in k for k in keys)
    assert any("ExternalName" == c["value"] for c in rule["preconditions"]["all"])


def test_exclusions_map_to_kyverno_filters():
    rule = kyverno.policy(plan_mod.from_dict(PLANS["ipv6-exclude"]))["spec"]["rules"][0]
    assert rule["exclude"] == {"any": [
        {"resources": {"kinds": ["Service"], "names": ["legacy"], "namespaces": ["ops"]}},
        {"resources": {"kinds": ["Service"], "selector": {"matchLabels": {"krmfn.dev/skip": "true"}}}},
    ]}
    assert "exclude" not in kyverno.policy(plan_mod.from_dict(PLANS["ipv6"]))["spec"]["rules"][0]


def test_cli_prints_the_policy(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml12.dump(PLANS["ipv6-exclude"]))
    result = CliRunner().invoke(cli, ["kyverno", "--plan", str(path)])
    assert result.exit_code == 0, result.output
    assert yaml12.load(result.output) == kyverno.policy(plan_mod.from_dict(PLANS["ipv6-exclude"]))


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("apiVersion: krmfn.dev/v1alpha1\nkind: IPv6Plan\nspec: {ipFamilies: [IPv7]}\n", "spec.ipFamilies[0]"),
])
def test_cli_rejects_a_bad_plan(tmp_path, content, message):
    path = tmp_path / "plan.yaml"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(cli, ["kyverno", "--plan", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "ClusterPolicy" not in result.output
