"""mongodb adapter: MONGODB_ENABLE_IPV6=yes once on every mongod and on the arbiter, on both paths."""
from collections import Counter

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from tests import chartrun, charts
from tests.chartrun import run_function

ARCHIVE = "mongodb-10.30.12"
VERSION = "10.30.12"
ADAPTER = catalog.by_name("mongodb")
BASE = next(c.values for c in charts.cases() if c.archive == ARCHIVE and c.variant == "default")
SHAPES = {
    "standalone": {},
    "standalone-statefulset": {"useStatefulSet": True},
    "replicaset": {"architecture": "replicaset"},
    "replicaset-hidden": {"architecture": "replicaset", "hidden": {"enabled": True}},
}


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def values_path(mode: str, user: dict) -> list[dict]:
    _, rendered, failures = chartrun.values_path(ARCHIVE, mode, user)
    assert not failures, failures
    return rendered


def function_path(mode: str, user: dict) -> list[dict]:
    rc, output, _ = run_function(charts.render(ARCHIVE, user), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output["items"]


def mongod_containers(objs: list[dict]) -> dict[str, dict]:
    return {
        f'{o["metadata"]["name"]}/{c["name"]}': c
        for o in objs if o["kind"] in ("Deployment", "StatefulSet")
        for c in o["spec"]["template"]["spec"]["containers"] if c["name"].startswith("mongodb")
    }


@pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])
@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_mongod_and_the_arbiter_get_ipv6_once(deliver, mode, shape):
    user = charts.merge(BASE, SHAPES[shape])
    containers = mongod_containers(deliver(mode, user))
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


def test_values_path_keeps_the_users_arbiter_env_and_replaces_theirs_in_place():
    user = charts.merge(BASE, {"architecture": "replicaset", "arbiter": {"extraEnvVars": [
        {"name": "FOO", "value": "bar"}, {"name": "MONGODB_ENABLE_IPV6", "value": "no"}]}})
    arbiter = mongod_containers(values_path("ipv6", user))["rel-mongodb-arbiter/mongodb-arbiter"]
    env = [(e["name"], e.get("value")) for e in arbiter["env"]]
    assert ("FOO", "bar") in env and env.count(("MONGODB_ENABLE_IPV6", "yes")) == 1
    assert not [n for n, v in env if n == "MONGODB_ENABLE_IPV6" and v != "yes"]


def test_arbiter_check_catches_the_charts_own_enable_ipv6():
    # enableIPv6=true alone is the chart's hazard: the data nodes get it, the arbiter does not.
    objs = charts.render(ARCHIVE, charts.merge(BASE, {"architecture": "replicaset", "enableIPv6": True}))
    env = engine.environment(plan("ipv6"), charts.RELEASE, charts.NAMESPACE, "mongodb", ADAPTER, {}, VERSION)
    changes = {c.id: c for c in ADAPTER.spec.changes}
    assert not engine.check(changes["mongod-ipv6"].checks[0], objs, env)
    failures = engine.check(changes["arbiter-ipv6"].checks[0], objs, env)
    assert [obj["metadata"]["name"] for obj, _, _ in failures] == ["rel-mongodb-arbiter"]
    standalone = charts.render(ARCHIVE, BASE)
    assert engine.check(changes["mongod-ipv6"].checks[0], standalone, env)
