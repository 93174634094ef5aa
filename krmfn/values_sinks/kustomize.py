"""kustomize Kustomization (kustomize.config.k8s.io/v1beta1): values in each helmCharts entry's valuesInline."""
from __future__ import annotations

from krmfn.sdk.results import WARNING, Result
from krmfn.values_sinks.sink import Sink, exact, unknown_version

GROUP = "kustomize.config.k8s.io"
# Without releaseName kustomize passes --generate-name, which `helm template` ignores and
# names the release "release-name"; without namespace .Release.Namespace is "default", even
# under a kustomization namespace (both checked with kustomize v5.5.0).
DEFAULT_RELEASE = "release-name"


def sinks(obj: dict, items: list = ()) -> list[Sink | Result]:  # items: see flux.sinks
    charts = obj.get("helmCharts")
    if not isinstance(charts, list):
        return []
    out: list[Sink | Result] = []
    for i, entry in enumerate(charts):
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        at = f"helmCharts[{i}]"
        pinned = exact(entry.get("version"))
        if pinned is None:
            out.append(unknown_version(obj, f"{at}.version", entry["name"], entry.get("version")))
            continue
        mode = entry.get("valuesMerge") or "override"
        if mode == "merge":
            # kustomize merges valuesInline under the values file (the chart's own values.yaml by
            # default) without overriding it: the chart's defaults beat krmfn's values (checked
            # with kustomize v5.5.0).
            out.append(Result(
                "valuesMerge: merge lets the chart's values win over valuesInline, so krmfn's values would "
                "not take effect: left untouched; use valuesMerge: override (the default)",
                WARNING, obj, f"{at}.valuesMerge",
            ))
            continue
        # valuesInline overrides valuesFile ('override') or replaces it ('replace'); helm gets
        # additionalValuesFiles after that merged file, so theirs win.
        shadowed = [f"{at}.valuesFile ({entry['valuesFile']})"] if entry.get("valuesFile") and mode == "override" else []
        extra = entry.get("additionalValuesFiles") or []
        overriding = [(f"{at}.additionalValuesFiles[{j}]", None) for j in range(len(extra))]
        out.append(Sink(
            obj, f"{at}.valuesInline", str(entry["name"]), pinned,
            str(entry.get("releaseName") or DEFAULT_RELEASE), str(entry.get("namespace") or "default"),
            shadowed=shadowed, overriding=overriding,
        ))
    return out
