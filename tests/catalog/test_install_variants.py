"""However the chart was installed: release names, overrides, namespaces and labels the other tests did
not pick, on the pinned and the newest archive of every chart, on both delivery paths."""
from __future__ import annotations

import copy

import pytest

from krmfn.sdk import objects
from tests import charts
from tests.chartrun import run_function, values_path

MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
CHARTS = sorted({a.rsplit("-", 1)[0] for a in charts.archives()})
ARCHIVES = sorted({a for c in CHARTS for a in (charts.newest(c), min(
    (p for p in charts.pinned_archives() if p.rsplit("-", 1)[0] == c), default=charts.newest(c)))})


def installs(archive: str) -> dict[str, tuple[str, str, dict]]:
    """name -> (release, namespace, extra values)."""
    chart = archive.rsplit("-", 1)[0]
    return {
        # Helm drops the chart suffix when the release already contains the chart's name.
        "release-like-chart": (chart, "default", {}),
        "name-override": ("shop", "default", {"nameOverride": "renamed"}),
        "fullname-override": ("shop", "default", {"fullnameOverride": "orders-db"}),
        "other-namespace": ("shop", "team-a", {}),
        # Charts without commonLabels ignore it; those with it label every object.
        "common-labels": ("shop", "default", {"commonLabels": {"team": "payments"}}),
    }


CASES = [(a, name) for a in ARCHIVES for name in installs(a)]


def _adapter_said(results: list[dict], chart: str) -> list[str]:
    return [r["message"] for r in results if f"adapter on release" in r["message"] and f"({chart} " in r["message"]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("archive", "install"), CASES, ids=[f"{a}-{n}" for a, n in CASES])
def test_function_path(archive, install, mode):
    release, namespace, extra = installs(archive)[install]
    values = charts.merge(charts.repeatable(archive), extra)
    objs = charts.render(archive, values, release=release, namespace=namespace)
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    chart = archive.rsplit("-", 1)[0]
    [said] = _adapter_said(output["results"], chart)
    assert f"release {release} " in said
    if install == "fullname-override":
        # The override reached the objects, and krmfn still found them.
        assert any(objects.name(o).startswith("orders-db") for o in objs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("archive", "install"), CASES, ids=[f"{a}-{n}" for a, n in CASES])
def test_values_path(archive, install, mode):
    release, namespace, extra = installs(archive)[install]
    values = charts.merge(charts.repeatable(archive), extra)
    _, _, failures = values_path(archive, mode, values, release=release, namespace=namespace)
    assert not failures, failures
