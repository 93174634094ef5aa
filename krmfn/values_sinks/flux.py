"""Flux HelmRelease (helm.toolkit.fluxcd.io v2beta1, v2beta2, v2): values in spec.values."""
from __future__ import annotations

import hashlib

from krmfn.sdk import objects, paths
from krmfn.sdk.results import INFO, WARNING, Result
from krmfn.values_sinks.sink import Sink, exact, unknown_version

GROUP = "helm.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
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


def sinks(obj: dict, items: list = ()) -> list[Sink | Result]:
    """The HelmRelease's values sink; `items`, the rest of the input, may hold the source its chartRef names."""
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    if version not in VERSIONS:
        why = f"HelmRelease {version} is not one krmfn reads ({', '.join(VERSIONS)}): left untouched"
        return [Result(why, INFO, obj)]
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    template = paths.get(obj, "spec.chart.spec")
    if isinstance(template, dict):
        return [_chart_spec(obj, spec, template)]
    if "chartRef" in spec:
        return [_chart_ref(obj, spec, items)]
    return []


def _sink(obj: dict, spec: dict, chart, version: str) -> Sink:
    return Sink(
        obj, "spec.values", str(chart), version, release_name(obj, spec),
        str(spec.get("targetNamespace") or objects.namespace(obj) or "default"),
        # helm-controller merges valuesFrom first and spec.values last, over them.
        shadowed=[f"spec.valuesFrom[{i}] ({ref.get('kind')} {ref.get('name')})"
                  for i, ref in enumerate(spec.get("valuesFrom") or []) if isinstance(ref, dict)],
        post_renderers=True,
    )


def _chart_spec(obj: dict, spec: dict, template: dict) -> Sink | Result:
    chart = template.get("chart")
    source = str(paths.get(template, "sourceRef.kind") or "")
    if source and source != "HelmRepository":
        # A chart from Git or a Bucket is a path; its version is whatever its Chart.yaml says.
        why = f" of its own (from a {source}, the chart version is whatever its Chart.yaml says)"
        fix = "deliver it from a HelmRepository at an exact version, or render it and let krmfn patch the objects"
        return unknown_version(obj, "spec.chart.spec", chart, None, why, fix)
    pinned = exact(template.get("version"))
    if pinned is None:
        # Flux's own default is '*': the newest chart.
        return unknown_version(obj, "spec.chart.spec.version", chart, template.get("version", "*"))
    return _sink(obj, spec, chart, pinned)


def _chart_ref(obj: dict, spec: dict, items: list) -> Sink | Result:
    """spec.chartRef names an OCIRepository or a HelmChart: readable when that object is in the input too."""
    ref = spec["chartRef"] if isinstance(spec["chartRef"], dict) else {}
    kind, name = ref.get("kind"), ref.get("name")
    namespace = ref.get("namespace") or objects.namespace(obj)
    source = next((o for o in items if isinstance(o, dict) and objects.group(o) == SOURCE_GROUP
                   and objects.kind(o) == kind and objects.name(o) == name and objects.namespace(o) == namespace), None)
    if source is None:
        return Result(
            f"spec.chartRef names {kind} {namespace}/{name}, which holds the chart and its version and is not in "
            "krmfn's input: spec.values is left untouched; give krmfn that object too, or use spec.chart with an "
            "exact version", WARNING, obj, "spec.chartRef")
    if kind == "OCIRepository":
        # oci://registry/path/CHART: the artifact's last path segment is the chart; spec.ref.tag its version.
        chart = str(paths.get(source, "spec.url") or "").rstrip("/").rpartition("/")[2]
        at, version = "spec.ref.tag", paths.get(source, "spec.ref.tag")
        if paths.get(source, "spec.ref.digest") or paths.get(source, "spec.ref.semver"):
            at, version = "spec.ref", None  # a digest or a range: no one version to read
    else:
        chart, at, version = paths.get(source, "spec.chart"), "spec.version", paths.get(source, "spec.version")
        if str(paths.get(source, "spec.sourceRef.kind") or "HelmRepository") != "HelmRepository":
            version = None
    pinned = exact(version)
    if not chart or pinned is None:
        return unknown_version(obj, "spec.chartRef", chart or name, version,
                               f" (from {kind} {namespace}/{name} {at})")
    return _sink(obj, spec, chart, pinned)
