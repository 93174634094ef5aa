"""mongodb adapter: MONGODB_ENABLE_IPV6=yes once on every mongod and on the arbiter, on both paths.

Before 13.1.3 the chart's arbiter has no such variable (krmfn adds it); from 13.1.3 the chart writes it
from enableIPv6 (krmfn edits it in place, and the values path must not add a second one).
"""
import copy
from collections import Counter

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, values
from krmfn.adapters.semver import Version
from tests import chartrun, charts
from tests.chartrun import run_function

COMP = catalog.builtin("mongodb")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ALL = sorted((a for a in charts.archives() if a.rsplit("-", 1)[0] == "mongodb"), key=lambda a: Version.parse(a.rsplit("-", 1)[1]))
FIXED = Version.parse("13.1.3")  # bitnami/charts#12415: the arbiter template writes MONGODB_ENABLE_IPV6


version = charts.version_of


def chart_sets_arbiter_env(archive: str) -> bool:
    return Version.parse(version(archive)) >= FIXED


# The pinned archive, the last one before the arbiter fix, the first after it, and the newest.
ARCHIVES = [ALL[0], max((a for a in ALL if not chart_sets_arbiter_env(a)), key=ALL.index),
            next(a for a in ALL if chart_sets_arbiter_env(a)), ALL[-1]]
SHAPES = {
    "standalone": {},
    "standalone-statefulset": {"useStatefulSet": True},
    "replicaset": {"architecture": "replicaset"},
    "replicaset-hidden": {"architecture": "replicaset", "hidden": {"enabled": True}},
}


def hidden_renders(archive: str) -> bool:
    # 13.17.0-14.0.10 indent hidden/headless-svc.yaml wrongly (fixed upstream in 14.0.11, #20219).
    v = Version.parse(version(archive))
    return not (Version.parse("13.17.0") <= v < Version.parse("14.0.11"))


CASES = [(a, s) for a in ARCHIVES for s in SHAPES if s != "replicaset-hidden" or hidden_renders(a)]


def base(archive: str) -> dict:
    return charts.repeatable(archive)


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def values_path(archive: str, mode: str, user: dict) -> list[dict]:
    _, rendered, failures = chartrun.values_path(archive, mode, user)
    assert not failures, failures
    return rendered


def function_path(archive: str, mode: str, user: dict) -> list[dict]:
    rc, output, _ = run_function(charts.render(archive, user), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output["items"]


def mongod_containers(objs: list[dict]) -> dict[str, dict]:
    return {
        f'{o["metadata"]["name"]}/{c["name"]}': c
        for o in objs if o["kind"] in ("Deployment", "StatefulSet")
        for c in o["spec"]["template"]["spec"]["containers"] if c["name"].startswith("mongodb")
    }


def arbiter_env(objs: list[dict]) -> list[dict]:
    return mongod_containers(objs)["rel-mongodb-arbiter/mongodb-arbiter"]["env"]


def test_the_archives_tested_straddle_the_arbiter_fix():
    assert [chart_sets_arbiter_env(a) for a in ARCHIVES] == [False, False, True, True]
    for archive in ARCHIVES:
        env = arbiter_env(charts.render(archive, charts.merge(base(archive), SHAPES["replicaset"])))
        assert ("MONGODB_ENABLE_IPV6" in {e["name"] for e in env}) == chart_sets_arbiter_env(archive), archive


@pytest.mark.parametrize("deliver", ["values", "function"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("archive", "shape"), CASES, ids=[f"{a}-{s}" for a, s in CASES])
def test_every_mongod_and_the_arbiter_get_ipv6_once(archive, shape, mode, deliver):
    user = charts.merge(base(archive), SHAPES[shape])
    objs = (values_path if deliver == "values" else function_path)(archive, mode, user)
    containers = mongod_containers(objs)
    expected = {
        "standalone": {"rel-mongodb/mongodb"},
        "standalone-statefulset": {"rel-mongodb/mongodb"},
        "replicaset": {"rel-mongodb/mongodb", "rel-mongodb-arbiter/mongodb-arbiter"},
        "replicaset-hidden": {"rel-mongodb/mongodb", "rel-mongodb-arbiter/mongodb-arbiter", "rel-mongodb-hidden/mongodb"},
    }[shape]
    assert set(containers) == expected
    for name, c in containers.items():
        names = Counter(e["name"] for e in c["env"])
        assert max(names.values()) == 1, (name, names.most_common(1))
        assert {e["name"]: e.get("value") for e in c["env"]}["MONGODB_ENABLE_IPV6"] == "yes", name


@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_overlay_uses_arbiter_extra_env_only_where_the_chart_forgets_the_arbiter(archive):
    overlay = values.compose(COMP, version(archive), plan("ipv6"), user=charts.merge(base(archive), SHAPES["replicaset"])).overlay
    assert overlay["enableIPv6"] is True
    if chart_sets_arbiter_env(archive):
        assert "arbiter" not in overlay  # a second entry would follow the chart's own
    else:
        assert overlay["arbiter"]["extraEnvVars"] == [{"name": "MONGODB_ENABLE_IPV6", "value": "yes"}]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_edits_the_arbiter_env_in_place_never_twice(archive):
    objs = charts.render(archive, charts.merge(base(archive), SHAPES["replicaset"]))
    before = arbiter_env(objs)
    first = function_path(archive, "ipv6", charts.merge(base(archive), SHAPES["replicaset"]))
    after = arbiter_env(first)
    if chart_sets_arbiter_env(archive):
        # The chart's own entry, at its own place, says yes; nothing else in the list moved.
        assert len(after) == len(before)
        at = [e["name"] for e in before].index("MONGODB_ENABLE_IPV6")
        assert before[at]["value"] == "no" and after[at] == {"name": "MONGODB_ENABLE_IPV6", "value": "yes"}
        assert after[:at] + after[at + 1:] == before[:at] + before[at + 1:]
    else:
        assert after == before + [{"name": "MONGODB_ENABLE_IPV6", "value": "yes"}]
    rc, second, _ = run_function(copy.deepcopy(first), charts.plan("ipv6"))
    assert rc == 0 and arbiter_env(second["items"]) == after


@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_path_keeps_the_users_arbiter_env(archive):
    user = charts.merge(base(archive), {"architecture": "replicaset", "arbiter": {"extraEnvVars": [{"name": "FOO", "value": "bar"}]}})
    env = [(e["name"], e.get("value")) for e in arbiter_env(values_path(archive, "ipv6", user))]
    assert ("FOO", "bar") in env and env.count(("MONGODB_ENABLE_IPV6", "yes")) == 1
    assert [n for n, _ in env].count("MONGODB_ENABLE_IPV6") == 1


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if not chart_sets_arbiter_env(a)])
def test_values_path_replaces_the_users_arbiter_variable_in_place(archive):
    user = charts.merge(base(archive), {"architecture": "replicaset", "arbiter": {"extraEnvVars": [
        {"name": "FOO", "value": "bar"}, {"name": "MONGODB_ENABLE_IPV6", "value": "no"}]}})
    env = [(e["name"], e.get("value")) for e in arbiter_env(values_path(archive, "ipv6", user))]
    assert ("FOO", "bar") in env and env.count(("MONGODB_ENABLE_IPV6", "yes")) == 1
    assert not [n for n, v in env if n == "MONGODB_ENABLE_IPV6" and v != "yes"]


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if chart_sets_arbiter_env(a)])
def test_a_users_second_arbiter_variable_is_caught_where_the_chart_sets_one(archive):
    """From 13.1.3 a user's own arbiter.extraEnvVars entry defines the variable twice: the check says so."""
    user = charts.merge(base(archive), {"architecture": "replicaset", "arbiter": {"extraEnvVars": [
        {"name": "MONGODB_ENABLE_IPV6", "value": "no"}]}})
    _, _, failures = chartrun.values_path(archive, "ipv6", user)
    assert failures and all("arbiter-ipv6" in f for f in failures), failures
    assert any("defines MONGODB_ENABLE_IPV6 2 times" in f for f in failures), failures


@pytest.mark.parametrize("archive", ARCHIVES)
def test_arbiter_check_against_the_charts_own_enable_ipv6(archive):
    """enableIPv6=true alone: the data nodes get it; the arbiter only where the chart writes it (13.1.3+)."""
    composed = values.compose(COMP, version(archive), plan("ipv6"))
    objs = charts.render(archive, charts.merge(base(archive), {"architecture": "replicaset", "enableIPv6": True}))
    failed = composed.check(objs)
    if chart_sets_arbiter_env(archive):
        assert failed == []
    else:
        assert [r.resource["metadata"]["name"] for r in failed] == ["rel-mongodb-arbiter"] * len(failed) and failed
        assert all("arbiter-ipv6" in r.message for r in failed)
    # The chart's default (enableIPv6 false) fails the mongod check.
    standalone = composed.check(charts.render(archive, base(archive)))
    assert standalone and all("mongod-ipv6" in r.message for r in standalone)
