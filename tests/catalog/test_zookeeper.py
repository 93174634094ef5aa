"""zookeeper adapter: listenOnAllIPs for an ensemble, replaced in place; a single server left alone; in every
chart line (7.x `config`, 8.x+ `configuration` and existingConfigmap, 13.6+ zooServers)."""
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, semver, values
from krmfn.sdk import paths
from tests import chartrun, charts
from tests.chartrun import run_function, strip_families

COMP = catalog.builtin("zookeeper")
ARCHIVES = charts.chart_archives("zookeeper")
PINNED = "zookeeper-7.5.4"
NEWEST = charts.newest("zookeeper")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ENV_NAME = "ZOO_LISTEN_ALLIPS_ENABLED"
ENSEMBLE = {"replicaCount": 3}
USER_ZOO_CFG = "tickTime=2000\ndataDir=/bitnami/zookeeper/data\nclientPort=2181\nquorumListenOnAllIPs=false"
VOLUME = "spec.template.spec.volumes[name=config].configMap.name"


version = charts.version_of


def since(archive: str, floor: str) -> bool:
    return semver.Version.parse(version(archive)) >= semver.Version.parse(floor)


def config_key(archive: str) -> str:
    """The values key of a custom zoo.cfg: renamed at 8.0.0."""
    return "configuration" if since(archive, "8.0.0") else "config"


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def compose(archive: str, mode: str = "ipv6", user: dict | None = None) -> values.Composed:
    return values.compose(COMP, version(archive), plan(mode), charts.RELEASE, charts.NAMESPACE, None, user or {})


def intent(intent_id: str):
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def statefulset(objs: list[dict]) -> dict:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet"]
    return sts


def zookeeper_env(objs: list[dict]) -> list[dict]:
    container = next(c for c in statefulset(objs)["spec"]["template"]["spec"]["containers"] if c["name"] == "zookeeper")
    return container["env"]


def listen_all(objs: list[dict]) -> list[str]:
    """Every value the container gets for the variable: exactly one entry is the only right answer."""
    return [e.get("value") for e in zookeeper_env(objs) if e["name"] == ENV_NAME]


def function(archive: str, values_: dict, mode: str) -> dict:
    rc, output, _ = run_function(charts.render(archive, values_), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def values_render(archive: str, user: dict, mode: str) -> tuple[dict, list[dict]]:
    overlay, rendered, failures = chartrun.values_path(archive, mode, user)
    assert not failures, failures
    return overlay, rendered



@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_replaces_the_variable_in_place_for_an_ensemble(archive, mode):
    objs = charts.render(archive, ENSEMBLE)
    items = function(archive, ENSEMBLE, mode)["items"]
    assert [e["name"] for e in zookeeper_env(items)] == [e["name"] for e in zookeeper_env(objs)]
    assert listen_all(objs) == ["no"] and listen_all(items) == ["yes"]
    # Nothing else of the StatefulSet moved.
    before, after = statefulset(objs), copy.deepcopy(statefulset(items))
    paths.set(after, f"spec.template.spec.containers[name=zookeeper].env[name={ENV_NAME}].value", "no")
    assert after == before


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_leaves_a_single_server_alone(archive, mode):
    """A verified no-op: the checks run, nothing but the Service families changes."""
    objs = charts.render(archive, {})
    output = function(archive, {}, mode)
    assert listen_all(output["items"]) == listen_all(objs) == ["no"]
    assert strip_families(output["items"]) == objs
    [info] = [r["message"] for r in output["results"] if r["message"].startswith("zookeeper adapter")]
    assert "client-port-wildcard (checks only)" in info and "quorum-listen-all-ips " not in info, info


@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_path_sets_it_whatever_the_replica_count(archive):
    """The overlay outlives the replicaCount it was computed for (helm upgrade --set replicaCount=3)."""
    for user in ({}, {"replicaCount": 1}, ENSEMBLE):
        overlay, rendered = values_render(archive, user, "dual-ipv6")
        assert overlay == {"listenOnAllIPs": True}
        assert listen_all(rendered) == ["yes"]
    # The same overlay applied after scaling up still covers the ensemble.
    overlay = compose(archive).overlay
    assert listen_all(charts.render(archive, charts.merge(ENSEMBLE, overlay))) == ["yes"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_ensemble_checks_fail_on_the_unpatched_render(archive):
    unpatched = charts.render(archive, ENSEMBLE)
    assert [f.message for f in compose(archive, user=ENSEMBLE).check(unpatched)]
    b = COMP.binding(version(archive))
    env = compose(archive, user=ENSEMBLE).env
    failed = checks.run(COMP, b, [intent("quorum-listen-all-ips")], unpatched, env, "function")
    assert [f.message for f in failed] and all(ENV_NAME in f.message for f in failed)


SERVERS_OK = [
    "zk-0.zk-headless.default.svc.cluster.local:2888:3888::1 zk-1.zk-headless.default.svc.cluster.local:2888:3888::2",
    "zk-0.zk-hl:2888:3888::1,zk-1.zk-hl:2888:3888::2;zk-2.zk-hl:2888:3888:observer::3",
    "zk-0.zk-hl:2888:3888 zk-1.zk-hl:2888:3888",
]
SERVERS_BAD = [
    "10.0.0.1:2888:3888::1 fd00::1:2888:3888::2",
    "fd00::1:2888:3888::1",
    "10.0.0.1:2888:3888::1",
    "zk-0.zk-hl:2888:3888::1 10.0.0.2:2888:3888::2",
    "[fd00::1]:2888:3888::1",
]


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_peer_names_check_fails_on_an_address_literal(archive):
    [names] = intent("client-port-wildcard").checks
    objs = charts.render(archive, ENSEMBLE)
    generated = next(e for e in zookeeper_env(objs) if e["name"] == "ZOO_SERVERS")["value"]
    env = compose(archive).env
    assert checks.failure(names, generated, env) is None
    for text in SERVERS_OK:
        assert checks.failure(names, text, env) is None, text
    for text in SERVERS_BAD:
        assert checks.failure(names, text, env), text


def test_zoo_servers_value_is_checked_from_13_6():
    """13.6.0 zooServers replaces ZOO_SERVERS verbatim: names pass, an address fails the function path."""
    assert since(NEWEST, "13.6.0")
    by_name = "zk-0.zk-hl.default.svc.cluster.local:2888:3888::1,zk-1.zk-hl.default.svc.cluster.local:2888:3888::2"
    user = {**ENSEMBLE, "zooServers": by_name}
    items = function(NEWEST, user, "ipv6")["items"]
    assert next(e for e in zookeeper_env(items) if e["name"] == "ZOO_SERVERS")["value"] == by_name
    user = {**ENSEMBLE, "zooServers": "10.0.0.1:2888:3888::1 10.0.0.2:2888:3888::2"}
    rc, output, _ = run_function(charts.render(NEWEST, user), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and any("client-port-wildcard" in e and "ZOO_SERVERS" in e for e in errors), errors


def zoo_cfg(objs: list[dict]) -> str:
    [cm] = [o for o in objs if o["kind"] == "ConfigMap" and "zoo.cfg" in (o.get("data") or {})]
    return cm["data"]["zoo.cfg"]


@pytest.mark.parametrize("archive", ARCHIVES)
@pytest.mark.parametrize("text", [USER_ZOO_CFG, USER_ZOO_CFG.replace("\nquorumListenOnAllIPs=false", "")],
                         ids=["says-false", "says-nothing"])
def test_a_custom_zoo_cfg_gets_the_setting_on_both_paths(archive, text):
    """With a custom zoo.cfg (`config`, `configuration` from 8.0.0) the image skips ZOO_LISTEN_ALLIPS_ENABLED."""
    expected = text.replace("quorumListenOnAllIPs=false", "quorumListenOnAllIPs=true")
    if "quorumListenOnAllIPs" not in expected:
        expected += "\nquorumListenOnAllIPs=true"
    key = config_key(archive)
    user = {**ENSEMBLE, key: text}
    assert zoo_cfg(charts.render(archive, user)) == text  # the chart renders that key

    assert zoo_cfg(function(archive, user, "ipv6")["items"]) == expected
    overlay, rendered = values_render(archive, user, "ipv6")
    assert overlay == {"listenOnAllIPs": True, key: expected} and zoo_cfg(rendered) == expected


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if since(a, "8.0.0")])
def test_the_old_config_key_is_not_written_from_8(archive):
    """`config` means nothing to 8.0.0+: the overlay must not edit it (the user's zoo.cfg is `configuration`)."""
    assert not [o for o in charts.render(archive, {**ENSEMBLE, "config": USER_ZOO_CFG}) if o["kind"] == "ConfigMap"
                and "zoo.cfg" in (o.get("data") or {})]
    overlay = compose(archive, user={**ENSEMBLE, "config": USER_ZOO_CFG}).overlay
    assert overlay == {"listenOnAllIPs": True}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_no_custom_zoo_cfg_is_invented(archive):
    key = config_key(archive)
    for user in ({}, {key: ""}):
        assert compose(archive, user=user).overlay.get(key, "") == ""
    assert not [o for o in function(archive, ENSEMBLE, "ipv6")["items"]
                if o["kind"] == "ConfigMap" and "zoo.cfg" in (o.get("data") or {})]


EXISTING = "my-zk"


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if since(a, "8.0.0")])
def test_an_existing_configmap_is_never_silent(archive):
    """existingConfigmap mounts a ConfigMap krmfn cannot see and the image then ignores the variable: error."""
    user = {**ENSEMBLE, "existingConfigmap": EXISTING, "configuration": USER_ZOO_CFG}
    objs = charts.render(archive, user)
    assert paths.get(statefulset(objs), VOLUME) == EXISTING
    assert not [o for o in objs if o["kind"] == "ConfigMap" and "zoo.cfg" in (o.get("data") or {})]

    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1, errors
    assert "existing-configmap" in errors[0] and EXISTING in errors[0], errors

    composed = compose(archive, user=user)
    failed = [f.message for f in composed.check(charts.render(archive, charts.merge(user, composed.overlay)))]
    assert len(failed) == 1 and "existing-configmap" in failed[0] and EXISTING in failed[0], failed
    # `krmfn values` and the values sinks render nothing: they say it from the values, whatever the replicas.
    for values_ in (user, {"existingConfigmap": EXISTING}):
        [warning] = compose(archive, user=values_).warnings()
        assert "existingConfigmap is set" in warning and "quorumListenOnAllIPs=true" in warning
    assert not compose(archive, user=ENSEMBLE).warnings()


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if since(a, "8.0.0")])
def test_an_existing_configmap_on_a_single_server_is_fine(archive):
    """Standalone ZooKeeper opens no quorum socket: nothing to say on the function path, which sees the replicas."""
    output = function(archive, {"existingConfigmap": EXISTING}, "ipv6")
    assert not [r for r in output["results"] if r["severity"] == "warning"]


def test_existing_configmap_is_unknown_before_8():
    """7.x has no existingConfigmap: the value does nothing there, and krmfn says nothing about it."""
    user = {**ENSEMBLE, "existingConfigmap": EXISTING}
    assert paths.get(statefulset(charts.render(PINNED, user)), VOLUME) is None
    assert not compose(PINNED, user=user).warnings()
    function(PINNED, user, "ipv6")


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if since(a, "8.0.0")])
def test_the_chart_s_own_configmap_passes_the_existing_configmap_check(archive):
    user = {**ENSEMBLE, "configuration": USER_ZOO_CFG}
    objs = charts.render(archive, user)
    name = paths.get(statefulset(objs), VOLUME)
    assert name == statefulset(objs)["metadata"]["name"]
    b = COMP.binding(version(archive))
    assert not checks.run(COMP, b, [intent("existing-configmap")], objs, compose(archive, user=user).env, "function")
