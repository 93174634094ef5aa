"""etcd adapter: listen URLs bracketed in place (scheme and port kept) on the function path; nothing on the values
path; in every chart line (one advertise URL before 6.10.3, two after, the second only with service.enabled from
9.2.0; the opt-in metrics listener from 9.4.0)."""
import collections
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, semver, values
from krmfn.sdk import paths
from tests import charts
from tests.chartrun import run_function

COMP = catalog.builtin("etcd")
ARCHIVES = charts.chart_archives("etcd")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ENV = "spec.template.spec.containers[name=etcd].env"
LISTEN = ("ETCD_LISTEN_CLIENT_URLS", "ETCD_LISTEN_PEER_URLS")
METRICS = "ETCD_LISTEN_METRICS_URLS"
TLS = {"auth": {"client": {"secureTransport": True, "useAutoTLS": True},
                "peer": {"secureTransport": True, "useAutoTLS": True}}}
SEPARATE_METRICS = {"metrics": {"useSeparateEndpoint": True}}


version = charts.version_of


def since(archive: str, floor: str) -> bool:
    return semver.Version.parse(version(archive)) >= semver.Version.parse(floor)


def case(archive: str, variant: str) -> dict:
    return next(c.values for c in charts.cases() if c.archive == archive and c.variant == variant)


def ports(archive: str) -> dict:
    """Other listen ports: service.port/peerPort feed the URLs before 6.10.3, containerPorts after."""
    if since(archive, "6.10.3"):
        return {"containerPorts": {"client": 12379, "peer": 12380}}
    return {"service": {"port": 12379, "peerPort": 12380}}


def intent(intent_id: str):
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def failures(archive: str, intent_id: str, objs: list[dict], on: str) -> list[str]:
    plan = plan_mod.from_dict(charts.plan("ipv6"))
    composed = values.compose(COMP, version(archive), plan, charts.RELEASE, charts.NAMESPACE)
    b = COMP.binding(version(archive))
    return [f.message for f in checks.run(COMP, b, [intent(intent_id)], objs, composed.env, on)]


def statefulset(objs: list[dict]) -> dict:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet"]
    return sts


def env_list(objs: list[dict]) -> list[dict]:
    return paths.get(statefulset(objs), ENV)


def env_value(objs: list[dict], name: str) -> str | None:
    return paths.get(statefulset(objs), f"{ENV}[name={name}].value")


RENDERS = {
    "default": lambda a: (case(a, "default"), "http://[::]:2379", "http://[::]:2380"),
    "cluster": lambda a: (case(a, "cluster"), "http://[::]:2379", "http://[::]:2380"),
    "tls": lambda a: (charts.merge(case(a, "default"), TLS), "https://[::]:2379", "https://[::]:2380"),
    "ports": lambda a: (charts.merge(case(a, "default"), ports(a)), "http://[::]:12379", "http://[::]:12380"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("render", list(RENDERS))
@pytest.mark.parametrize("archive", ARCHIVES)
def test_listen_urls_replaced_in_place(archive, render, mode):
    values_, client, peer = RENDERS[render](archive)
    before = env_list(charts.render(archive, values_))
    # The render really has the scheme and ports this case is about.
    assert {e["name"]: e.get("value") for e in before if e["name"] in LISTEN} == {
        LISTEN[0]: client.replace("[::]", "0.0.0.0"), LISTEN[1]: peer.replace("[::]", "0.0.0.0")}
    rc, output, _ = run_function(charts.render(archive, values_), charts.plan(mode))
    assert rc == 0, output["results"]
    after = env_list(output["items"])
    # Same names in the same order, no duplicate: only the two values differ.
    assert [e["name"] for e in after] == [e["name"] for e in before]
    assert not [n for n, k in collections.Counter(e["name"] for e in after).items() if k > 1]
    changed = {b["name"]: a["value"] for b, a in zip(before, after) if a != b}
    assert changed == {"ETCD_LISTEN_CLIENT_URLS": client, "ETCD_LISTEN_PEER_URLS": peer}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_metrics_listener_is_bracketed_where_the_chart_has_it(archive):
    """metrics.useSeparateEndpoint (9.4.0+) adds a third 0.0.0.0 listener; older lines ignore the value."""
    values_ = charts.merge(case(archive, "default"), SEPARATE_METRICS)
    objs = charts.render(archive, values_)
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan("ipv6"))
    assert rc == 0, output["results"]
    if since(archive, "9.4.0"):
        assert env_value(objs, METRICS) == "http://0.0.0.0:9090"
        assert env_value(output["items"], METRICS) == "http://[::]:9090"
        assert len(failures(archive, "listen-urls-ipv6-wildcard", objs, "function")) == 2
        assert len(failures(archive, "metrics-listen-url-ipv6-wildcard", objs, "function")) == 1
    else:
        assert env_value(objs, METRICS) is None and env_value(output["items"], METRICS) is None


@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_checks_fail_on_the_chart_render(archive):
    plain = charts.render(archive, case(archive, "default"))
    assert len(failures(archive, "listen-urls-ipv6-wildcard", plain, "function")) == 2
    assert not failures(archive, "listen-urls-ipv6-wildcard", plain, "values")


@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_check_fails_on_a_specific_address(archive):
    objs = charts.render(archive, case(archive, "default"))
    paths.set(statefulset(objs), f"{ENV}[name=ETCD_LISTEN_CLIENT_URLS].value", "http://10.0.0.1:2379")
    assert failures(archive, "listen-urls-ipv6-wildcard", objs, "values")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_path_adds_nothing(archive, mode):
    # extraEnvVars would duplicate the chart's names; the adapter must not go that way.
    plan = plan_mod.from_dict(charts.plan(mode))
    for values_ in (case(archive, "default"), case(archive, "cluster"), charts.merge(case(archive, "default"), TLS)):
        composed = values.compose(COMP, version(archive), plan, charts.RELEASE, charts.NAMESPACE, None, values_)
        assert composed.overlay == {}
        rendered = charts.render(archive, charts.merge(values_, composed.overlay))
        names = [e["name"] for e in env_list(rendered)]
        assert len(names) == len(set(names))
        assert not [f.message for f in composed.check(rendered)]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_advertise_checks_pass_on_the_chart_s_names_and_fail_on_an_address(archive):
    objs = charts.render(archive, case(archive, "cluster"))
    advertised = env_value(objs, "ETCD_ADVERTISE_CLIENT_URLS")
    # One URL before 6.10.3; the member's name and the client Service's after (the 6.13.9 regression).
    assert len(advertised.split(",")) == (2 if since(archive, "6.10.3") else 1)
    assert not failures(archive, "advertise-urls-are-names", objs, "values")
    assert not failures(archive, "advertise-urls-are-names", objs, "function")
    for name, literal in [("ETCD_ADVERTISE_CLIENT_URLS", "http://$(MY_POD_IP):2379"),
                          ("ETCD_ADVERTISE_CLIENT_URLS", advertised.split(",")[0] + ",http://10.0.0.1:2379"),
                          ("ETCD_ADVERTISE_CLIENT_URLS", "http://[fd00::1]:2379"),
                          ("ETCD_INITIAL_ADVERTISE_PEER_URLS", "http://fd00::1:2380")]:
        by_ip = copy.deepcopy(objs)
        paths.set(statefulset(by_ip), f"{ENV}[name={name}].value", literal)
        assert failures(archive, "advertise-urls-are-names", by_ip, "values"), literal


@pytest.mark.parametrize("archive", [a for a in ARCHIVES if since(a, "9.2.0")])
def test_without_the_client_service_one_url_is_advertised(archive):
    """9.2.0+: service.enabled=false drops the Service and its URL; the adapter is content either way."""
    values_ = charts.merge(case(archive, "cluster"), {"service": {"enabled": False}})
    objs = charts.render(archive, values_)
    assert len(env_value(objs, "ETCD_ADVERTISE_CLIENT_URLS").split(",")) == 1
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    assert rc == 0, output["results"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_listen_urls_without_a_wildcard_are_left_alone(archive):
    # A user's own listen address is not ours to rewrite; the checks then report it.
    objs = charts.render(archive, case(archive, "default"))
    for name in LISTEN:
        paths.set(statefulset(objs), f"{ENV}[name={name}].value", "http://10.0.0.1:2379")
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    assert rc == 1
    assert {e["value"] for e in env_list(output["items"]) if e["name"] in LISTEN} == {"http://10.0.0.1:2379"}
