"""The benchmark harness runs end to end on a tiny input: structure only, never timing."""
from __future__ import annotations

import json

import pytest

from bench import inputs, run

pytestmark = pytest.mark.helm  # the input mixes in chart renders


def test_harness_runs_once_on_a_tiny_input(tmp_path, capsys):
    out = tmp_path / "latest.json"
    # No kustomize row: it starts containers, which the e2e tests already cover.
    assert run.main(["--sizes", "40", "--runs", "1", "--e2e-objects", "0", "--out", str(out)]) == 0

    report = json.loads(out.read_text())
    assert report["machine"]["nproc"] >= 1 and report["machine"]["cpu"]
    (row,) = report["sizes"]
    assert (row["objects"], row["runs"]) == (40, 1)
    for name in ("krmfn", "floor"):
        assert len(row[name]["samples"]) == 1
        assert row[name]["wall"] > 0 and row[name]["cpu"] > 0 and row[name]["rss_mb"] > 0
    assert row["ratio"] > 0 and row["ratio_cpu"] > 0
    assert {"python -c pass", "floor", "krmfn", "ratio"} <= set(report["startup"])
    assert report["e2e"] is None

    table = capsys.readouterr().out
    assert "start-up krmfn / python -c pass" in table
    assert "end to end: not run" in table

    # The input is the promised mix, the same every time, with chart copies under distinct releases.
    objs = inputs.mix(40)
    assert objs == inputs.mix(40)
    assert {"Service", "StatefulSet", "ConfigMap"} <= {o["kind"] for o in objs}
    services = [o["spec"] for o in objs if o["kind"] == "Service"]
    assert any(s.get("type") == "ExternalName" for s in services)
    assert any(s.get("clusterIP") == "None" for s in services)
    labels = [o["metadata"].get("labels", {}) for o in inputs.chart_objects(200)]
    releases = {lab.get("app.kubernetes.io/instance", lab.get("release")) for lab in labels} - {None}
    assert any(r.endswith("k0000") for r in releases) and any(r.endswith("k0001") for r in releases)


def test_the_input_is_one_krmfn_accepts():
    """What is timed must be a run that gets to the end: no object twice (kustomize and krmfn refuse
    duplicates, as a second copy of ingress-nginx's IngressClass `nginx` was), exit code as the audit decides."""
    from krmfn.sdk import objects

    objs = inputs.mix(1000)
    ids = [(o.get("apiVersion"), objects.kind(o), objects.namespace(o) or "default", objects.name(o)) for o in objs]
    assert len(ids) == len(set(ids))
