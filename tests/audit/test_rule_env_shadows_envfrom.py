"""env-shadows-envfrom: an env entry hides the same variable from an envFrom source (bitnami/charts#34280)."""
import base64

import pytest
from audit_support import chart, configmap, container, env, hits, workload

from krmfn.plan import from_dict
from tests import charts
from tests.chartrun import run_function

RULE = "env-shadows-envfrom"
USERS_FLAG = "-Djava.net.preferIPv6Addresses=true"
SHAPE_34280 = ("extraEnvVars[0].name=JAVA_OPTS_APPEND", f"extraEnvVars[0].value={USERS_FLAG}")
KEYCLOAK = charts.chart_archives("keycloak")


def env_from(*refs: dict) -> list[dict]:
    return list(refs)


def cm_ref(name: str = "config", **extra) -> dict:
    return {"configMapRef": {"name": name, **{k: v for k, v in extra.items() if k == "optional"}},
            **{k: v for k, v in extra.items() if k == "prefix"}}


def secret(name: str = "creds", **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def keycloak_container(objs: list[dict]) -> dict:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["labels"]["helm.sh/chart"].startswith("keycloak-")]
    return sts["spec"]["template"]["spec"]["containers"][0]


def java_opts_configmap(objs: list[dict]) -> str:
    [cm] = [o for o in objs if o["kind"] == "ConfigMap" and "JAVA_OPTS_APPEND" in (o.get("data") or {})]
    return cm["data"]["JAVA_OPTS_APPEND"]


@pytest.mark.parametrize("archive", KEYCLOAK)
def test_the_34280_shape_names_container_variable_and_what_is_lost(archive):
    objs = chart(archive, *SHAPE_34280)
    shadowed = java_opts_configmap(objs)
    assert shadowed.startswith("-Djgroups.dns.query=")
    [hit] = hits(objs, RULE)
    assert hit.severity == "warning"
    index = next(i for i, e in enumerate(keycloak_container(objs)["env"]) if e["name"] == "JAVA_OPTS_APPEND")
    assert hit.finding.path == f"spec.template.spec.containers[0].env[{index}]"
    found = hit.finding.found
    assert "container keycloak" in found and "env JAVA_OPTS_APPEND" in found
    assert "ConfigMap rel-keycloak-env-vars key JAVA_OPTS_APPEND (envFrom[0])" in found
    assert f"losing `{shadowed}`" in found
    # The chart's own render, without the user's entry, is clean.
    assert hits(chart(archive), RULE) == []


@pytest.mark.parametrize("archive", KEYCLOAK)
def test_after_krmfn_it_still_says_the_chart_s_flag_is_lost(archive):
    """krmfn merges the IPv6 flags into the user's entry; the chart's -Djgroups.dns.query is still missing."""
    rc, output, _ = run_function(chart(archive, *SHAPE_34280), charts.plan("ipv6"))
    assert rc == 0
    items = output["items"]
    [user] = [e for e in keycloak_container(items)["env"] if e["name"] == "JAVA_OPTS_APPEND"]
    assert USERS_FLAG in user["value"].split() and "-Djava.net.preferIPv4Stack=false" in user["value"].split()
    dns_query = next(w for w in java_opts_configmap(items).split() if w.startswith("-Djgroups.dns.query="))
    [hit] = hits(items, RULE, from_dict(charts.plan("ipv6")))
    assert hit.finding.found.endswith(f"losing `{dns_query}`")
    assert [r for r in output["results"] if f"[{RULE}]" in r["message"]]


@pytest.mark.parametrize("archive", KEYCLOAK)
def test_a_value_that_carries_the_chart_s_words_is_quiet(archive):
    """The design: nothing is lost when every word of the shadowed value is in the env value."""
    shadowed = java_opts_configmap(chart(archive))
    carried = ("extraEnvVars[0].name=JAVA_OPTS_APPEND", f"extraEnvVars[0].value={USERS_FLAG} {shadowed}")
    assert hits(chart(archive, *carried), RULE) == []


def test_prefix_is_part_of_the_variable_name():
    cm = configmap("config", MODE="fast")
    prefixed = workload(container(env=env(APP_MODE="slow"), envFrom=env_from(cm_ref("config", prefix="APP_"))))
    [hit] = hits([prefixed, cm], RULE)
    assert "env APP_MODE shadows ConfigMap config key MODE (envFrom[0]), losing `fast`" in hit.finding.found
    # Without the prefix the names differ: MODE from envFrom, APP_MODE from env, nothing shadowed.
    unprefixed = workload(container(env=env(APP_MODE="slow"), envFrom=env_from(cm_ref("config"))))
    assert hits([unprefixed, cm], RULE) == []


def test_missing_or_optional_source_is_no_finding():
    """A source not in the input may not exist (optional) or be another release's: its keys are unknown."""
    for ref in (cm_ref("elsewhere"), cm_ref("elsewhere", optional=True)):
        assert hits([workload(container(env=env(MODE="slow"), envFrom=env_from(ref)))], RULE) == []


def test_optional_source_present_still_counts():
    cm = configmap("config", MODE="fast")
    w = workload(container(env=env(MODE="slow"), envFrom=env_from(cm_ref("config", optional=True))))
    assert len(hits([w, cm], RULE)) == 1


def test_secret_value_is_never_quoted():
    w = workload(container(env=env(PASSWORD="mine"), envFrom=env_from({"secretRef": {"name": "creds"}})))
    [hit] = hits([w, secret("creds", PASSWORD="s3cret")], RULE)
    assert "Secret creds key PASSWORD" in hit.finding.found and "s3cret" not in hit.finding.found
    assert "losing" not in hit.finding.found


def test_value_from_cannot_be_compared_and_is_reported():
    cm = configmap("config", POD_IP="")
    w = workload(container(env=[{"name": "MODE", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                           envFrom=env_from(cm_ref("config"))))
    assert hits([w, configmap("config", MODE="fast")], RULE)
    assert hits([w, cm], RULE) == []  # no MODE key in that ConfigMap


def test_the_last_envfrom_source_is_the_one_shadowed():
    first, second = configmap("a", MODE="one"), configmap("b", MODE="two")
    w = workload(container(env=env(MODE="mine"), envFrom=env_from(cm_ref("a"), cm_ref("b"))))
    [hit] = hits([w, first, second], RULE)
    assert "ConfigMap b key MODE (envFrom[1]), losing `two`" in hit.finding.found


def test_another_namespace_s_configmap_is_not_the_source():
    cm = configmap("config", MODE="fast")
    cm["metadata"]["namespace"] = "other"
    w = workload(container(env=env(MODE="slow"), envFrom=env_from(cm_ref("config"))))
    assert hits([w, cm], RULE) == []


def test_equal_value_is_quiet_and_each_container_is_its_own():
    cm = configmap("config", MODE="fast")
    same = container("same", env=env(MODE="fast"), envFrom=env_from(cm_ref("config")))
    other = container("other", env=env(MODE="slow"))  # loads nothing through envFrom
    assert hits([workload(same, other), cm], RULE) == []
