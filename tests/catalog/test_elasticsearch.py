"""elasticsearch adapter: my_elasticsearch.yml with bind/publish hosts, mounted as the chart itself would."""
import json

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from krmfn.sdk import paths, yaml12
from tests import chartrun, charts
from tests.chartrun import run_function

ARCHIVE = "elasticsearch-17.5.7"
VERSION = "17.5.7"
ADAPTER = catalog.by_name("elasticsearch")
MOUNT = "/opt/bitnami/elasticsearch/config/my_elasticsearch.yml"
NETWORK = {
    "ipv6": {"bind_host": "::", "publish_host": "_eth0:ipv6_"},
    "dual-ipv6": {"bind_host": "::", "publish_host": "_eth0:ipv6_"},
    "dual-ipv4": {"bind_host": "::"},
}


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def function_path(mode: str, user: dict) -> list[dict]:
    rc, output, _ = run_function(charts.render(ARCHIVE, user), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output["items"]


def values_path(mode: str, user: dict) -> list[dict]:
    _, rendered, failures = chartrun.values_path(ARCHIVE, mode, user)
    assert not failures, failures
    return rendered


def config_map(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "rel-elasticsearch")


def my_yml(objs: list[dict]) -> dict:
    return yaml12.load(config_map(objs)["data"]["my_elasticsearch.yml"])


def mounting(objs: list[dict]) -> dict:
    """Per StatefulSet: its volumes and the elasticsearch container's mounts, order aside."""
    def norm(items):
        return sorted(json.dumps(i, sort_keys=True) for i in items or [])

    return {
        o["metadata"]["name"]: (
            norm(o["spec"]["template"]["spec"].get("volumes")),
            norm(paths.get(o, "spec.template.spec.containers[name=elasticsearch].volumeMounts")),
        )
        for o in objs if o["kind"] == "StatefulSet"
    }


@pytest.mark.parametrize("mode", list(NETWORK))
def test_function_path_creates_and_mounts_what_a_render_with_extra_config_has(mode):
    # The proof for `create`: the same ConfigMap, volume and mounts as the chart renders when
    # extraConfig is set (templates/configmap-es.yaml, master/data/coordinating StatefulSets).
    assert not [o for o in charts.render(ARCHIVE) if o["kind"] == "ConfigMap"]
    ours = function_path(mode, {})
    chart = charts.render(ARCHIVE, {"extraConfig": {"network": NETWORK[mode]}})
    assert mounting(ours) == mounting(chart)
    assert my_yml(ours) == my_yml(chart) == {"network": NETWORK[mode]}
    assert config_map(ours)["metadata"] == config_map(chart)["metadata"]


@pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])
@pytest.mark.parametrize("mode", list(NETWORK))
def test_the_users_extra_config_is_merged_not_replaced(deliver, mode):
    user = {"extraConfig": {"node": {"store": {"allow_mmap": False}}, "network": {"tcp": {"keep_alive": True}}}}
    objs = deliver(mode, user)
    assert my_yml(objs) == {"node": {"store": {"allow_mmap": False}}, "network": {"tcp": {"keep_alive": True}, **NETWORK[mode]}}
    assert mounting(objs) == mounting(charts.render(ARCHIVE, user))  # nothing mounted twice
    assert sum(o["kind"] == "ConfigMap" for o in objs) == 1


@pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])
def test_a_config_only_render_gains_the_my_elasticsearch_key_and_mount(deliver):
    user = {"config": {"cluster": {"name": "x"}}}
    objs = deliver("ipv6", user)
    cm = config_map(objs)
    assert set(cm["data"]) == {"elasticsearch.yml", "my_elasticsearch.yml"}
    for sts in (o for o in objs if o["kind"] == "StatefulSet"):
        mounts = paths.get(sts, "spec.template.spec.containers[name=elasticsearch].volumeMounts")
        assert sum(m.get("subPath") == "my_elasticsearch.yml" for m in mounts) == 1
        assert sum(v["name"] == "config" for v in sts["spec"]["template"]["spec"]["volumes"]) == 1


@pytest.mark.parametrize("mode", list(NETWORK))
def test_function_path_run_twice_changes_nothing_more(mode):
    once = function_path(mode, {})
    rc, output, _ = run_function(once, charts.plan(mode))
    assert rc == 0 and output["items"] == once


def test_checks_fail_on_the_unpatched_render():
    objs = charts.render(ARCHIVE)
    env = engine.environment(plan("ipv6"), charts.RELEASE, "", "elasticsearch", ADAPTER, {}, VERSION)
    holding = [(c.id, chk.path) for c in ADAPTER.spec.changes for chk in c.checks if not engine.check(chk, objs, env)]
    # Only the premise of the dual-ipv4 no-op holds by itself: the image's advertised FQDN.
    assert holding == [("publish-primary-ipv4", "spec.template.spec.containers[name=elasticsearch].env[name=ELASTICSEARCH_ADVERTISED_HOSTNAME].value")]
    ipv6_published = charts.render(ARCHIVE, {"extraConfig": {"network": {"publish_host": "_eth0:ipv6_"}}})
    no_op = next(c for c in ADAPTER.spec.changes if c.id == "publish-primary-ipv4")
    assert engine.check(no_op.checks[1], ipv6_published, env)
