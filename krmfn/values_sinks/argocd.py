"""Argo CD Application (argoproj.io/v1alpha1): values in each Helm source's helm.valuesObject."""
from __future__ import annotations

from krmfn.sdk import objects
from krmfn.sdk.results import INFO, WARNING, Result
from krmfn.values_sinks.sink import Sink, exact, unknown_version

GROUP = "argoproj.io"


def _sources(spec: dict) -> list[tuple[str, dict]]:
    many = spec.get("sources")
    if isinstance(many, list):
        return [(f"spec.sources[{i}]", s) for i, s in enumerate(many) if isinstance(s, dict)]
    one = spec.get("source")
    return [("spec.source", one)] if isinstance(one, dict) else []


def sinks(obj: dict, items: list = ()) -> list[Sink | Result]:  # items: see flux.sinks
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    out: list[Sink | Result] = []
    for at, source in _sources(spec):
        helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
        chart = source.get("chart")
        if not chart:
            if helm:
                out.append(Result(
                    f"{at} renders a chart from a Git path, whose name and version krmfn cannot see: its values "
                    "are left untouched (krmfn fills charts from a Helm repository: source.chart + targetRevision)",
                    INFO, obj, at,
                ))
            continue
        pinned = exact(source.get("targetRevision"))
        if pinned is None:
            out.append(unknown_version(obj, f"{at}.targetRevision", chart, source.get("targetRevision")))
            continue
        if isinstance(helm.get("values"), str) and helm["values"].strip() and "valuesObject" not in helm:
            # Argo CD uses valuesObject instead of values when both are set (ApplicationSourceHelm.ValuesYAML):
            # adding one would silently drop every value in the string.
            out.append(Result(
                "values is a string, which krmfn cannot merge into without dropping your formatting or, "
                "by adding valuesObject beside it, every value in it (Argo CD then ignores the string): left "
                "untouched; move these values to helm.valuesObject to have krmfn fill them",
                WARNING, obj, f"{at}.helm.values",
            ))
            continue
        dest = spec.get("destination") if isinstance(spec.get("destination"), dict) else {}
        # Precedence: parameters > valuesObject > values > valueFiles (Argo CD's Helm guide).
        overriding = [
            (f"{at}.helm.{kind}[{i}]", str(p["name"]))
            for kind in ("parameters", "fileParameters")
            for i, p in enumerate(helm.get(kind) or [])
            if isinstance(p, dict) and p.get("name")
        ]
        out.append(Sink(
            obj, f"{at}.helm.valuesObject", str(chart), pinned,
            str(helm.get("releaseName") or objects.name(obj)),
            str(helm.get("namespace") or dest.get("namespace") or "default"),
            shadowed=[f"{at}.helm.valueFiles ({', '.join(map(str, helm['valueFiles']))})"]
            if helm.get("valueFiles") else [],
            overriding=overriding,
        ))
    return out
