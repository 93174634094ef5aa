"""Flux HelmRelease (helm.toolkit.fluxcd.io v2beta1, v2beta2, v2): values in spec.values."""
from __future__ import annotations

import hashlib

from krmfn.sdk import objects, paths
from krmfn.sdk.results import INFO, WARNING, Result
from krmfn.values_sinks.sink import Sink, exact, unknown_version

GROUP = "helm.toolkit.fluxcd.io"
VERSIONS = ("v2beta1", "v2beta2", "v2")


def release_name(obj: dict, spec: dict) -> str:
    """spec.releaseName, else '[targetNamespace-]name' as helm-controller composes it.

    helm-controller (v2beta2 and v2) shortens a composed name longer than Helm's 53
    characters to its first 40, a dash and 12 hex digits of its SHA-256; v2beta1 controllers
    fail such a release instead, so the shortened name is the only one that ever renders.
    """
    if spec.get("releaseName"):
        return str(spec["releaseName"])
    name = objects.name(obj)
    if spec.get("targetNamespace"):
        name = f"{spec['targetNamespace']}-{name}"
    if len(name) <= 53:
        return name
    return f"{name[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def sinks(obj: dict) -> list[Sink | Result]:
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    if version not in VERSIONS:
        why = f"HelmRelease {version} is not one krmfn reads ({', '.join(VERSIONS)}): left untouched"
        return [Result(why, INFO, obj)]
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    template = paths.get(obj, "spec.chart.spec")
    if not isinstance(template, dict):
        if "chartRef" in spec:
            return [Result(
                "spec.chartRef names an OCIRepository or HelmChart, which holds the chart version: krmfn cannot "
                "see it, so spec.values is left untouched; use spec.chart with an exact version to have it filled",
                WARNING, obj, "spec.chartRef",
            )]
        return []
    chart = template.get("chart")
    source = str(paths.get(template, "sourceRef.kind") or "")
    if source and source != "HelmRepository":
        # A chart from Git or a Bucket is a path; its version is whatever its Chart.yaml says.
        why = f" of its own (from a {source}, the chart version is whatever its Chart.yaml says)"
        fix = "deliver it from a HelmRepository at an exact version, or render it and let krmfn patch the objects"
        return [unknown_version(obj, "spec.chart.spec", chart, None, why, fix)]
    pinned = exact(template.get("version"))
    if pinned is None:
        # Flux's own default is '*': the newest chart.
        return [unknown_version(obj, "spec.chart.spec.version", chart, template.get("version", "*"))]
    return [Sink(
        obj, "spec.values", str(chart), pinned, release_name(obj, spec),
        str(spec.get("targetNamespace") or objects.namespace(obj) or "default"),
        # helm-controller merges valuesFrom first and spec.values last, over them.
        shadowed=[f"spec.valuesFrom[{i}] ({ref.get('kind')} {ref.get('name')})"
                  for i, ref in enumerate(spec.get("valuesFrom") or []) if isinstance(ref, dict)],
        post_renderers=True,
    )]
