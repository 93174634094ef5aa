"""keycloak adapter: JGroups flags merged into the chart's JAVA_OPTS_APPEND, never shadowing it, on both paths.

Function path: the env-vars ConfigMap (and a user's env entry, which shadows it). Values path: 25.3.0+
cache.javaOptsAppendExtra; before, an extraEnvVars JAVA_OPTS_APPEND that repeats the chart's own
-Djgroups.dns.query, proven here equal to the chart's by rendering it (bitnami/charts#34280 is the shape
this must not produce).
"""
import pytest

from krmfn import audit
from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, semver, values
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("keycloak")
ARCHIVES = charts.chart_archives("keycloak")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
IPV6_FIRST = ["ipv6", "dual-ipv6"]
PREFER = ["-Djava.net.preferIPv4Stack=false", "-Djava.net.preferIPv6Addresses=true"]
BIND = "-Djgroups.bind.address=GLOBAL"
FLAGS = [*PREFER, BIND]
CLUSTER = {"replicaCount": 3}

version = charts.version_of


def appends(archive: str) -> bool:
    """cache.javaOptsAppendExtra exists (bitnami/charts#36350, 25.3.0)."""
    return semver.Version.parse(version(archive)) >= semver.Version.parse("25.3.0")


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def with_repeatable(archive: str, extra: dict | None = None) -> dict:
    return charts.merge(charts.repeatable(archive), extra or {})


def java_opts(objs: list[dict]) -> str:
    [cm] = [o for o in objs if o["kind"] == "ConfigMap" and "JAVA_OPTS_APPEND" in (o.get("data") or {})]
    return cm["data"]["JAVA_OPTS_APPEND"]


def keycloak_env(objs: list[dict]) -> list[dict]:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["labels"]["helm.sh/chart"].startswith("keycloak-")]
    [c] = [c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "keycloak"]
    return c.get("env") or []


def env_java_opts(objs: list[dict]) -> list[str]:
    return [e.get("value") for e in keycloak_env(objs) if e["name"] == "JAVA_OPTS_APPEND"]


def headless(objs: list[dict]) -> list[dict]:
    return [o for o in objs if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None"
            and o["metadata"]["labels"]["helm.sh/chart"].startswith("keycloak-")]


def function(archive: str, values_: dict, mode: str, options: dict | None = None) -> dict:
    config = charts.plan(mode, components=[{"adapter": "keycloak", "options": options}]) if options else charts.plan(mode)
    rc, output, _ = run_function(charts.render(archive, values_), config)
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def values_render(archive: str, mode: str, user: dict, **kw) -> tuple[dict, list[dict]]:
    overlay, rendered, failures = values_path(archive, mode, user, **kw)
    assert not failures, failures
    return overlay, rendered


def shadow_hits(objs: list[dict], mode: str) -> list:
    return [h for h in audit.audit(objs, plan(mode)).hits if h.rule.ID == "env-shadows-envfrom"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_merges_the_flags_after_the_chart_s_own(archive, mode):
    objs = charts.render(archive, with_repeatable(archive, CLUSTER))
    chart_words = java_opts(objs).split()
    assert [w.split("=")[0] for w in chart_words] == ["-Djgroups.dns.query"]
    items = function(archive, with_repeatable(archive, CLUSTER), mode)["items"]
    expected = chart_words + FLAGS if mode in IPV6_FIRST else chart_words
    assert java_opts(items).split() == expected
    assert env_java_opts(items) == []  # nothing shadows the ConfigMap
    [sts] = [o for o in items if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "rel-keycloak"]
    rolled = sts["spec"]["template"]["metadata"].get("annotations", {}).get("krmfn.dev/keycloak-jgroups-ipv6")
    assert rolled == ("true" if mode in IPV6_FIRST else None)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_headless_service_is_single_family_on_the_primary(archive, mode):
    items = function(archive, with_repeatable(archive, CLUSTER), mode)["items"]
    primary = charts.plan(mode)["spec"]["ipFamilies"][0]
    [svc] = headless(items)
    assert svc["spec"]["ipFamilyPolicy"] == "SingleStack" and svc["spec"]["ipFamilies"] == [primary]
    # The client Service still follows the plan (the injector), and the postgresql subchart's are not ours.
    [client] = [o for o in items if o["kind"] == "Service" and o["metadata"]["name"] == "rel-keycloak"]
    assert client["spec"]["ipFamilies"] == charts.plan(mode)["spec"]["ipFamilies"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_checks_fail_on_the_unpatched_render(archive):
    objs = charts.render(archive, with_repeatable(archive))
    composed = values.compose(COMP, version(archive), plan("ipv6"), user=with_repeatable(archive))
    b = COMP.binding(version(archive))
    failed = checks.run(COMP, b, composed.intents, objs, composed.env, "function")
    said = " ".join(f.message for f in failed)
    for flag in FLAGS:
        assert flag in said
    assert "headless-primary-family" in said


@pytest.mark.parametrize("mode", IPV6_FIRST)
@pytest.mark.parametrize("archive", ARCHIVES)
@pytest.mark.parametrize("variant", [
    {}, CLUSTER, {"fullnameOverride": "sso"}, {"nameOverride": "kc"}, {"clusterDomain": "k8s.example"},
])
def test_values_path_carries_every_word_of_the_chart_s_value(archive, mode, variant):
    """The proof the issue asks for: the rendered JAVA_OPTS_APPEND equals the chart's own plus the flags."""
    user = with_repeatable(archive, variant)
    for release, namespace in (("rel", "default"), ("keycloak", "apps")):
        chart_words = java_opts(charts.render(archive, user, release=release, namespace=namespace)).split()
        overlay, rendered = values_render(archive, mode, user, release=release, namespace=namespace)
        if appends(archive):
            assert overlay["cache"] == {"javaOptsAppendExtra": " ".join(FLAGS)}
            assert "extraEnvVars" not in overlay
            assert java_opts(rendered).split() == chart_words + FLAGS and env_java_opts(rendered) == []
        else:
            [entry] = overlay["extraEnvVars"]
            assert entry["name"] == "JAVA_OPTS_APPEND" and "{{.Values.clusterDomain}}" in entry["value"]
            [rendered_value] = env_java_opts(rendered)
            assert rendered_value.split() == chart_words + FLAGS
            assert java_opts(rendered).split() == chart_words  # the ConfigMap itself is the chart's
            assert shadow_hits(rendered, mode) == []  # it shadows on purpose, losing nothing


@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_path_writes_nothing_on_dual_ipv4_but_nothing_else_either(archive):
    overlay, rendered = values_render(archive, "dual-ipv4", with_repeatable(archive, CLUSTER))
    assert overlay == {}
    assert env_java_opts(rendered) == []


SHAPE_34280 = {"extraEnvVars": [{"name": "TZ", "value": "UTC"},
                                {"name": "JAVA_OPTS_APPEND", "value": "-Xss2m -Djava.net.preferIPv6Addresses=false"}]}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_users_extra_env_java_opts_is_merged_not_replaced_and_warned(archive):
    user = with_repeatable(archive, SHAPE_34280)
    composed = values.compose(COMP, version(archive), plan("ipv6"), "rel", "default", None, user)
    [warning] = composed.warnings()
    assert "extraEnvVars sets JAVA_OPTS_APPEND" in warning and "#34280" in warning
    overlay, rendered = values_render(archive, "ipv6", user)
    tz, mine = overlay["extraEnvVars"]
    assert tz == {"name": "TZ", "value": "UTC"}  # the user's other entries stay
    # Their flag replaced in place by the IPv6 one, the rest kept; the chart's flag is not invented for them.
    assert mine == {"name": "JAVA_OPTS_APPEND", "value": "-Xss2m -Djava.net.preferIPv6Addresses=true "
                    "-Djava.net.preferIPv4Stack=false -Djgroups.bind.address=GLOBAL"}
    assert env_java_opts(rendered) == [mine["value"]]
    if appends(archive):
        assert overlay["cache"]["javaOptsAppendExtra"] == " ".join(FLAGS)
    # The audit names what the user's value still loses: the chart's -Djgroups.dns.query.
    [hit] = shadow_hits(rendered, "ipv6")
    assert "-Djgroups.dns.query=" in hit.finding.found
    # On the function path the same entry is edited in the render, and the audit says the same.
    output = function(archive, user, "ipv6")
    assert env_java_opts(output["items"]) == [mine["value"]]
    assert [r for r in output["results"] if "[env-shadows-envfrom]" in r["message"]]


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if appends(a)])
def test_a_users_java_opts_append_extra_is_merged(archive):
    user = with_repeatable(archive, {"cache": {"javaOptsAppendExtra": "-Xss2m -Djgroups.bind.address=match-interface:eth0"}})
    overlay, rendered = values_render(archive, "ipv6", user)
    assert overlay["cache"]["javaOptsAppendExtra"] == f"-Xss2m {BIND} {' '.join(PREFER)}"
    # Keep their bind address: the option.
    overlay, _ = values_path(archive, "ipv6", user, options={"jgroupsBindAddress": "keep"})[:2]
    assert overlay["cache"]["javaOptsAppendExtra"] == f"-Xss2m -Djgroups.bind.address=match-interface:eth0 {' '.join(PREFER)}"


@pytest.mark.parametrize("archive", ARCHIVES)
def test_option_keep_adds_no_bind_address(archive):
    items = function(archive, with_repeatable(archive), "ipv6", options={"jgroupsBindAddress": "keep"})["items"]
    assert BIND not in java_opts(items).split() and set(PREFER) <= set(java_opts(items).split())


@pytest.mark.parametrize("archive", ARCHIVES)
def test_local_cache_needs_nothing(archive):
    """cache.enabled=false: one node, no JGroups, and the chart renders no JAVA_OPTS_APPEND."""
    user = with_repeatable(archive, {"cache": {"enabled": False}})
    objs = charts.render(archive, user)
    assert not [o for o in objs if o["kind"] == "ConfigMap" and "JAVA_OPTS_APPEND" in (o.get("data") or {})]
    output = function(archive, user, "ipv6")
    [info] = [r["message"] for r in output["results"] if r["message"].startswith("keycloak adapter")]
    assert "jgroups" not in info and "headless-primary-family" in info
    overlay, _ = values_render(archive, "ipv6", user)
    assert overlay == {}


def test_version_bound_headless_service_on_24():
    archive = next(a for a in ARCHIVES if version(a).startswith("24."))
    user = with_repeatable(archive, {"cache": {"useHeadlessServiceWithAppVersion": True}})
    objs = charts.render(archive, user)
    assert "-headless-ispn-" in java_opts(objs)
    items = function(archive, user, "dual-ipv6")["items"]
    assert java_opts(items).split() == java_opts(objs).split() + FLAGS
    assert len(headless(items)) == 2 and all(s["spec"]["ipFamilies"] == ["IPv6"] for s in headless(items))
    [warning] = values.compose(COMP, version(archive), plan("ipv6"), user=user).warnings()
    assert "useHeadlessServiceWithAppVersion" in warning
    assert not values.compose(COMP, version(archive), plan("ipv6"), user=with_repeatable(archive)).warnings()


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if not appends(a)])
def test_the_dns_query_check_fails_when_the_configmap_lost_it(archive):
    [intent] = [i for i in COMP.adapter.spec.intents if i.id == "chart-dns-query-carried"]
    composed = values.compose(COMP, version(archive), plan("ipv6"), user=with_repeatable(archive))
    objs = charts.render(archive, with_repeatable(archive))
    b = COMP.binding(version(archive))
    assert not checks.run(COMP, b, [intent], objs, composed.env, "function")
    for o in objs:
        if o["kind"] == "ConfigMap" and "JAVA_OPTS_APPEND" in (o.get("data") or {}):
            o["data"]["JAVA_OPTS_APPEND"] = " ".join(FLAGS)
    [failed] = checks.run(COMP, b, [intent], objs, composed.env, "function")
    assert "jgroups" in failed.message and "does not match" in failed.message


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_namespace_override_is_said_where_krmfn_spells_the_namespace(archive):
    user = with_repeatable(archive, {"namespaceOverride": "sso"})
    said = values.compose(COMP, version(archive), plan("ipv6"), "rel", "sso", None, user).warnings()
    if appends(archive):
        assert said == []
        return
    [warning] = said
    assert "namespaceOverride is set" in warning and "sso" in warning
    # Written for the release's namespace, the entry names another namespace than the chart: why it warns.
    _, rendered = values_render(archive, "ipv6", user)
    assert env_java_opts(rendered)[0].split()[0] != java_opts(rendered).split()[0]
    # Told the override's namespace, the entry is the chart's again.
    overlay, rendered = values_render(archive, "ipv6", user, namespace="sso")
    assert env_java_opts(rendered)[0].split() == java_opts(rendered).split() + FLAGS
