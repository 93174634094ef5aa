"""etcd adapter: listen URLs bracketed in place (scheme and port kept) on the function path; nothing on the values path."""
import collections
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from krmfn.sdk import paths
from tests import charts
from tests.chartrun import run_function

ADAPTER = catalog.by_name("etcd")
ARCHIVE = "etcd-6.2.11"
VERSION = "6.2.11"
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
BASE = next(c.values for c in charts.cases() if c.archive == ARCHIVE and c.variant == "default")
CLUSTER = next(c.values for c in charts.cases() if c.archive == ARCHIVE and c.variant == "cluster")
TLS = charts.merge(BASE, {"auth": {"client": {"secureTransport": True, "useAutoTLS": True},
                                   "peer": {"secureTransport": True, "useAutoTLS": True}}})
PORTS = charts.merge(BASE, {"service": {"port": 12379, "peerPort": 12380}})
ENV = "spec.template.spec.containers[name=etcd].env"
LISTEN = ("ETCD_LISTEN_CLIENT_URLS", "ETCD_LISTEN_PEER_URLS")


def env(mode: str) -> dict:
    plan = plan_mod.from_dict(charts.plan(mode))
    return engine.environment(plan, charts.RELEASE, charts.NAMESPACE, "etcd", ADAPTER, {})


def change(change_id: str):
    return next(c for c in ADAPTER.spec.changes if c.id == change_id)


def failures(change_id: str, objs: list[dict], on: str) -> list[str]:
    return [f.message for f in engine.run_checks(ADAPTER, [change(change_id)], objs, env("ipv6"), on)]


def statefulset(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "StatefulSet")


def env_list(objs: list[dict]) -> list[dict]:
    return paths.get(statefulset(objs), ENV)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "values,client,peer",
    [
        (BASE, "http://[::]:2379", "http://[::]:2380"),
        (CLUSTER, "http://[::]:2379", "http://[::]:2380"),
        (TLS, "https://[::]:2379", "https://[::]:2380"),
        (PORTS, "http://[::]:12379", "http://[::]:12380"),
    ],
    ids=["default", "cluster", "tls", "ports"],
)
def test_listen_urls_replaced_in_place(mode, values, client, peer):
    before = env_list(charts.render(ARCHIVE, values))
    rc, output, _ = run_function(charts.render(ARCHIVE, values), charts.plan(mode))
    assert rc == 0, output["results"]
    after = env_list(output["items"])
    # Same names in the same order, no duplicate: only the two values differ.
    assert [e["name"] for e in after] == [e["name"] for e in before]
    assert not [n for n, k in collections.Counter(e["name"] for e in after).items() if k > 1]
    changed = {b["name"]: a["value"] for b, a in zip(before, after) if a != b}
    assert changed == {"ETCD_LISTEN_CLIENT_URLS": client, "ETCD_LISTEN_PEER_URLS": peer}


def test_function_checks_fail_on_the_chart_render():
    plain = charts.render(ARCHIVE, BASE)
    assert len(failures("listen-urls-ipv6-wildcard", plain, "function")) == 2
    assert not failures("listen-urls-ipv6-wildcard", plain, "values")


def test_values_check_fails_on_a_specific_address():
    objs = charts.render(ARCHIVE, BASE)
    paths.set(statefulset(objs), f"{ENV}[name=ETCD_LISTEN_CLIENT_URLS].value", "http://10.0.0.1:2379")
    assert failures("listen-urls-ipv6-wildcard", objs, "values")


@pytest.mark.parametrize("mode", MODES)
def test_values_path_adds_nothing(mode):
    # extraEnvVars would duplicate the chart's names; the adapter must not go that way.
    plan = plan_mod.from_dict(charts.plan(mode))
    for values in (BASE, CLUSTER, TLS):
        overlay = engine.values_overlay(ADAPTER, VERSION, plan, charts.RELEASE, charts.NAMESPACE, None, values)
        assert overlay == {}
        names = [e["name"] for e in env_list(charts.render(ARCHIVE, charts.merge(values, overlay)))]
        assert len(names) == len(set(names))


def test_advertise_checks_fail_on_an_address():
    objs = charts.render(ARCHIVE, CLUSTER)
    assert not failures("advertise-urls-are-names", objs, "values")
    by_ip = copy.deepcopy(objs)
    paths.set(statefulset(by_ip), f"{ENV}[name=ETCD_ADVERTISE_CLIENT_URLS].value", "http://$(MY_POD_IP):2379")
    assert failures("advertise-urls-are-names", by_ip, "values")


def test_listen_urls_without_a_wildcard_are_left_alone():
    # A user's own listen address is not ours to rewrite; the checks then report it.
    objs = charts.render(ARCHIVE, BASE)
    for name in LISTEN:
        paths.set(statefulset(objs), f"{ENV}[name={name}].value", "http://10.0.0.1:2379")
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    assert rc == 1
    assert {e["value"] for e in env_list(output["items"]) if e["name"] in LISTEN} == {"http://10.0.0.1:2379"}
