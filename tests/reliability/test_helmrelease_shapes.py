"""HelmRelease fields krmfn reads for values and post-renderers, in shapes nobody should write: each run
ends with results, never an internal error, and the HelmRelease comes back."""
from __future__ import annotations

import copy

import pytest

from tests import charts
from tests.chartrun import run_function
from tests.gitops.sinks import helmrelease

POST_RENDERERS = [
    1, "x", {}, [1], [None], [{"kustomize": None}], [{"kustomize": {"patches": "x"}}],
    [{"kustomize": {"patches": [None, 1, {"patch": 5}, {"patch": "- [", "target": 3}]}}],
    [{"kustomize": {"patches": [{"patch": "# krmfn.dev/post-renderer: x\n"}]}}],
    [{"kustomize": {"patches": [{"patch": "{spec: {ipFamilies: 3}}"}]}}],
    [{"kustomize": {"patches": [{"patch": "- op: add\n  path: /spec\n  value: {ipFamilyPolicy: x}"}]}}],
]
VALUES = [3, {"type": "ExternalName"}, {"a": [{"b": "ExternalName"}]}, {"fullnameOverride": 5},
          {"fullnameOverride": ["x"]}, {"nameOverride": None}]
CHART_REFS = [3, {"kind": "OCIRepository"}, {"kind": "HelmChart", "name": 5}, {"kind": "OCIRepository", "name": "x"}]
SOURCE = {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
          "metadata": {"name": "x", "namespace": "n"}, "spec": {"url": 5, "ref": "x"}}


def cases():
    for n, post in enumerate(POST_RENDERERS):
        yield f"postRenderers-{n}", {"postRenderers": post}, None
    for n, values in enumerate(VALUES):
        yield f"values-{n}", {"values": values}, None
    for n, ref in enumerate(CHART_REFS):
        yield f"chartRef-{n}", {"chartRef": ref}, SOURCE


CASES = list(cases())


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4"])
@pytest.mark.parametrize(("name", "spec", "source"), CASES, ids=[c[0] for c in CASES])
def test_odd_helmrelease_fields_give_results_not_crashes(name, spec, source, mode):
    hr = helmrelease(chart="redis-cluster", version="13.0.5", name="c", namespace="n", values={})
    hr["spec"].update(copy.deepcopy(spec))
    if "chartRef" in spec:
        del hr["spec"]["chart"]
    rc, out, stderr = run_function([hr] + ([source] if source else []), charts.plan(mode))
    assert rc in (0, 1) and "internal error" not in stderr and "Traceback" not in stderr, stderr
    assert len(out["items"]) == 1 + bool(source)
    assert out["items"][0]["metadata"] == hr["metadata"]
