"""zookeeper adapter: listenOnAllIPs for an ensemble, replaced in place; a single server left alone."""
import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from tests import chartrun, charts
from tests.chartrun import run_function

ADAPTER = catalog.by_name("zookeeper")
ARCHIVE = "zookeeper-7.5.4"
VERSION = "7.5.4"
ENV_NAME = "ZOO_LISTEN_ALLIPS_ENABLED"
ENSEMBLE = {"replicaCount": 3}
USER_ZOO_CFG = "tickTime=2000\ndataDir=/bitnami/zookeeper/data\nclientPort=2181\nquorumListenOnAllIPs=false"


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def zookeeper_env(objs: list[dict]) -> list[dict]:
    sts = next(o for o in objs if o["kind"] == "StatefulSet")
    container = next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "zookeeper")
    return container["env"]


def listen_all(objs: list[dict]) -> list[str]:
    """Every value the container gets for the variable: exactly one entry is the only right answer."""
    return [e.get("value") for e in zookeeper_env(objs) if e["name"] == ENV_NAME]


def function(values: dict, mode: str) -> dict:
    rc, output, _ = run_function(charts.render(ARCHIVE, values), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def values_render(user: dict, mode: str) -> tuple[dict, list[dict]]:
    overlay, rendered, failures = chartrun.values_path(ARCHIVE, mode, user)
    assert not failures, failures
    return overlay, rendered


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
def test_function_path_replaces_the_variable_in_place_for_an_ensemble(mode):
    objs = charts.render(ARCHIVE, ENSEMBLE)
    items = function(ENSEMBLE, mode)["items"]
    assert [e["name"] for e in zookeeper_env(items)] == [e["name"] for e in zookeeper_env(objs)]
    assert listen_all(objs) == ["no"] and listen_all(items) == ["yes"]


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
def test_function_path_leaves_a_single_server_alone(mode):
    objs = charts.render(ARCHIVE, {})
    output = function({}, mode)
    assert listen_all(output["items"]) == listen_all(objs) == ["no"]
    info = [r["message"] for r in output["results"] if r["message"].startswith("zookeeper adapter")]
    assert info and "client-port-wildcard" in info[0] and "0 field(s) changed" in info[0]


def test_values_path_sets_it_whatever_the_replica_count():
    """The overlay outlives the replicaCount it was computed for (helm upgrade --set replicaCount=3)."""
    for user in ({}, {"replicaCount": 1}, ENSEMBLE):
        overlay, rendered = values_render(user, "dual-ipv6")
        assert overlay == {"listenOnAllIPs": True}
        assert listen_all(rendered) == ["yes"]
    # The same overlay applied after scaling up still covers the ensemble.
    overlay = engine.values_overlay(ADAPTER, VERSION, plan("ipv6"))
    assert listen_all(charts.render(ARCHIVE, charts.merge(ENSEMBLE, overlay))) == ["yes"]


def test_ensemble_check_fails_on_the_unpatched_render():
    changes, env = engine.values_changes(ADAPTER, VERSION, plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None, ENSEMBLE)
    ensemble = next(c for c in changes if c.id == "quorum-listen-all-ips")
    assert engine.check(ensemble.checks[0], charts.render(ARCHIVE, ENSEMBLE), env)


def test_peer_names_check_fails_on_an_address_literal():
    changes, env = engine.values_changes(ADAPTER, VERSION, plan("ipv6"), charts.RELEASE, charts.NAMESPACE)
    names = next(c for c in changes if c.id == "client-port-wildcard").checks[0]
    objs = charts.render(ARCHIVE, ENSEMBLE)
    assert not engine.check(names, objs, env)
    servers = next(e for e in zookeeper_env(objs) if e["name"] == "ZOO_SERVERS")
    servers["value"] = "10.0.0.1:2888:3888::1 fd00::1:2888:3888::2"
    assert engine.check(names, objs, env)


def zoo_cfg(objs: list[dict]) -> str:
    return next(o for o in objs if o["kind"] == "ConfigMap")["data"]["zoo.cfg"]


@pytest.mark.parametrize("text", [USER_ZOO_CFG, USER_ZOO_CFG.replace("\nquorumListenOnAllIPs=false", "")])
def test_a_custom_zoo_cfg_gets_the_setting_on_both_paths(text):
    """With `config` the image skips ZOO_LISTEN_ALLIPS_ENABLED: the setting must be in the file."""
    expected = text.replace("quorumListenOnAllIPs=false", "quorumListenOnAllIPs=true")
    if "quorumListenOnAllIPs" not in expected:
        expected += "\nquorumListenOnAllIPs=true"
    user = {**ENSEMBLE, "config": text}

    assert zoo_cfg(function(user, "ipv6")["items"]) == expected
    overlay, rendered = values_render(user, "ipv6")
    assert overlay["config"] == expected and zoo_cfg(rendered) == expected


def test_no_custom_zoo_cfg_is_invented():
    for user in ({}, {"config": ""}):
        overlay = engine.values_overlay(ADAPTER, VERSION, plan("ipv6"), user_values=user)
        assert overlay.get("config", "") == ""
    assert not [o for o in function(ENSEMBLE, "ipv6")["items"] if o["kind"] == "ConfigMap"]
