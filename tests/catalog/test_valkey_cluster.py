"""valkey-cluster adapter: a single-family headless Service on the primary family; checks that the image's own
setup runs (it is what rewrites the shipped loopback bind) and that the exporter dials 127.0.0.1, on the
container named after the fullname however the release is named; warnings for what only the image decides.

Every archive (1.0.3, 2.2.1, 3.0.25). No Valkey server runs offline: the image's bind rewrite and announce
address were read in the bitnami/containers scripts, not run.
"""
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, engine, values
from krmfn.adapters.detect import instances
from krmfn.sdk import paths
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("valkey-cluster")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ARCHIVES = charts.chart_archives("valkey-cluster")
PINNED, NEWEST = ARCHIVES[0], charts.newest("valkey-cluster")
ENTRYPOINT = "/opt/bitnami/scripts/valkey-cluster/entrypoint.sh /opt/bitnami/scripts/valkey-cluster/run.sh"

version = charts.version_of
base = charts.repeatable


def metrics(archive: str) -> dict:
    return charts.merge(base(archive), {"metrics": {"enabled": True}})


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def intent(intent_id: str):
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def composed(archive: str, mode: str = "ipv6", user: dict | None = None, release: str = charts.RELEASE):
    return values.compose(COMP, version(archive), plan(mode), release, charts.NAMESPACE, user=user or {})


def failures(intent_id: str, objs: list[dict], archive: str, on: str = "values", user: dict | None = None,
             release: str = charts.RELEASE) -> list[str]:
    env = composed(archive, user=user, release=release).env
    return [r.message for r in checks.run(COMP, COMP.binding(version(archive)), [intent(intent_id)], objs, env, on)]


def service(objs: list[dict], headless: bool) -> dict:
    return next(o for o in objs if o["kind"] == "Service" and (o["spec"].get("clusterIP") == "None") is headless
                and not o["metadata"]["name"].endswith("-metrics"))


def statefulset(objs: list[dict]) -> dict:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet"]
    return sts


def main_container(objs: list[dict]) -> dict:
    sts = statefulset(objs)
    return next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == sts["metadata"]["name"])


def said(output: dict, severity: str) -> list[str]:
    return [r["message"] for r in output["results"] if r["severity"] == severity]


def test_one_range_holds_every_archive():
    assert [b.versions for b in COMP.bindings] == [">=1.0.1"]
    assert sorted(COMP.bindings[0].range.evidence) == sorted(ARCHIVES) and len(ARCHIVES) == 3


# ---------------------------------------------------------------- the headless Service


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_headless_service_single_family_on_primary(archive, mode):
    rc, output, _ = run_function(charts.render(archive, base(archive)), charts.plan(mode))
    assert rc == 0
    families = charts.PLANS[mode]
    headless = service(output["items"], True)["spec"]
    assert (headless["ipFamilyPolicy"], headless["ipFamilies"]) == ("SingleStack", families[:1])
    # The client Service is left to the injector, which follows the plan.
    assert service(output["items"], False)["spec"]["ipFamilies"] == families


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_headless_checks_can_fail(archive):
    plain = charts.render(archive, base(archive))
    assert len(failures("headless-primary-family", plain, archive, "function")) == 2
    dual = copy.deepcopy(plain)  # what the injector alone would write
    service(dual, True)["spec"].update(ipFamilyPolicy="PreferDualStack", ipFamilies=["IPv6", "IPv4"])
    assert len(failures("headless-primary-family", dual, archive, "function")) == 2
    assert failures("headless-primary-family", dual, archive, "values")
    assert not failures("headless-primary-family", plain, archive, "values")


# ---------------------------------------------------------------- the bind the image rewrites


@pytest.mark.parametrize("archive", ARCHIVES)
def test_chart_config_binds_loopback_only_and_the_image_entrypoint_runs(archive):
    """The evidence for the warning: without the image's rewrite these nodes would listen on loopback alone."""
    objs = charts.render(archive, base(archive))
    [conf] = [o["data"]["valkey-default.conf"] for o in objs if "valkey-default.conf" in (o.get("data") or {})]
    assert [l for l in conf.splitlines() if l.startswith("bind ")] == ["bind 127.0.0.1 -::1"]
    main = main_container(objs)
    assert main["command"] == ["/bin/bash", "-c"]
    assert main["args"][0].strip().splitlines()[-1].strip() == ENTRYPOINT
    # Nothing in the render mounts a valkey.conf where the image would skip its rewrite.
    mounts = [m["mountPath"] for c in statefulset(objs)["spec"]["template"]["spec"]["containers"] for m in c.get("volumeMounts", [])]
    assert not [m for m in mounts if "mounted-etc" in m]


REPLACED = [
    ({"valkey": {"command": ["valkey-server"]}}, "command"),
    ({"valkey": {"args": ["valkey-server /opt/bitnami/valkey/etc/valkey.conf"]}}, "args[0]"),
    ({"diagnosticMode": {"enabled": True}}, "command"),
    ({"valkey": {"extraEnvVars": [{"name": "VALKEY_ALLOW_REMOTE_CONNECTIONS", "value": "no"}]}},
     "env[name=VALKEY_ALLOW_REMOTE_CONNECTIONS]"),
]


@pytest.mark.parametrize("user,field", REPLACED, ids=["command", "args", "diagnostic", "allow-remote"])
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_a_replaced_entrypoint_fails_the_image_rewrite_check_clearly(archive, user, field):
    vals = charts.merge(base(archive), user)
    objs = charts.render(archive, vals)
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    fullname = statefulset(objs)["metadata"]["name"]
    wanted = f"valkey-cluster/bind-rewritten-by-image check failed: spec.template.spec.containers[name={fullname}].{field}"
    assert rc == 1 and any(e.startswith(wanted) for e in said(output, "error")), said(output, "error")
    assert failures("bind-rewritten-by-image", charts.render(archive, vals), archive, user=vals)
    assert not failures("bind-rewritten-by-image", charts.render(archive, base(archive)), archive)


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_a_users_bind_in_the_config_is_left_to_the_image_and_the_audit(archive):
    """valkey.configmap lands in valkey-default.conf, whose bind lines the image rewrites: the adapter's checks
    hold and its warning says the listener is the image's; the audit, which cannot see the image, still
    reports the IPv4-only line as an error."""
    vals = charts.merge(base(archive), {"valkey": {"configmap": "bind 0.0.0.0"}})
    objs = charts.render(archive, vals)
    [conf] = [o["data"]["valkey-default.conf"] for o in objs if "valkey-default.conf" in (o.get("data") or {})]
    assert conf.rstrip().endswith("bind 0.0.0.0")
    assert not failures("bind-rewritten-by-image", objs, archive, user=vals)
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    assert any("bind 127.0.0.1 -::1" in w and "bind 0.0.0.0 ::" in w for w in said(output, "warning"))
    assert rc == 1 and [e for e in said(output, "error") if e.startswith("[ipv4-wildcard-bind]")] == said(output, "error")


@pytest.mark.parametrize(
    "release,extra",
    [("valkey-cluster", {}), ("shop", {"nameOverride": "renamed"}), ("shop", {"fullnameOverride": "orders-cache"})],
)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_main_container_is_found_by_the_fullname(archive, release, extra):
    vals = charts.merge(base(archive), extra)
    objs = charts.render(archive, vals, release=release)
    sts = statefulset(objs)
    main = sts["spec"]["template"]["spec"]["containers"][0]["name"]
    assert main == sts["metadata"]["name"] == composed(archive, user=vals, release=release).env["fullname"]
    broken = copy.deepcopy(objs)
    paths.set(statefulset(broken), f"spec.template.spec.containers[name={main}].args", ["valkey-server"])
    assert failures("bind-rewritten-by-image", broken, archive, user=vals, release=release)
    assert not failures("bind-rewritten-by-image", objs, archive, user=vals, release=release)


# ---------------------------------------------------------------- the exporter


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_metrics_fact_agrees_on_both_paths(archive):
    b = COMP.binding(version(archive))
    for vals, expected in ((base(archive), 0), (metrics(archive), 1)):
        [inst] = instances(charts.render(archive, vals))
        assert engine._fact(b, "metrics", inst, "valkey-cluster") == expected
        assert values._fact(b, "metrics", vals) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_metrics_loopback_checked_only_with_metrics(archive, mode):
    for vals, checked in ((metrics(archive), True), (base(archive), False)):
        rc, output, _ = run_function(charts.render(archive, vals), charts.plan(mode))
        [info] = [m for m in said(output, "info") if m.startswith("valkey-cluster adapter")]
        assert rc == 0 and ("metrics-loopback" in info) is checked


@pytest.mark.parametrize("archive", ARCHIVES)
def test_metrics_checks_can_fail(archive):
    objs = charts.render(archive, metrics(archive))
    sidecar = "spec.template.spec.containers[name=metrics]"
    assert paths.get(statefulset(objs), f"{sidecar}.env[name=REDIS_ADDR].value") == "redis://127.0.0.1:6379"
    assert not failures("metrics-loopback", objs, archive)
    for field, bad in (("REDIS_ADDR", "redis://fd00::1:6379"), ("REDIS_ADDR", "valkey://127.0.0.1:6379"),
                       ("REDIS_EXPORTER_WEB_LISTEN_ADDRESS", "127.0.0.1:9121")):
        broken = copy.deepcopy(objs)
        paths.set(statefulset(broken), f"{sidecar}.env[name={field}].value", bad)
        assert failures("metrics-loopback", broken, archive), (field, bad)


# ---------------------------------------------------------------- what only the image decides: warned


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_image_side_warnings_on_both_paths(archive, mode):
    _, output, _ = run_function(charts.render(archive, base(archive)), charts.plan(mode))
    warned = [w for w in said(output, "warning") if w.startswith("valkey-cluster: ")]
    on_values = composed(archive, mode).warnings()
    assert warned == on_values
    listen = [w for w in warned if "listens is decided by its image" in w]
    announce = [w for w in warned if "cluster-announce-ip" in w]
    assert len(listen) == len(announce) == 1
    assert f"valkey-cluster {version(archive)}" in listen[0] and "#67083" in announce[0]
    assert any("go-redis >= 9.5.2" in w for w in warned) is (mode != "dual-ipv4")


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_chart_leaves_the_announce_address_to_the_image(archive):
    """What the announce warning rests on: outside external access the chart sets no announce address and no
    VALKEY_CLUSTER_DYNAMIC_IPS, so the image's get_machine_ip decides; with it, the chart says it."""
    names = {e["name"] for e in main_container(charts.render(archive, base(archive))).get("env", [])}
    assert not names & {"VALKEY_CLUSTER_DYNAMIC_IPS", "VALKEY_CLUSTER_ANNOUNCE_IP", "VALKEY_CLUSTER_ANNOUNCE_HOSTNAME"}
    assert "VALKEY_NODES" in names


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_touches_only_services(archive, mode):
    before = charts.render(archive, metrics(archive))
    _, output, _ = run_function(copy.deepcopy(before), charts.plan(mode))
    strip = lambda objs: [o for o in objs if o["kind"] != "Service"]  # noqa: E731
    assert strip(output["items"]) == strip(before) and len(output["items"]) == len(before)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_values_path_is_checks_only(archive, mode):
    overlay, rendered, fails = values_path(archive, mode, metrics(archive))
    assert overlay == {} and fails == []
    assert rendered == charts.render(archive, metrics(archive))
