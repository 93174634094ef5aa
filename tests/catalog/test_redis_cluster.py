"""redis-cluster adapter: a single-family headless Service on the primary family; no-op checks that can fail."""
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from krmfn.sdk import paths
from tests import charts
from tests.chartrun import run_function

ADAPTER = catalog.by_name("redis-cluster")
ARCHIVE = "redis-cluster-7.4.6"
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
BASE = next(c.values for c in charts.cases() if c.archive == ARCHIVE and c.variant == "default")
METRICS = charts.merge(BASE, {"metrics": {"enabled": True}})


def env(mode: str) -> dict:
    plan = plan_mod.from_dict(charts.plan(mode))
    return engine.environment(plan, charts.RELEASE, charts.NAMESPACE, "redis-cluster", ADAPTER, {})


def change(change_id: str):
    return next(c for c in ADAPTER.spec.changes if c.id == change_id)


def failures(change_id: str, objs: list[dict], mode: str = "ipv6", on: str = "values") -> list[str]:
    return [f.message for f in engine.run_checks(ADAPTER, [change(change_id)], objs, env(mode), on)]


def service(objs: list[dict], name: str) -> dict:
    return next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == name)


def statefulset(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "StatefulSet")


@pytest.mark.parametrize("mode", MODES)
def test_headless_service_single_family_on_primary(mode):
    rc, output, _ = run_function(charts.render(ARCHIVE, BASE), charts.plan(mode))
    assert rc == 0
    families = charts.PLANS[mode]
    headless = service(output["items"], "rel-redis-cluster-headless")["spec"]
    assert headless["ipFamilyPolicy"] == "SingleStack"
    assert headless["ipFamilies"] == families[:1]
    # The client Service is left to the injector, which follows the plan.
    assert service(output["items"], "rel-redis-cluster")["spec"]["ipFamilies"] == families


def test_headless_checks_can_fail():
    plain = charts.render(ARCHIVE, BASE)
    assert len(failures("headless-primary-family", plain, "dual-ipv6", "function")) == 2
    # A dual-stack headless Service (what the injector alone would write) fails the function checks.
    dual = copy.deepcopy(plain)
    service(dual, "rel-redis-cluster-headless")["spec"].update(ipFamilyPolicy="PreferDualStack", ipFamilies=["IPv6", "IPv4"])
    assert len(failures("headless-primary-family", dual, "dual-ipv6", "function")) == 2
    # ... and a render that already carries families fails the values check.
    assert failures("headless-primary-family", dual, "dual-ipv6", "values")
    assert not failures("headless-primary-family", plain, "dual-ipv6", "values")


@pytest.mark.parametrize(
    "user",
    [
        {"redis": {"args": ["redis-server", "/opt/bitnami/redis/etc/redis.conf"]}},
        {"redis": {"extraEnvVars": [{"name": "REDIS_ALLOW_REMOTE_CONNECTIONS", "value": "no"}]}},
    ],
)
def test_bind_rewrite_checks_fail_without_the_image_setup(user):
    assert not failures("bind-rewritten-by-image", charts.render(ARCHIVE, BASE))
    assert failures("bind-rewritten-by-image", charts.render(ARCHIVE, charts.merge(BASE, user)))


def test_chart_config_binds_loopback_only():
    # The evidence: without the image's rewrite this config would listen on 127.0.0.1 alone.
    cm = next(o for o in charts.render(ARCHIVE, BASE) if o["metadata"]["name"] == "rel-redis-cluster-default")
    binds = [line for line in cm["data"]["redis-default.conf"].splitlines() if line.startswith("bind ")]
    assert binds == ["bind 127.0.0.1"]


@pytest.mark.parametrize("values,expected", [(BASE, 0), (METRICS, 1)])
def test_metrics_fact_agrees_on_both_paths(values, expected):
    objs = charts.render(ARCHIVE, values)
    assert engine.Facts(objects=objs).get(ADAPTER, "metrics", env("ipv6")) == expected
    assert engine.Facts(values=values).get(ADAPTER, "metrics", env("ipv6")) == expected


@pytest.mark.parametrize("mode", MODES)
def test_metrics_loopback_checked_only_with_metrics(mode):
    rc, output, _ = run_function(charts.render(ARCHIVE, METRICS), charts.plan(mode))
    info = next(r["message"] for r in output["results"] if "redis-cluster adapter on release" in r["message"])
    assert rc == 0 and "metrics-loopback" in info
    rc, output, _ = run_function(charts.render(ARCHIVE, BASE), charts.plan(mode))
    info = next(r["message"] for r in output["results"] if "redis-cluster adapter on release" in r["message"])
    assert rc == 0 and "metrics-loopback" not in info


def test_metrics_check_can_fail():
    objs = charts.render(ARCHIVE, METRICS)
    assert not failures("metrics-loopback", objs)
    paths.set(statefulset(objs), "spec.template.spec.containers[name=metrics].env[name=REDIS_ADDR].value", "redis://fd00::1:6379")
    assert failures("metrics-loopback", objs)


@pytest.mark.parametrize("mode,warned", [("ipv6", True), ("dual-ipv4", False), ("dual-ipv6", True)])
def test_redirect_warning_when_nodes_announce_ipv6(mode, warned):
    _, output, _ = run_function(charts.render(ARCHIVE, BASE), charts.plan(mode))
    warnings = [r["message"] for r in output["results"] if r["severity"] == "warning"]
    assert any("go-redis >= 9.5.2" in w for w in warnings) is warned


def test_function_path_touches_only_services():
    before = charts.render(ARCHIVE, METRICS)
    _, output, _ = run_function(charts.render(ARCHIVE, METRICS), charts.plan("dual-ipv6"))
    strip = lambda objs: [o for o in objs if o["kind"] != "Service"]  # noqa: E731
    assert strip(output["items"]) == strip(before)
