"""ingress-nginx adapter, every 4.x archive: the controller Service's families on both paths, the chart's other
Services on the function path, the internal controller Service (pinned to IPv4 from 4.9.0), and the controller
ConfigMap found through the controller's --configmap argument, edited even when its data is null (4.12+)."""
from __future__ import annotations

import copy
import re
import tarfile

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, semver, values
from krmfn.sdk import paths, yaml12
from tests import charts
from tests.chartrun import run_function, values_path
from tests.gitops.sinks import helmrelease, run, warnings

CHART = "ingress-nginx"
COMP = catalog.builtin(CHART)
ARCHIVES = charts.chart_archives(CHART)
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
CONFIG = {"disable-ipv6": "false", "disable-ipv6-dns": "false", "proxy-real-ip-cidr": "0.0.0.0/0,::/0"}
INTERNAL = {"controller": {"service": {"internal": {"enabled": True, "annotations": {"example.com/internal": "true"}}}}}
FULL = next(c.values for c in charts.cases() if c.archive == ARCHIVES[-1] and c.variant == "full")


version = charts.version_of


def chart_values(archive: str) -> dict:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        return yaml12.load(tgz.extractfile(f"{CHART}/values.yaml").read().decode())


def has_internal_family_values(archive: str) -> bool:
    return "ipFamilyPolicy" in (paths.get(chart_values(archive), "controller.service.internal") or {})


INTERNAL_PINNED = [a for a in ARCHIVES if has_internal_family_values(a)]
INTERNAL_UNPINNED = [a for a in ARCHIVES if not has_internal_family_values(a)]


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def function(archive: str, user: dict, mode: str) -> dict:
    rc, output, _ = run_function(charts.render(archive, user), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def services(objs: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o["spec"] for o in objs if o["kind"] == "Service"}


def families(spec: dict) -> tuple:
    return spec.get("ipFamilyPolicy"), spec.get("ipFamilies")


def want(mode: str) -> tuple:
    p = plan(mode)
    return p.policy, p.families


def configmaps(objs: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}


def failed_checks(archive: str, objs: list[dict], mode: str, on: str) -> list:
    composed = values.compose(COMP, version(archive), plan(mode), charts.RELEASE, charts.NAMESPACE)
    return checks.run(COMP, composed.binding, composed.intents, objs, composed.env, on)


def failures(archive: str, objs: list[dict], mode: str, on: str) -> list[str]:
    return [r.message for r in failed_checks(archive, objs, mode, on)]


# ---------------------------------------------------------------- what the archives say (the evidence)


def test_every_archive_pins_the_controller_service_to_ipv4():
    """No 4.x line is IPv6-ready by itself: the adapter is never a no-op, in any range."""
    for archive in ARCHIVES:
        assert paths.get(chart_values(archive), "controller.service.ipFamilies") == ["IPv4"], archive
        assert paths.get(chart_values(archive), "controller.service.ipFamilyPolicy") == "SingleStack", archive
        assert not COMP.binding(version(archive)).noop, archive


def test_the_internal_service_pin_starts_at_4_9_0_and_the_ranges_follow_it():
    # The archives on both sides of the boundary, and the range that skips the intent below it.
    assert INTERNAL_UNPINNED and INTERNAL_PINNED
    newest_unpinned = max(INTERNAL_UNPINNED, key=lambda a: semver.Version.parse(version(a)))
    oldest_pinned = min(INTERNAL_PINNED, key=lambda a: semver.Version.parse(version(a)))
    assert semver.Version.parse(version(newest_unpinned)) < semver.Version.parse("4.9.0") <= \
        semver.Version.parse(version(oldest_pinned))
    for archive in INTERNAL_UNPINNED:
        b = COMP.binding(version(archive))
        assert "internal-service-families" in b.skip and "internal-service" not in b.places, archive
    for archive in INTERNAL_PINNED:
        b = COMP.binding(version(archive))
        assert "internal-service-families" not in b.skip, archive
        assert [v.path for v in b.places["internal-service"].values] == ["controller.service.internal"]
        pinned = paths.get(chart_values(archive), "controller.service.internal")
        assert (pinned["ipFamilyPolicy"], pinned["ipFamilies"]) == ("SingleStack", ["IPv4"]), archive


# ---------------------------------------------------------------- controller Service, both paths


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_controller_service_families_on_both_paths(archive, mode):
    name = f"{charts.RELEASE}-{CHART}-controller"
    assert families(services(charts.render(archive))[name]) == ("SingleStack", ["IPv4"])
    assert families(services(function(archive, {}, mode)["items"])[name]) == want(mode)

    overlay, rendered, failed = values_path(archive, mode)
    assert not failed, failed
    policy, fams = want(mode)
    assert overlay["controller"]["service"]["ipFamilyPolicy"] == policy
    assert overlay["controller"]["service"]["ipFamilies"] == fams
    assert families(services(rendered)[name]) == want(mode)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_controller_service_checks_fail_on_the_unpatched_render(archive):
    objs = charts.render(archive)
    for on in ("values", "function"):
        said = failures(archive, objs, "ipv6", on)
        assert any("controller-service-families check failed: spec.ipFamilies" in m for m in said), said
        # Every key the ConfigMap intent owns is missing from the chart's own data.
        assert sum("keep-ipv6-enabled check failed" in m for m in said) == len(CONFIG), said


# ---------------------------------------------------------------- the chart's other Services: function path only


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_admission_metrics_and_default_backend_services_reached_on_the_function_path(archive, mode):
    fullname = f"{charts.RELEASE}-{CHART}"
    others = [f"{fullname}-controller-admission", f"{fullname}-controller-metrics", f"{fullname}-defaultbackend"]
    before = services(charts.render(archive, FULL))
    assert all(families(before[n]) == (None, None) for n in others)  # the chart has no values for them

    after = services(function(archive, FULL, mode)["items"])
    assert {n: families(after[n]) for n in others} == {n: want(mode) for n in others}
    # Without the injector's work the function-path checks of these places fail, one per field and Service.
    failed = failed_checks(archive, charts.render(archive, FULL), mode, "function")
    on_others = sorted((r.resource["metadata"]["name"], r.path) for r in failed if r.resource["metadata"]["name"] in others)
    assert on_others == sorted((n, f"spec.{f}") for n in others for f in ("ipFamilies", "ipFamilyPolicy"))

    _, rendered, failed = values_path(archive, mode, FULL)
    assert not failed, failed
    assert {n: families(services(rendered)[n]) for n in others} == {n: (None, None) for n in others}


# ---------------------------------------------------------------- the internal controller Service


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", INTERNAL_PINNED)
def test_internal_service_families_on_both_paths_from_4_9(archive, mode):
    name = f"{charts.RELEASE}-{CHART}-controller-internal"
    assert families(services(charts.render(archive, INTERNAL))[name]) == ("SingleStack", ["IPv4"])
    assert failures(archive, charts.render(archive, INTERNAL), mode, "values")

    output = function(archive, INTERNAL, mode)
    assert families(services(output["items"])[name]) == want(mode)
    said = next(r["message"] for r in output["results"] if "adapter on release" in r["message"])
    assert re.search(r"internal-service-families \(\d field\(s\) changed\)", said), said

    overlay, rendered, failed = values_path(archive, mode, INTERNAL)
    assert not failed, failed
    assert families(overlay["controller"]["service"]["internal"]) == want(mode)
    assert families(services(rendered)[name]) == want(mode)
    assert families(services(rendered)[f"{charts.RELEASE}-{CHART}-controller"]) == want(mode)


@pytest.mark.parametrize("archive", INTERNAL_UNPINNED)
def test_internal_service_before_4_9_has_no_pin_and_no_values(archive):
    """Nothing to set by values; function mode's injector gives it the plan's families like any bare Service."""
    name = f"{charts.RELEASE}-{CHART}-controller-internal"
    assert families(services(charts.render(archive, INTERNAL))[name]) == (None, None)
    output = function(archive, INTERNAL, "dual-ipv6")
    assert families(services(output["items"])[name]) == want("dual-ipv6")
    overlay, rendered, failed = values_path(archive, "dual-ipv6", INTERNAL)
    assert not failed, failed
    assert "internal" not in overlay["controller"]["service"]
    assert families(services(rendered)[name]) == (None, None)


@pytest.mark.parametrize("archive", [ARCHIVES[0], INTERNAL_PINNED[0], ARCHIVES[-1]])
def test_internal_only_release_needs_no_controller_service(archive):
    """controller.service.external.enabled=false renders no controller Service: not an error."""
    user = charts.merge(INTERNAL, {"controller": {"service": {"external": {"enabled": False}}}})
    before = services(charts.render(archive, user))
    assert f"{charts.RELEASE}-{CHART}-controller" not in before
    after = services(function(archive, user, "ipv6")["items"])
    assert families(after[f"{charts.RELEASE}-{CHART}-controller-internal"]) == want("ipv6")
    _, _, failed = values_path(archive, "ipv6", user)
    assert not failed, failed


# ---------------------------------------------------------------- the controller ConfigMap


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_controller_configmap_gets_the_keys_on_both_paths_even_when_its_data_is_null(archive, mode):
    name = f"{charts.RELEASE}-{CHART}-controller"
    chart_data = configmaps(charts.render(archive))[name].get("data") or {}
    assert not set(CONFIG) & set(chart_data)
    after = configmaps(function(archive, {}, mode)["items"])[name]["data"]
    assert after == {**chart_data, **CONFIG}

    overlay, rendered, failed = values_path(archive, mode)
    assert not failed, failed
    assert overlay["controller"]["config"] == CONFIG
    assert configmaps(rendered)[name]["data"] == {**chart_data, **CONFIG}


def test_null_data_is_what_4_12_renders():
    """The range split at 4.12.0 is about this: the chart's default ConfigMap has no data at all."""
    name = f"{charts.RELEASE}-{CHART}-controller"
    null = [a for a in ARCHIVES if configmaps(charts.render(a))[name].get("data") is None]
    assert null == [a for a in ARCHIVES if semver.Version.parse(version(a)) >= semver.Version.parse("4.12.0")]
    assert null and all(COMP.binding(version(a)).versions == ">=4.12.0" for a in null)


@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]])
def test_configmap_is_the_one_the_controller_argument_names(archive):
    """Found through --configmap, not by its name: a renamed ConfigMap is followed, the tcp one is left alone."""
    user = {"tcp": {"9000": "default/example:9000"}}
    objs = charts.render(archive, user)
    tcp = f"{charts.RELEASE}-{CHART}-tcp"
    controller_cm = f"{charts.RELEASE}-{CHART}-controller"
    assert configmaps(objs)[tcp]["metadata"]["labels"]["app.kubernetes.io/component"] == "controller"
    # Rename the controller's ConfigMap and the argument that names it.
    renamed = "edge-settings"
    for o in objs:
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == controller_cm:
            o["metadata"]["name"] = renamed
        for c in (paths.get(o, "spec.template.spec.containers") or []):
            c["args"] = [a.replace(f"/{controller_cm}", f"/{renamed}") if a.startswith("--configmap=") else a
                         for a in c.get("args", [])]
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan("ipv6"))
    assert rc == 0
    after = configmaps(output["items"])
    assert controller_cm not in after and CONFIG.items() <= (after[renamed]["data"] or {}).items()
    assert after[tcp] == configmaps(objs)[tcp]


# ---------------------------------------------------------------- the values sinks: the user's values win


@pytest.mark.parametrize("archive", [INTERNAL_UNPINNED[-1], INTERNAL_PINNED[0], ARCHIVES[-1]])
def test_user_families_are_kept_with_a_warning_in_a_helmrelease(archive):
    mine = {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}
    user = {"controller": {"service": {**mine, "internal": dict(mine)}, "config": {"use-proxy-protocol": "true"}}}
    [hr], results = run([helmrelease(chart=CHART, version=version(archive), name="edge", namespace="edge",
                                     values=copy.deepcopy(user))], charts.plan("dual-ipv6"))
    kept = hr["spec"]["values"]["controller"]["service"]
    assert families(kept) == families(mine) and families(kept["internal"]) == families(mine)
    assert hr["spec"]["values"]["controller"]["config"] == {"use-proxy-protocol": "true", **CONFIG}

    said = {w["field"]["path"] if "field" in w else "": w["message"] for w in warnings(results) if "yours is kept" in w["message"]}
    expected = ["controller.service.ipFamilyPolicy", "controller.service.ipFamilies"]
    if archive in INTERNAL_PINNED:
        expected += ["controller.service.internal.ipFamilyPolicy", "controller.service.internal.ipFamilies"]
    assert sorted(p.removeprefix("spec.values.") for p in said) == sorted(expected), said
    assert all("ingress-nginx adapter's" in m for m in said.values())
