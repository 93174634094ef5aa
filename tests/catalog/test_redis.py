"""redis adapter: nothing to edit in Redis, checks that catch IPv4-only binds, sentinel found on both paths,
and, only where the chart's scripts still pick IPv4 (before 15.7.2), an IPv4-only headless Service for
sentinel on dual-stack (function path) and the warning that says what to do on the values path."""
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, engine, values
from krmfn.adapters.detect import instances
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("redis")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ARCHIVES = sorted((a for a in charts.archives() if a.rsplit("-", 1)[0] == "redis"),
                  key=lambda a: tuple(int(x) for x in a.rsplit("-", 1)[1].split(".")))
PINNED = "redis-15.3.3"
NEWEST = charts.newest("redis")
MONITORS = next(i for i in COMP.adapter.spec.intents if i.id == "sentinel-monitors-ipv4")
# The archives whose range keeps the sentinel IPv4 intent (below 15.7.2, bitnami/charts#8563), and the rest.
IPV4_PICK = [a for a in ARCHIVES if COMP.binding(a.rsplit("-", 1)[1]).active(MONITORS)]
NAMES_ONLY = [a for a in ARCHIVES if a not in IPV4_PICK]


def version(archive: str) -> str:
    return archive.rsplit("-", 1)[1]


def base(archive: str) -> dict:
    return next(c.values for c in charts.cases() if c.archive == archive and c.variant == "default")


def sentinel(archive: str) -> dict:
    return charts.merge(base(archive), {"sentinel": {"enabled": True}})


def standalone(archive: str) -> dict:
    return charts.merge(base(archive), {"architecture": "standalone"})


def intent(intent_id: str):
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def composed(archive: str, mode: str = "ipv6", user: dict | None = None):
    return values.compose(COMP, version(archive), plan(mode), charts.RELEASE, charts.NAMESPACE, user=user or {})


def failures(intent_id: str, objs: list[dict], archive: str, mode: str = "ipv6", on: str = "values") -> list[str]:
    env = composed(archive, mode).env
    b = COMP.binding(version(archive))
    return [r.message for r in checks.run(COMP, b, [intent(intent_id)], objs, env, on)]


def function_fact(archive: str, objs: list[dict]) -> int:
    [inst] = instances(objs)
    return engine._fact(COMP.binding(version(archive)), "sentinel", inst, "redis")


def active_ids(archive: str, mode: str, user: dict) -> list[str]:
    return [i.id for i in composed(archive, mode, user).intents]


def test_ranges_split_where_the_scripts_stop_picking_ipv4():
    # The pinned archive keeps `hostname -i`; every newer archive announces DNS names.
    assert IPV4_PICK == [PINNED]
    assert NAMES_ONLY == [a for a in ARCHIVES if a != PINNED] and NAMES_ONLY
    assert [b.versions for b in COMP.bindings] == [">=15.0.0 <15.7.2", ">=15.7.2"]
    for archive in IPV4_PICK:
        scripts = _scripts(charts.render(archive, sentinel(archive)))
        assert "hostname -i" in scripts["start-node.sh"] and "hostname -i" in scripts["start-sentinel.sh"]
    for archive in NAMES_ONLY:
        scripts = _scripts(charts.render(archive, sentinel(archive)))
        assert "hostname -i" not in scripts["start-node.sh"] + scripts["start-sentinel.sh"], archive
        assert "sentinel announce-hostnames yes" in scripts["start-sentinel.sh"], archive


def _scripts(objs: list[dict]) -> dict:
    return next(o["data"] for o in objs if o["kind"] == "ConfigMap" and "start-sentinel.sh" in o.get("data", {}))


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_sentinel_fact_agrees_on_both_paths(archive):
    for vals, expected in ((base(archive), 0), (sentinel(archive), 1), (standalone(archive), 0)):
        assert function_fact(archive, charts.render(archive, vals)) == expected
        assert values._fact(COMP.binding(version(archive)), "sentinel", vals) == expected


def test_sentinel_fact_defaults_to_the_chart_default():
    assert values._fact(COMP.binding(version(PINNED)), "sentinel", {}) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_sentinel_intents_only_with_sentinel(archive, mode):
    assert active_ids(archive, mode, base(archive)) == ["no-bind-line"]
    expected = ["no-bind-line", "sentinel-no-bind-line"]
    if mode != "ipv6" and archive in IPV4_PICK:
        expected.append("sentinel-monitors-ipv4")
    assert active_ids(archive, mode, sentinel(archive)) == expected


def test_only_edit_is_the_sentinel_headless_families_on_the_function_path():
    # The adapter's claim is that Redis itself needs nothing: the one edit is the headless Service's
    # families for sentinel before 15.7.2, which no value reaches, so the values overlay stays empty (a
    # Flux HelmRelease gets it as a post-renderer patch).
    for i in COMP.adapter.spec.intents:
        assert i.restart is None, i.id
        if i.id != "sentinel-monitors-ipv4":
            assert not i.edits, i.id
            continue
        assert i.familyFields and i.modes == ["dual-ipv4", "dual-ipv6"]
        assert {(e.at, e.path, tuple(e.on)) for e in i.edits} == {
            ("headless", "ipFamilyPolicy", ("function", "postRender")), ("headless", "ipFamilies", ("function", "postRender"))}
    for archive in ARCHIVES:
        for mode in MODES:
            assert composed(archive, mode, sentinel(archive)).overlay == {}


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
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_no_bind_line_checks_catch_ipv4_only_binds(archive, user, fails):
    objs = charts.render(archive, charts.merge(base(archive), user))
    assert bool(failures("no-bind-line", objs, archive)) is fails


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_extra_flags_bind_caught_in_sentinel_and_standalone_scripts(archive):
    # Sentinel mode passes replica.extraFlags to start-node.sh; standalone has only start-master.sh.
    flags = {"replica": {"extraFlags": ["--bind 0.0.0.0"]}}
    assert failures("no-bind-line", charts.render(archive, charts.merge(sentinel(archive), flags)), archive)
    flags = {"master": {"extraFlags": ["--bind 0.0.0.0"]}}
    assert failures("no-bind-line", charts.render(archive, charts.merge(standalone(archive), flags)), archive)
    for vals in (sentinel(archive), standalone(archive)):
        assert not failures("no-bind-line", charts.render(archive, vals), archive)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_chart_renders_no_bind_anywhere(archive):
    # The evidence behind the no-op, read from the render itself rather than from the checks.
    for vals in (base(archive), sentinel(archive), standalone(archive)):
        for obj in charts.render(archive, vals):
            if obj["kind"] == "ConfigMap":
                for key, text in obj.get("data", {}).items():
                    assert "--bind" not in text, (obj["metadata"]["name"], key)
                    assert not any(line.strip().startswith("bind ") for line in text.splitlines()), key


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_sentinel_bind_check_fails_on_ipv4_only_bind(archive):
    objs = charts.render(archive, charts.merge(sentinel(archive), {"sentinel": {"configuration": "bind 0.0.0.0"}}))
    assert failures("sentinel-no-bind-line", objs, archive)
    assert not failures("sentinel-no-bind-line", charts.render(archive, sentinel(archive)), archive)


def _warnings(output: dict) -> list[str]:
    # The adapter's own warnings (audit findings on the same scripts start with "[rule-id]").
    return [r["message"] for r in output["results"] if r["severity"] == "warning" and r["message"].startswith("redis:")]


def _headless(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None")


@pytest.mark.parametrize("mode", ["dual-ipv4", "dual-ipv6"])
@pytest.mark.parametrize("archive", IPV4_PICK)
def test_sentinel_warns_and_gets_an_ipv4_only_headless_service(archive, mode):
    rc, output, _ = run_function(charts.render(archive, sentinel(archive)), charts.plan(mode))
    warnings = _warnings(output)
    assert rc == 0 and len(warnings) == 1 and "hostname -i" in warnings[0] and "15.7.2" in warnings[0]
    assert f"redis {version(archive)}" in warnings[0]
    # It says what to do where krmfn cannot: the families the headless Service needs.
    assert "SingleStack" in warnings[0] and "[IPv4]" in warnings[0] and "krmfn values" in warnings[0]
    headless = _headless(output["items"])
    assert (headless["spec"]["ipFamilyPolicy"], headless["spec"]["ipFamilies"]) == ("SingleStack", ["IPv4"])
    # The other Services (the clients' way in) keep the plan's families.
    others = [o for o in output["items"] if o["kind"] == "Service" and o is not headless]
    assert others and all(o["spec"]["ipFamilies"] == charts.PLANS[mode] for o in others)
    # The values path says the same warning, writes nothing and its checks pass on the chart's render
    # (which asks for no family: the cluster's policy decides there).
    assert composed(archive, mode, sentinel(archive)).warnings() == warnings
    overlay, rendered, fails = values_path(archive, mode, sentinel(archive))
    assert overlay == {} and fails == []

    # The function check fails on every other headless Service: the unpatched render (no families),
    # a dual-stack one (what the Service injector alone gives: the servers showed it never starts)
    # and an IPv6-only one; krmfn's output passes.
    objs = charts.render(archive, sentinel(archive))
    assert failures("sentinel-monitors-ipv4", objs, archive, mode, "function")
    for policy, families in (("PreferDualStack", charts.PLANS[mode]), ("SingleStack", ["IPv6"])):
        _headless(objs)["spec"].update(ipFamilyPolicy=policy, ipFamilies=list(families))
        assert failures("sentinel-monitors-ipv4", objs, archive, mode, "function"), (policy, families)
    assert not failures("sentinel-monitors-ipv4", output_items(archive, mode), archive, mode, "function")


@pytest.mark.parametrize("archive", IPV4_PICK)
def test_ipv6_only_plan_leaves_the_headless_service_to_the_injector(archive):
    rc, output, _ = run_function(charts.render(archive, sentinel(archive)), charts.plan("ipv6"))
    assert rc == 0 and _warnings(output) == []
    assert _headless(output["items"])["spec"]["ipFamilies"] == ["IPv6"]


def output_items(archive: str, mode: str) -> list[dict]:
    rc, output, _ = run_function(charts.render(archive, sentinel(archive)), charts.plan(mode))
    assert rc == 0
    return output["items"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", NAMES_ONLY)
def test_no_sentinel_warning_where_the_scripts_use_names(archive, mode):
    rc, output, _ = run_function(charts.render(archive, sentinel(archive)), charts.plan(mode))
    assert rc == 0 and _warnings(output) == []
    assert composed(archive, mode, sentinel(archive)).warnings() == []
    # The skip is said, with its reason, not silently dropped.
    b = COMP.binding(version(archive))
    assert "hostname -i" in b.skip["sentinel-monitors-ipv4"]
    # An IPv6-only headless Service is fine here: nothing checks it for IPv4.
    ipv6_only = charts.render(archive, sentinel(archive))
    _headless(ipv6_only)["spec"].update(ipFamilyPolicy="SingleStack", ipFamilies=["IPv6"])
    [inst] = instances(ipv6_only)
    env = composed(archive, mode, sentinel(archive)).env
    active = engine.intents(COMP, b, plan(mode), {}, lambda name: engine._fact(b, name, inst, "redis"))
    assert not checks.run(COMP, b, active, ipv6_only, env, "function")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_changes_nothing_but_service_families(archive, mode):
    for vals in (base(archive), sentinel(archive), standalone(archive)):
        before = charts.render(archive, vals)
        rc, output, _ = run_function(copy.deepcopy(before), charts.plan(mode))
        assert rc == 0
        strip = lambda objs: [o for o in objs if o["kind"] != "Service"]  # noqa: E731
        assert strip(output["items"]) == strip(before)
        assert len(output["items"]) == len(before)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_values_path_renders_what_the_chart_renders(archive, mode):
    # A verified no-op on the values path: an empty overlay, the same render, every check passing.
    overlay, rendered, fails = values_path(archive, mode, sentinel(archive))
    assert overlay == {} and fails == []
    assert rendered == charts.render(archive, sentinel(archive))
