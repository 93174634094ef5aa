"""Never silent: a chart version krmfn does not know, a chart it has no adapter for, an object an intent
expected and did not find — each is said, naming it."""
from __future__ import annotations

import copy

import pytest

from krmfn.adapters import catalog
from krmfn.sdk import objects
from tests import charts
from tests.chartrun import run_function

CHARTS = sorted({a.rsplit("-", 1)[0] for a in charts.archives()})


def relabel_version(objs: list[dict], chart: str, version: str) -> list[dict]:
    out = copy.deepcopy(objs)
    for o in out:
        labels = objects.labels(o)
        for key in ("helm.sh/chart", "chart"):
            if str(labels.get(key, "")).startswith(f"{chart}-"):
                labels[key] = f"{chart}-{version}"
    return out


def messages(output: dict, severity: str) -> list[str]:
    return [r["message"] for r in output.get("results", []) if r["severity"] == severity]


@pytest.mark.parametrize("chart", CHARTS)
def test_a_version_newer_than_the_evidence_is_named(chart):
    newest = charts.newest(chart)
    major = int(newest.rsplit("-", 1)[1].split(".")[0]) + 1
    objs = relabel_version(charts.render(newest, charts.repeatable(newest)), chart, f"{major}.0.0")
    _, output, stderr = run_function(objs, charts.plan("ipv6"))
    proven = catalog.builtin(chart).evidence()[-1]
    said = [m for m in messages(output, "warning") if f"{chart} {major}.0.0" in m and f"newest proven {proven}" in m]
    assert len(said) == 1, messages(output, "warning")
    assert said[0] in stderr  # kustomize drops results: the warning is on stderr too


@pytest.mark.parametrize("chart", CHARTS)
def test_a_version_below_every_range_is_named_with_what_is_proven(chart):
    comp = catalog.builtin(chart)
    archive = min((a for a in charts.archives() if a.rsplit("-", 1)[0] == chart),
                  key=lambda a: catalog.semver.Version.parse(a.rsplit("-", 1)[1]))
    objs = relabel_version(charts.render(archive, charts.repeatable(archive)), chart, "0.0.1")
    rc, output, _ = run_function(objs, charts.plan("ipv6"))
    [said] = [m for m in messages(output, "warning") if f"{chart} 0.0.1" in m]
    assert f"the catalog proves {comp.span()}" in said and "the audit still runs" in said
    # This chart's adapter edited nothing (a bundled subchart's own adapter may), and the audit ran: every
    # finding it makes on these objects is in the output.
    assert not any(f"{chart} adapter on release " in m for m in messages(output, "info"))
    from krmfn import audit, function, plan as plan_mod

    findings = audit.run(copy.deepcopy(objs), plan_mod.from_dict(charts.plan("ipv6")), skip=function._INJECTOR_REPORTS)
    assert {r.message for r in findings} <= {r["message"] for r in output["results"]}
    assert rc == (1 if any(r.severity == "error" for r in findings) else 0)


def test_a_chart_without_adapter_is_said():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "labels": {"helm.sh/chart": "nginx-1.2.3", "app.kubernetes.io/instance": "site"}},
           "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}
    rc, output, _ = run_function([obj], charts.plan("ipv6"))
    [said] = [m for m in messages(output, "info") if m.startswith("no adapter for release site (nginx 1.2.3)")]
    assert "only Service families and the audit apply" in said and rc == 0


def test_a_missing_object_names_what_was_looked_for_and_why():
    archive = "mysql-8.8.18"
    values = charts.merge(charts.repeatable(archive), {"primary": {"existingConfigmap": "my-own-cnf"}})
    rc, output, _ = run_function(charts.render(archive, values), charts.plan("ipv6"))
    [error] = [m for m in messages(output, "error") if m.startswith("mysql/bind-all-addresses")]
    assert rc == 1
    assert "no ConfigMap with data[my.cnf] in release rel (mysql 8.8.18)" in error
    assert "expected because" in error and "existingConfigmap" in error
