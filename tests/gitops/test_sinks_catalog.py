"""Every built-in adapter through a HelmRelease: the filled values are what the values path hands Helm.

tests/catalog/test_values_path.py renders each chart with `user values + overlay` (Helm's merge)
and runs the adapter's checks on the render; a HelmRelease krmfn filled must carry those same
values, so that proof covers Flux, Argo CD and kustomize as well.
"""
from __future__ import annotations

import copy

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, values
from tests import charts

from .sinks import helmrelease, run, warnings

CASES = charts.cases()


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_filled_values_equal_the_values_path(case, mode):
    fc = charts.plan(mode)
    [hr], results = run([helmrelease(chart=case.chart, version=case.version, name=charts.RELEASE,
                                     namespace=charts.NAMESPACE, values=copy.deepcopy(case.values))], fc)
    comp = catalog.builtin(case.chart)
    if comp is None or comp.binding(case.version) is None:
        assert hr["spec"]["values"] == case.values
        return
    composed = values.compose(comp, case.version, plan_mod.from_dict(fc), charts.RELEASE, charts.NAMESPACE, None,
                              case.values)
    # No conflicts, nothing unread: the only warnings are the adapter's own, one per warning intent,
    # and the one naming a version newer than the catalog's evidence.
    expected = len(composed.warnings()) + (1 if comp.unproven(case.version) else 0)
    assert len(warnings(results)) == expected
    assert all(w["message"].startswith(f"{comp.name}: ") or "not proven" in w["message"] for w in warnings(results))
    assert hr["spec"].get("values", {}) == charts.merge(case.values, composed.overlay)
