"""redis adapter: nothing to edit, checks that catch IPv4-only binds, sentinel found on both paths."""
import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from tests import charts
from tests.chartrun import run_function

ADAPTER = catalog.by_name("redis")
ARCHIVE = "redis-15.3.3"
VERSION = "15.3.3"
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
BASE = next(c.values for c in charts.cases() if c.archive == ARCHIVE and c.variant == "default")
SENTINEL = charts.merge(BASE, {"sentinel": {"enabled": True}})


def env(mode: str) -> dict:
    return engine.environment(plan_mod.from_dict(charts.plan(mode)), charts.RELEASE, charts.NAMESPACE, "redis", ADAPTER, {})


def change(change_id: str):
    return next(c for c in ADAPTER.spec.changes if c.id == change_id)


def failures(change_id: str, objs: list[dict], mode: str = "ipv6", on: str = "values") -> list[str]:
    return [f.message for f in engine.run_checks(ADAPTER, [change(change_id)], objs, env(mode), on)]


def active(mode: str, facts: engine.Facts) -> list[str]:
    plan = plan_mod.from_dict(charts.plan(mode))
    return [c.id for c in engine.active_changes(ADAPTER, VERSION, plan, {}, facts, env(mode))]


@pytest.mark.parametrize("values,expected", [(BASE, 0), (SENTINEL, 1)])
def test_sentinel_fact_agrees_on_both_paths(values, expected):
    objs = charts.render(ARCHIVE, values)
    assert engine.Facts(objects=objs).get(ADAPTER, "sentinel", env("ipv6")) == expected
    assert engine.Facts(values=values).get(ADAPTER, "sentinel", env("ipv6")) == expected


def test_sentinel_fact_defaults_to_the_chart_default():
    assert engine.Facts(values=None).get(ADAPTER, "sentinel", env("ipv6")) == 0


@pytest.mark.parametrize("mode", MODES)
def test_sentinel_changes_only_with_sentinel(mode):
    plain = active(mode, engine.Facts(objects=charts.render(ARCHIVE, BASE)))
    with_sentinel = active(mode, engine.Facts(objects=charts.render(ARCHIVE, SENTINEL)))
    assert plain == ["no-bind-line"]
    expected = ["no-bind-line", "sentinel-no-bind-line"]
    if mode != "ipv6":
        expected.append("sentinel-monitors-ipv4")
    assert with_sentinel == expected


def test_no_change_has_edits():
    # The adapter's claim is that Redis needs nothing: it must stay a data-only proof.
    for c in ADAPTER.spec.changes:
        assert not (c.values or c.patches or c.create), c.id


@pytest.mark.parametrize(
    "user,fails",
    [
        ({"commonConfiguration": "bind 0.0.0.0"}, True),
        ({"master": {"configuration": "bind *"}}, True),
        ({"replica": {"configuration": "  bind 10.0.0.1"}}, True),
        ({"master": {"extraFlags": ["--bind 0.0.0.0"]}}, True),
        ({"replica": {"extraFlags": ["--bind=0.0.0.0"]}}, True),
        ({"commonConfiguration": "bind * -::*"}, False),
        ({"master": {"configuration": "bind 0.0.0.0 ::"}}, False),
        ({"master": {"extraFlags": ["--bind 0.0.0.0 ::"]}}, False),
        ({"commonConfiguration": "# bind 0.0.0.0 is IPv4-only\nappendonly yes"}, False),
    ],
)
def test_no_bind_line_checks_catch_ipv4_only_binds(user, fails):
    objs = charts.render(ARCHIVE, charts.merge(BASE, user))
    assert bool(failures("no-bind-line", objs)) is fails


def test_chart_renders_no_bind_anywhere():
    # The evidence behind the no-op, read from the render itself rather than from the checks.
    for values in (BASE, SENTINEL, charts.merge(BASE, {"architecture": "standalone"})):
        for obj in charts.render(ARCHIVE, values):
            if obj["kind"] == "ConfigMap":
                for key, text in obj.get("data", {}).items():
                    assert "--bind" not in text, (obj["metadata"]["name"], key)
                    assert not any(line.strip().startswith("bind ") for line in text.splitlines()), key


def test_sentinel_bind_check_fails_on_ipv4_only_bind():
    objs = charts.render(ARCHIVE, charts.merge(SENTINEL, {"sentinel": {"configuration": "bind 0.0.0.0"}}))
    assert failures("sentinel-no-bind-line", objs)
    assert not failures("sentinel-no-bind-line", charts.render(ARCHIVE, SENTINEL))


@pytest.mark.parametrize("mode", ["dual-ipv4", "dual-ipv6"])
def test_sentinel_warns_and_needs_a_dual_headless_service(mode):
    rc, output, _ = run_function(charts.render(ARCHIVE, SENTINEL), charts.plan(mode))
    # The adapter's own warning (audit findings on the same scripts start with "[rule-id]").
    warnings = [r["message"] for r in output["results"] if r["severity"] == "warning" and r["message"].startswith("redis:")]
    assert rc == 0 and len(warnings) == 1 and "hostname -i" in warnings[0]
    headless = next(o for o in output["items"] if o["kind"] == "Service" and o["metadata"]["name"] == "rel-redis-headless")
    assert headless["spec"]["ipFamilies"] == charts.PLANS[mode]

    # Without IPv4 on the headless Service (here: excluded from the injector, so no families)
    # the scripts' wait for the pod's IPv4 in DNS cannot be trusted, and the check says so.
    excluded = charts.plan(mode, services={"exclude": [{"kind": "Service", "name": "rel-redis-headless"}]})
    rc, output, _ = run_function(charts.render(ARCHIVE, SENTINEL), excluded)
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and any("sentinel-monitors-ipv4 check failed: spec.ipFamilies" in e for e in errors), errors

    ipv6_only = charts.render(ARCHIVE, SENTINEL)
    svc = next(o for o in ipv6_only if o["kind"] == "Service" and o["metadata"]["name"] == "rel-redis-headless")
    svc["spec"].update(ipFamilyPolicy="SingleStack", ipFamilies=["IPv6"])
    assert failures("sentinel-monitors-ipv4", ipv6_only, mode, "function")


@pytest.mark.parametrize("mode", MODES)
def test_function_path_changes_nothing_but_service_families(mode):
    for values in (BASE, SENTINEL):
        before = charts.render(ARCHIVE, values)
        rc, output, _ = run_function(charts.render(ARCHIVE, values), charts.plan(mode))
        assert rc == 0
        strip = lambda objs: [o for o in objs if o["kind"] != "Service"]  # noqa: E731
        assert strip(output["items"]) == strip(before)
