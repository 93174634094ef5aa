"""kafka adapter: listeners stay wildcards (a 0.0.0.0 listener is an error naming the file); the plan's Service
families through the chart's values from 31.5.0 (the undeclared service.ipFamilies included) and by the function
path's injector before, with a warning for `krmfn values` there; the unbracketed EXTERNAL advertised listener
warned only with external access; the bundled ZooKeeper (30.x/31.x) covered on both paths."""
from __future__ import annotations

import re
import tarfile

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, semver, values
from krmfn.sdk import objects, paths, yaml12
from tests import chartrun, charts
from tests.chartrun import run_function
from tests.gitops.sinks import helmrelease, run, warnings

COMP = catalog.builtin("kafka")
ARCHIVES = charts.chart_archives("kafka")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
FAMILY_KEYS = ["service", "service.headless", "externalAccess.controller.service", "externalAccess.broker.service",
               "metrics.jmx.service"]


version = charts.version_of


def variant(archive: str, name: str) -> dict:
    [case] = [c for c in charts.cases() if c.archive == archive and c.variant == name]
    return case.values


def chart_file(archive: str, path: str) -> str:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        return tgz.extractfile(f"kafka/{path}").read().decode()


def chart_values(archive: str) -> dict:
    return yaml12.load(chart_file(archive, "values.yaml"))


def has_family_values(archive: str) -> bool:
    """Whether the chart itself has values for Service families (bitnami/charts#31456, 31.5.0)."""
    return paths.get(chart_values(archive), "service.headless.ipFamilies") is not None


FAMILY_VALUES = [a for a in ARCHIVES if has_family_values(a)]
NO_FAMILY_VALUES = [a for a in ARCHIVES if not has_family_values(a)]
WITH_ZOOKEEPER = [a for a in ARCHIVES if "zookeeper" in {c.variant for c in charts.cases() if c.archive == a}]


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def compose(archive: str, mode: str, user: dict | None = None) -> values.Composed:
    return values.compose(COMP, version(archive), plan(mode), charts.RELEASE, charts.NAMESPACE, None, user or {})


def function(archive: str, user: dict, mode: str) -> dict:
    rc, output, _ = run_function(charts.render(archive, user), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def kafka_services(objs: list[dict]) -> list[dict]:
    return [o for o in objs if o["kind"] == "Service" and objects.labels(o).get("helm.sh/chart", "").startswith("kafka-")]


def families(objs: list[dict]) -> dict[str, tuple]:
    """(policy, families) per Service of the kafka chart; families as a tuple, None where absent."""
    return {o["metadata"]["name"]: (o["spec"].get("ipFamilyPolicy"),
                                    tuple(o["spec"]["ipFamilies"]) if "ipFamilies" in o["spec"] else None)
            for o in kafka_services(objs)}


def warned(results: list[dict], text: str) -> list[str]:
    return [r["message"] for r in results if r["severity"] == "warning" and text in r["message"]]


def test_the_ranges_follow_the_chart_s_family_values():
    """service-families applies exactly where the archive's values.yaml has the keys (31.5.0+)."""
    assert FAMILY_VALUES and NO_FAMILY_VALUES
    intent = next(i for i in COMP.adapter.spec.intents if i.id == "service-families")
    for archive in ARCHIVES:
        assert COMP.binding(version(archive)).active(intent) is has_family_values(archive), archive
    assert all(semver.Version.parse(version(a)) >= semver.Version.parse("31.5.0") for a in FAMILY_VALUES)


@pytest.mark.parametrize("archive", FAMILY_VALUES)
def test_the_main_service_keys_are_read_but_not_declared(archive):
    """The fragility the intent's why names: svc.yaml reads service.ipFamilies, values.yaml lacks it."""
    declared = chart_values(archive)["service"]
    assert "ipFamilies" not in declared and "ipFamilyPolicy" not in declared
    assert ".Values.service.ipFamilies" in chart_file(archive, "templates/svc.yaml")


# ---------------------------------------------------------------- Service families


@pytest.mark.parametrize("render", ["default", "cluster", "external", "metrics"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", FAMILY_VALUES)
def test_values_path_sets_the_families_and_helm_renders_them_on_every_service(archive, mode, render):
    user = charts.merge(variant(archive, "cluster"), {"metrics": {"jmx": {"enabled": True}}}) if render == "metrics" \
        else variant(archive, render)
    overlay, rendered, failures = chartrun.values_path(archive, mode, user)
    assert not failures, failures
    want = (plan(mode).policy, tuple(charts.PLANS[mode]))
    for key in FAMILY_KEYS:
        assert paths.get(overlay, f"{key}.ipFamilyPolicy") == want[0], key
        assert paths.get(overlay, f"{key}.ipFamilies") == list(want[1]), key
    # Without the overlay no Service carries a family: every family in the render is the chart's doing from it.
    assert set(families(charts.render(archive, user)).values()) == {(None, None)}
    got = families(rendered)
    assert len(got) >= 2 and set(got.values()) == {want}, got
    if render == "external":
        assert sum(name.endswith("-external") for name in got) == user["broker"]["replicaCount"]
    if render == "metrics":
        assert any(name.endswith("-jmx-metrics") for name in got)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_leaves_the_families_to_the_injector(archive, mode):
    """No adapter edit: every Service gets the plan's families from the injector, and nothing else changes."""
    user = variant(archive, "external")
    output = function(archive, user, mode)
    want = (plan(mode).policy, tuple(charts.PLANS[mode]))
    assert set(families(output["items"]).values()) == {want}
    strip = [o for o in output["items"] if o["kind"] != "Service"]
    assert strip == [o for o in charts.render(archive, user) if o["kind"] != "Service"]


@pytest.mark.parametrize("archive", FAMILY_VALUES)
def test_family_checks_fail_without_the_overlay(archive):
    composed = compose(archive, "dual-ipv6")
    failed = [f.message for f in composed.check(charts.render(archive, variant(archive, "cluster")))]
    assert failed and all("service-families" in m for m in failed)


@pytest.mark.parametrize("archive", NO_FAMILY_VALUES)
def test_before_31_5_the_values_path_says_it_cannot(archive):
    for mode in MODES:
        composed = compose(archive, mode)
        assert composed.overlay == {}
        said = [w for w in composed.warnings() if "no values for Service families" in w]
        assert len(said) == (0 if mode == "ipv6" else 1), said
        if said:
            assert f"kafka {version(archive)}" in said[0] and "#31456" in said[0]
            assert f"{plan(mode).policy} with {plan(mode).primary} first" in said[0]
        # The render asks for no family: the values checks prove it, and they would fail on one that does.
        _, rendered, failures = chartrun.values_path(archive, mode, variant(archive, "cluster"))
        assert not failures and set(families(rendered).values()) == {(None, None)}
        # Keys the chart does not read change nothing in its render.
        pinned = charts.render(archive, charts.merge(variant(archive, "cluster"),
                                                    {"service": {"headless": {"ipFamilies": ["IPv6"]}}}))
        assert set(families(pinned).values()) == {(None, None)}
        # The function path does not say it: its injector sets the families.
        output = function(archive, variant(archive, "cluster"), mode)
        assert not warned(output["results"], "no values for Service families")


@pytest.mark.parametrize("archive", FAMILY_VALUES)
def test_a_users_headless_families_win_with_a_warning_in_a_helmrelease(archive):
    mine = {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}
    user = {"service": {"headless": dict(mine)}}
    [hr], results = run([helmrelease(chart="kafka", version=version(archive), name="events", namespace="kafka",
                                     values=user)], charts.plan("dual-ipv6"))
    kept = hr["spec"]["values"]["service"]
    assert kept["headless"] == mine
    assert kept["ipFamilies"] == ["IPv6", "IPv4"] and kept["ipFamilyPolicy"] == "PreferDualStack"
    said = {w["field"]["path"]: w["message"] for w in warnings(results) if "yours is kept" in w["message"]}
    assert sorted(said) == ["spec.values.service.headless.ipFamilies", "spec.values.service.headless.ipFamilyPolicy"]
    assert all("kafka adapter's" in m for m in said.values())


@pytest.mark.parametrize("archive", FAMILY_VALUES)
def test_a_family_pinned_in_the_render_is_an_error_on_the_function_path(archive):
    """The injector keeps it (a warning); the check says it does not follow the plan; override rewrites it."""
    user = charts.merge(charts.repeatable(archive),
                        {"service": {"headless": {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}}})
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("dual-ipv6"))
    errors = [r for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and errors and all("kafka/service-families check failed" in r["message"] for r in errors)
    assert {r["resourceRef"]["name"] for r in errors} == {n for n, f in families(charts.render(archive, user)).items()
                                                          if f != (None, None)}
    assert len(warned(output["results"], "kept (set services.override: true")) == 2 * len({r["resourceRef"]["name"]
                                                                                            for r in errors})
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("dual-ipv6", services={"override": True}))
    assert rc == 0


# ---------------------------------------------------------------- listeners


def listener_hosts(objs: list[dict]) -> list[str]:
    """The host of every listener on every `listeners=` line of every rendered server.properties."""
    hosts = []
    for o in objs:
        if o["kind"] == "ConfigMap" and "server.properties" in (o.get("data") or {}):
            for line in o["data"]["server.properties"].splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "listeners":
                    hosts += [re.match(r"^[A-Z_]+://(.*):\d+$", url.strip()).group(1) for url in value.split(",")]
    return hosts


@pytest.mark.parametrize("archive", ARCHIVES)
def test_every_chart_listener_is_a_wildcard(archive):
    """The premise of the no-op: in every render the chart writes empty hosts, which Java binds dual-stack."""
    for case in (c for c in charts.cases() if c.archive == archive):
        hosts = listener_hosts(charts.render(archive, case.values))
        assert hosts and set(hosts) == {""}, (case.id, hosts)


OVERRIDES = {
    "0.0.0.0": "CLIENT://0.0.0.0:9092,INTERNAL://:9094,CONTROLLER://:9093",
    "[::]": "CLIENT://[::]:9092,INTERNAL://:9094,CONTROLLER://:9093",
}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_an_ipv4_wildcard_listener_is_an_error_naming_it_on_both_paths(archive):
    base = charts.repeatable(archive)
    bad = charts.merge(base, {"listeners": {"overrideListeners": OVERRIDES["0.0.0.0"]}})
    rc, output, _ = run_function(charts.render(archive, bad), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and any("listeners-wildcard check failed: data[server.properties]" in e for e in errors), errors
    # The audit says it too (ipv4-wildcard-bind); nothing else is wrong with the render.
    assert all("listeners-wildcard" in e or "[ipv4-wildcard-bind]" in e for e in errors), errors
    assert any("[ipv4-wildcard-bind]" in e and "listeners=CLIENT://0.0.0.0:9092" in e for e in errors), errors
    _, _, failures = chartrun.values_path(archive, "ipv6", bad)
    assert failures and all("listeners-wildcard" in f for f in failures), failures
    # `[::]` is a wildcard too.
    good = charts.merge(base, {"listeners": {"overrideListeners": OVERRIDES["[::]"]}})
    function(archive, good, "ipv6")
    assert not chartrun.values_path(archive, "ipv6", good)[2]


@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]])
def test_a_listener_in_secret_config_is_checked_too(archive):
    user = charts.merge(charts.repeatable(archive), {"secretConfig": f"listeners={OVERRIDES['0.0.0.0']}"})
    assert any(o["kind"] == "Secret" and "server-secret.properties" in o.get("data", {}) for o in charts.render(archive, user))
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("dual-ipv4"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and any("listeners-wildcard" in e and "server-secret.properties" in e for e in errors), errors


@pytest.mark.parametrize("archive", ARCHIVES)
def test_an_existing_configmap_is_one_clear_error_naming_it(archive):
    user = charts.merge(charts.repeatable(archive), {"controller": {"existingConfigmap": "my-kafka-config"}})
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1 and "existing-configmap" in errors[0] and "my-kafka-config" in errors[0], errors
    _, _, failures = chartrun.values_path(archive, "ipv6", user)
    assert len(failures) == 1 and "my-kafka-config" in failures[0]


@pytest.mark.parametrize("install", [("kafka", {}), ("shop", {"nameOverride": "events"}),
                                     ("shop", {"fullnameOverride": "queue"})], ids=["like-chart", "name", "fullname"])
@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]])
def test_the_chart_s_own_configmaps_pass_however_installed(archive, install):
    release, extra = install
    user = charts.merge(variant(archive, "cluster"), extra)
    rc, output, _ = run_function(charts.render(archive, user, release=release), charts.plan("ipv6"))
    assert rc == 0 and not [r for r in output["results"] if r["severity"] == "error"]
    _, _, failures = chartrun.values_path(archive, "ipv6", user, release=release)
    assert not failures


# ---------------------------------------------------------------- external access


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_unbracketed_external_listener_is_warned_only_with_external_access(archive, mode):
    external = variant(archive, "external")
    objs = charts.render(archive, external)
    # The premise, from the render: the script appends the host unbracketed, and the hosts are IPv6 here.
    script = "\n".join(s for o in objs for s in _texts(o) if "advertised\\.listeners" in s)
    assert "://${host}:${port}" in script and "[${host}]" not in script
    pods = [paths.get(o, "spec.template.spec") for o in objs if o["kind"] == "StatefulSet"]
    hosts = [e["value"] for pod in pods for c in (pod.get("initContainers") or []) + pod["containers"]
             for e in c.get("env", []) if e["name"] == "EXTERNAL_ACCESS_HOSTS_LIST"]
    assert hosts and all(":" in h for h in hosts)

    said = warned(function(archive, external, mode)["results"], "EXTERNAL://$host:$port")
    assert len(said) == 1 and f"kafka {version(archive)}" in said[0]
    assert not warned(function(archive, variant(archive, "cluster"), mode)["results"], "EXTERNAL://$host:$port")
    assert len([w for w in compose(archive, mode, external).warnings() if "EXTERNAL://$host:$port" in w]) == 1
    assert not [w for w in compose(archive, mode).warnings() if "EXTERNAL://$host:$port" in w]


def _texts(obj: dict) -> list[str]:
    """ConfigMap data and container args: where the chart's scripts are (30.x/31.x and 32.x)."""
    out = [v for v in (obj.get("data") or {}).values() if isinstance(v, str)] if obj["kind"] == "ConfigMap" else []
    pod = paths.get(obj, "spec.template.spec") or {}
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        out += [a for a in c.get("args") or [] if isinstance(a, str)]
    return out


# ---------------------------------------------------------------- the bundled ZooKeeper (30.x, 31.x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", WITH_ZOOKEEPER)
def test_bundled_zookeeper_on_both_paths(archive, mode):
    user = variant(archive, "zookeeper")
    env = "spec.template.spec.containers[name=zookeeper].env[name=ZOO_LISTEN_ALLIPS_ENABLED].value"
    [zk] = [o for o in charts.render(archive, user) if o["kind"] == "StatefulSet" and "zookeeper" in o["metadata"]["name"]]
    assert paths.get(zk, env) == "no" and zk["spec"]["replicas"] > 1
    # Function path: the subchart is its own instance, and the zookeeper adapter edits it.
    output = function(archive, user, mode)
    [zk] = [o for o in output["items"] if o["kind"] == "StatefulSet" and "zookeeper" in o["metadata"]["name"]]
    assert paths.get(zk, env) == "yes"
    assert any(r["message"].startswith("zookeeper adapter on release rel (zookeeper ") for r in output["results"])
    # Values path: this adapter writes the subchart's value, and the check reads the rendered variable.
    overlay, rendered, failures = chartrun.values_path(archive, mode, user)
    assert not failures and overlay["zookeeper"] == {"listenOnAllIPs": True}
    [zk] = [o for o in rendered if o["kind"] == "StatefulSet" and "zookeeper" in o["metadata"]["name"]]
    assert paths.get(zk, env) == "yes"
    assert "zookeeper" not in compose(archive, mode, variant(archive, "cluster")).overlay


def test_32_has_no_zookeeper_subchart():
    newest = ARCHIVES[-1]
    assert newest not in WITH_ZOOKEEPER
    with tarfile.open(charts.archive_path(newest)) as tgz:
        assert not [n for n in tgz.getnames() if n.startswith("kafka/charts/zookeeper/")]
    assert "bundled-zookeeper" in COMP.binding(version(newest)).skip
