"""redis-cluster adapter: a single-family headless Service on the primary family; no-op checks that can fail,
on the container named after the fullname however the release is named; the bracketed-announce warning
only on the chart lines whose image brackets."""
import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, engine, values
from krmfn.adapters.detect import instances
from krmfn.sdk import paths
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("redis-cluster")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
ARCHIVES = charts.chart_archives("redis-cluster")
PINNED = "redis-cluster-7.4.6"
NEWEST = charts.newest("redis-cluster")
BRACKETED = next(i for i in COMP.adapter.spec.intents if i.id == "announce-ip-bracketed")
# The archives whose image brackets an IPv6 announce address (10.2.6 on), and the ones before.
BRACKETS = [a for a in ARCHIVES if COMP.binding(a.rsplit("-", 1)[1]).active(BRACKETED)]
PLAIN = [a for a in ARCHIVES if a not in BRACKETS]


version = charts.version_of


base = charts.repeatable


def metrics(archive: str) -> dict:
    return charts.merge(base(archive), {"metrics": {"enabled": True}})


def intent(intent_id: str):
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def composed(archive: str, mode: str = "ipv6", user: dict | None = None, release: str = charts.RELEASE):
    return values.compose(COMP, version(archive), plan(mode), release, charts.NAMESPACE, user=user or {})


def failures(intent_id: str, objs: list[dict], archive: str, mode: str = "ipv6", on: str = "values",
             user: dict | None = None, release: str = charts.RELEASE) -> list[str]:
    env = composed(archive, mode, user, release).env
    return [r.message for r in checks.run(COMP, COMP.binding(version(archive)), [intent(intent_id)], objs, env, on)]


def service(objs: list[dict], headless: bool) -> dict:
    return next(o for o in objs if o["kind"] == "Service" and (o["spec"].get("clusterIP") == "None") is headless
                and "metrics" not in o["metadata"]["name"])


def statefulset(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "StatefulSet")


def adapter_info(output: dict) -> str:
    return next(r["message"] for r in output["results"] if "redis-cluster adapter on release" in r["message"])


def test_ranges():
    assert [b.versions for b in COMP.bindings] == [">=7.0.0 <8.0.0", ">=8.0.0 <10.2.6", ">=10.2.6"]
    assert PLAIN and BRACKETS and PLAIN + BRACKETS == ARCHIVES
    assert all(semver_ge(version(a), "10.2.6") for a in BRACKETS)
    assert not any(semver_ge(version(a), "10.2.6") for a in PLAIN)


def semver_ge(v: str, w: str) -> bool:
    from krmfn.adapters.semver import Version
    return Version.parse(v) >= Version.parse(w)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_headless_service_single_family_on_primary(archive, mode):
    rc, output, _ = run_function(charts.render(archive, base(archive)), charts.plan(mode))
    assert rc == 0
    families = charts.PLANS[mode]
    headless = service(output["items"], True)["spec"]
    assert headless["ipFamilyPolicy"] == "SingleStack"
    assert headless["ipFamilies"] == families[:1]
    # The client Service is left to the injector, which follows the plan.
    assert service(output["items"], False)["spec"]["ipFamilies"] == families


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_headless_checks_can_fail(archive):
    plain = charts.render(archive, base(archive))
    assert len(failures("headless-primary-family", plain, archive, "dual-ipv6", "function")) == 2
    # A dual-stack headless Service (what the injector alone would write) fails the function checks.
    dual = copy.deepcopy(plain)
    service(dual, True)["spec"].update(ipFamilyPolicy="PreferDualStack", ipFamilies=["IPv6", "IPv4"])
    assert len(failures("headless-primary-family", dual, archive, "dual-ipv6", "function")) == 2
    # ... and a render that already carries families fails the values check.
    assert failures("headless-primary-family", dual, archive, "dual-ipv6", "values")
    assert not failures("headless-primary-family", plain, archive, "dual-ipv6", "values")


@pytest.mark.parametrize(
    "user",
    [
        {"redis": {"args": ["redis-server", "/opt/bitnami/redis/etc/redis.conf"]}},
        {"redis": {"extraEnvVars": [{"name": "REDIS_ALLOW_REMOTE_CONNECTIONS", "value": "no"}]}},
    ],
)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_bind_rewrite_checks_fail_without_the_image_setup(archive, user):
    assert not failures("bind-rewritten-by-image", charts.render(archive, base(archive)), archive)
    assert failures("bind-rewritten-by-image", charts.render(archive, charts.merge(base(archive), user)), archive)


@pytest.mark.parametrize(
    "release,extra",
    [("redis-cluster", {}), ("shop", {"nameOverride": "renamed"}), ("shop", {"fullnameOverride": "orders-db"})],
)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_main_container_is_found_by_the_fullname(archive, release, extra):
    vals = charts.merge(base(archive), extra)
    objs = charts.render(archive, vals, release=release)
    sts = statefulset(objs)
    main = sts["spec"]["template"]["spec"]["containers"][0]["name"]
    assert main == sts["metadata"]["name"] == composed(archive, user=vals, release=release).env["fullname"]
    # Both paths look at that container: a broken entrypoint there fails the check, on either path.
    broken = copy.deepcopy(objs)
    paths.set(statefulset(broken), f"spec.template.spec.containers[name={main}].args", ["redis-server"])
    assert failures("bind-rewritten-by-image", broken, archive, user=vals, release=release)
    assert not failures("bind-rewritten-by-image", objs, archive, user=vals, release=release)
    rc, output, _ = run_function(broken, charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and any("bind-rewritten-by-image check failed" in e for e in errors), errors


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_a_sidecar_first_does_not_move_the_check(archive):
    # Found by name, not position: a container put before the main one changes nothing.
    objs = charts.render(archive, base(archive))
    sts = statefulset(objs)
    sts["spec"]["template"]["spec"]["containers"].insert(0, {"name": "sidecar", "image": "busybox", "args": ["sleep"]})
    assert not failures("bind-rewritten-by-image", objs, archive)
    main = sts["metadata"]["name"]
    paths.set(sts, f"spec.template.spec.containers[name={main}].env[name=REDIS_ALLOW_REMOTE_CONNECTIONS].value", "no")
    assert failures("bind-rewritten-by-image", objs, archive)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_chart_config_binds_loopback_only(archive):
    # The evidence: without the image's rewrite this config would listen on loopback alone.
    cm = next(o for o in charts.render(archive, base(archive))
              if o["kind"] == "ConfigMap" and "redis-default.conf" in o.get("data", {}))
    binds = [line for line in cm["data"]["redis-default.conf"].splitlines() if line.startswith("bind ")]
    assert binds == (["bind 127.0.0.1 -::1"] if semver_ge(version(archive), "8.0.0") else ["bind 127.0.0.1"])


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_metrics_fact_agrees_on_both_paths(archive):
    b = COMP.binding(version(archive))
    for vals, expected in ((base(archive), 0), (metrics(archive), 1)):
        [inst] = instances(charts.render(archive, vals))
        assert engine._fact(b, "metrics", inst, "redis-cluster") == expected
        assert values._fact(b, "metrics", vals) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_metrics_loopback_checked_only_with_metrics(archive, mode):
    rc, output, _ = run_function(charts.render(archive, metrics(archive)), charts.plan(mode))
    assert rc == 0 and "metrics-loopback" in adapter_info(output)
    rc, output, _ = run_function(charts.render(archive, base(archive)), charts.plan(mode))
    assert rc == 0 and "metrics-loopback" not in adapter_info(output)


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_metrics_check_can_fail(archive):
    objs = charts.render(archive, metrics(archive))
    assert not failures("metrics-loopback", objs, archive)
    paths.set(statefulset(objs), "spec.template.spec.containers[name=metrics].env[name=REDIS_ADDR].value", "redis://fd00::1:6379")
    assert failures("metrics-loopback", objs, archive)


def _warnings(output: dict) -> list[str]:
    return [r["message"] for r in output["results"] if r["severity"] == "warning"]


@pytest.mark.parametrize("mode,warned", [("ipv6", True), ("dual-ipv4", False), ("dual-ipv6", True)])
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_redirect_warning_when_nodes_announce_ipv6(archive, mode, warned):
    _, output, _ = run_function(charts.render(archive, base(archive)), charts.plan(mode))
    assert any("go-redis >= 9.5.2" in w for w in _warnings(output)) is warned


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_bracketed_announce_warned_only_where_the_image_brackets(archive, mode):
    _, output, _ = run_function(charts.render(archive, base(archive)), charts.plan(mode))
    said = [w for w in _warnings(output) if "#32171" in w]
    on_values = [w for w in composed(archive, mode).warnings() if "#32171" in w]
    if archive in BRACKETS:
        assert len(said) == 1 and f"redis-cluster {version(archive)}" in said[0] and "cluster-announce-ip" in said[0]
        assert on_values == said
    else:
        assert said == [] and on_values == []
        assert "#67083" in COMP.binding(version(archive)).skip["announce-ip-bracketed"]


@pytest.mark.parametrize("archive", BRACKETS)
def test_the_chart_leaves_the_announce_address_to_the_image(archive):
    # What the warning rests on, read from the render: no REDIS_CLUSTER_DYNAMIC_IPS and no announce IP
    # outside external access, so the image's get_machine_ip decides.
    main = statefulset(charts.render(archive, base(archive)))["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"] for e in main.get("env", [])}
    assert not names & {"REDIS_CLUSTER_DYNAMIC_IPS", "REDIS_CLUSTER_ANNOUNCE_IP", "IP_VERSION"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_touches_only_the_headless_service_and_families(archive, mode):
    before = charts.render(archive, metrics(archive))
    _, output, _ = run_function(copy.deepcopy(before), charts.plan(mode))
    strip = lambda objs: [o for o in objs if o["kind"] != "Service"]  # noqa: E731
    assert strip(output["items"]) == strip(before)
    assert len(output["items"]) == len(before)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_values_path_is_checks_only(archive, mode):
    overlay, rendered, fails = values_path(archive, mode, metrics(archive))
    assert overlay == {} and fails == []
    assert rendered == charts.render(archive, metrics(archive))
