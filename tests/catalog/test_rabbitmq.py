"""rabbitmq adapter: listeners on ::, and inet6 Erlang distribution merged into the chart's own variables."""
import re
import tarfile
from collections import Counter

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from krmfn.sdk import paths, yaml12
from tests import chartrun, charts
from tests.chartrun import run_function

ARCHIVE = "rabbitmq-8.24.12"
VERSION = "8.24.12"
ADAPTER = catalog.by_name("rabbitmq")
INETRC = "-kernel inetrc '/opt/bitnami/rabbitmq/inetrc/erl_inetrc'"
BASE = next(c.values for c in charts.cases() if c.archive == ARCHIVE and c.variant == "default")
CLUSTER = charts.merge(BASE, {"replicaCount": 3})


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def change(change_id: str):
    return next(c for c in ADAPTER.spec.changes if c.id == change_id)


def statefulset(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "StatefulSet")


def rabbitmq_env(objs: list[dict]) -> list[dict]:
    return paths.get(statefulset(objs), "spec.template.spec.containers[name=rabbitmq].env")


def env_value(objs: list[dict], name: str) -> str | None:
    return next((e.get("value") for e in rabbitmq_env(objs) if e["name"] == name), None)


def rabbitmq_conf(objs: list[dict]) -> str:
    return next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "rel-rabbitmq-config")["data"]["rabbitmq.conf"]


def values_path(mode: str, user: dict, options: dict | None = None) -> list[dict]:
    _, rendered, failures = chartrun.values_path(ARCHIVE, mode, user, options)
    assert not failures, failures
    return rendered


def function_path(mode: str, user: dict, options: dict | None = None) -> list[dict]:
    spec = {"components": [{"adapter": "rabbitmq", "options": options}]} if options else {}
    rc, output, _ = run_function(charts.render(ARCHIVE, user), charts.plan(mode, **spec))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output["items"]


BOTH = pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])


def test_extra_configuration_default_is_the_charts_text_byte_for_byte():
    with tarfile.open(charts.CHARTS / f"{ARCHIVE}.tgz") as tgz:
        chart = yaml12.load(tgz.extractfile("rabbitmq/values.yaml").read().decode())
    op = next(op for op in change("listeners-any-family").values if op.path == "extraConfiguration")
    assert op.default == chart["extraConfiguration"]


@BOTH
@pytest.mark.parametrize(
    "schedulers, expected",
    [
        ({"maxAvailableSchedulers": 2, "onlineSchedulers": 1}, "+S 2:1"),
        ({"maxAvailableSchedulers": "4", "onlineSchedulers": "2"}, "+S 4:2"),
    ],
    ids=["ints", "strings"],
)
def test_chart_scheduler_args_and_inet6_args_share_one_variable(deliver, schedulers, expected):
    objs = deliver("ipv6", charts.merge(CLUSTER, schedulers))
    names = Counter(e["name"] for e in rabbitmq_env(objs))
    assert names["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] == 1 and names["RABBITMQ_CTL_ERL_ARGS"] == 1
    args = env_value(objs, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    assert args.startswith(expected), args
    assert f"{INETRC} -proto_dist inet6_tcp" in args
    assert env_value(objs, "RABBITMQ_CTL_ERL_ARGS") == "-proto_dist inet6_tcp"


def test_values_path_fills_a_missing_online_count_the_chart_cannot_render_without():
    user = charts.merge(CLUSTER, {"maxAvailableSchedulers": 2})
    # `value: +S 2:` is not YAML: the chart alone fails here (templates/statefulset.yaml:167).
    with pytest.raises(RuntimeError, match="mapping values are not allowed"):
        charts.render(ARCHIVE, user)
    args = env_value(values_path("ipv6", user), "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    assert args == f"+S 2:0 {INETRC} -proto_dist inet6_tcp"


def test_values_path_without_schedulers_asks_erl_for_its_default_schedulers():
    args = env_value(values_path("ipv6", CLUSTER), "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    assert args == f"+S 0:0 {INETRC} -proto_dist inet6_tcp"


@BOTH
def test_inetrc_configmap_is_mounted_and_no_env_name_repeats(deliver):
    objs = deliver("ipv6", CLUSTER)
    cm = next(o for o in objs if o["metadata"]["name"] == "rel-rabbitmq-erl-inetrc")
    assert cm["data"] == {"erl_inetrc": "{inet6, true}.\n"}
    assert cm["metadata"]["labels"]["helm.sh/chart"] == ARCHIVE  # detected as part of the release
    sts = statefulset(objs)
    assert paths.get(sts, "spec.template.spec.volumes[name=erl-inetrc]") == {
        "name": "erl-inetrc", "configMap": {"name": "rel-rabbitmq-erl-inetrc"}}
    mount = paths.get(sts, "spec.template.spec.containers[name=rabbitmq].volumeMounts[name=erl-inetrc]")
    assert mount == {"name": "erl-inetrc", "mountPath": "/opt/bitnami/rabbitmq/inetrc", "readOnly": True}
    assert max(Counter(e["name"] for e in rabbitmq_env(objs)).values()) == 1


def test_values_path_keeps_the_users_lists():
    user = charts.merge(CLUSTER, {
        "extraEnvVars": [{"name": "FOO", "value": "bar"}],
        "extraVolumes": [{"name": "extras", "emptyDir": {}}],
        "extraVolumeMounts": [{"name": "extras", "mountPath": "/extras"}],
        "extraDeploy": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine"}, "data": {"a": "b"}}],
    })
    objs = values_path("ipv6", user)
    assert env_value(objs, "FOO") == "bar"
    sts = statefulset(objs)
    assert {v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]} >= {"extras", "erl-inetrc"}
    assert {m["name"] for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]} >= {"extras", "erl-inetrc"}
    assert {o["metadata"]["name"] for o in objs if o["kind"] == "ConfigMap"} >= {"mine", "rel-rabbitmq-erl-inetrc"}


def test_values_overlay_fed_back_as_user_values_is_stable():
    first = engine.values_overlay(ADAPTER, VERSION, plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None, CLUSTER)
    again = engine.values_overlay(ADAPTER, VERSION, plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None,
                                  charts.merge(CLUSTER, first))
    assert again == first


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv6"])
def test_function_path_run_twice_changes_nothing_more(mode):
    once = function_path(mode, CLUSTER, {"clustering": "ipv6"})
    rc, output, _ = run_function(once, charts.plan(mode, components=[{"adapter": "rabbitmq", "options": {"clustering": "ipv6"}}]))
    assert rc == 0 and output["items"] == once


@BOTH
@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
def test_management_listens_on_any_family_and_keeps_the_chart_config(deliver, mode):
    before = rabbitmq_conf(charts.render(ARCHIVE, BASE))
    after = rabbitmq_conf(deliver(mode, BASE))
    assert after == before + "\nmanagement.tcp.ip = ::"


@BOTH
def test_prometheus_listener_only_beside_the_charts_metrics_settings(deliver):
    conf = rabbitmq_conf(deliver("ipv6", charts.merge(BASE, {"metrics": {"enabled": True}})))
    assert re.findall(r"(?m)^prometheus\.tcp\.\w+ = .*$", conf) in (
        ["prometheus.tcp.ip = ::", "prometheus.tcp.port = 9419"],
        ["prometheus.tcp.port = 9419", "prometheus.tcp.ip = ::"],
    )
    assert "prometheus" not in rabbitmq_conf(deliver("ipv6", BASE))


@BOTH
def test_an_ipv4_management_address_of_the_user_is_replaced_not_doubled(deliver):
    user = charts.merge(BASE, {"extraConfiguration": "management.tcp.ip = 0.0.0.0\nmanagement.tcp.port = 15672"})
    conf = rabbitmq_conf(deliver("ipv6", user))
    assert re.findall(r"(?m)^management\.tcp\.\w+ = .*$", conf) == ["management.tcp.ip = ::", "management.tcp.port = 15672"]


@pytest.mark.parametrize(
    "mode, options, user, inet6",
    [
        ("ipv6", None, BASE, True),  # one replica too: its probes reach it by an IPv6-only FQDN
        ("ipv6", None, CLUSTER, True),
        ("ipv6", {"clustering": "ipv6"}, CLUSTER, True),
        ("dual-ipv6", None, CLUSTER, False),
        ("dual-ipv6", {"clustering": "ipv6"}, CLUSTER, True),
        ("dual-ipv4", None, CLUSTER, False),
        ("dual-ipv4", {"clustering": "ipv6"}, CLUSTER, False),  # IPv4 primary: distribution stays IPv4
    ],
)
def test_distribution_family_follows_mode_and_option(mode, options, user, inet6):
    for objs in (values_path(mode, user, options), function_path(mode, user, options)):
        assert ("inet6_tcp" in (env_value(objs, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS") or "")) is inet6
        assert (env_value(objs, "RABBITMQ_CTL_ERL_ARGS") is not None) is inet6


def test_clustering_ipv4_on_an_ipv6_only_plan_changes_nothing_and_the_audit_says_so():
    objs = values_path("ipv6", CLUSTER, {"clustering": "ipv4"})
    assert env_value(objs, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS") is None
    spec = {"components": [{"adapter": "rabbitmq", "options": {"clustering": "ipv4"}}]}
    rc, output, _ = run_function(charts.render(ARCHIVE, CLUSTER), charts.plan("ipv6", **spec))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1 and errors[0].startswith("[erlang-dist]"), errors


def test_checks_fail_on_the_unpatched_render():
    objs = charts.render(ARCHIVE, charts.merge(CLUSTER, {"metrics": {"enabled": True}}))
    env = engine.environment(plan("ipv6"), charts.RELEASE, charts.NAMESPACE, "rabbitmq", ADAPTER, {"clustering": "auto"}, VERSION)
    passing = [
        (c.id, chk.path) for c in ADAPTER.spec.changes if c.id != "erlang-distribution-ipv6-dual"
        for chk in c.checks if not engine.check(chk, objs, env)
    ]
    # Guards against what this render lacks: a second management address, RABBITMQ_MANAGEMENT_BIND_IP,
    # a second erl-args definition (failing in the next tests); headless families come from the injector.
    assert passing == [
        ("listeners-any-family", "data[rabbitmq.conf]"),
        ("listeners-any-family", "spec.template.spec.containers[name=rabbitmq].env[name=RABBITMQ_MANAGEMENT_BIND_IP]"),
        ("erlang-distribution-ipv6", "spec.template.spec.containers[name=rabbitmq].env"),
    ]
    second_address = charts.render(ARCHIVE, charts.merge(BASE, {"extraConfiguration": "management.tcp.ip = ::\nmanagement.tcp.ip = 0.0.0.0"}))
    assert engine.check(change("listeners-any-family").checks[1], second_address, env)


def test_a_second_definition_from_the_users_extra_env_vars_is_reported():
    user = charts.merge(CLUSTER, {"extraEnvVars": [{"name": "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "value": "+sbwt none"}]})
    _, _, failures = chartrun.values_path(ARCHIVE, "ipv6", user)
    assert len(failures) == 1 and "containers[name=rabbitmq].env matches" in failures[0], failures
