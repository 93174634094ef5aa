"""Objects that carry a chart's values, as users write them, and a run of the real function over them."""
from __future__ import annotations

from pathlib import Path

from krmfn.sdk import yaml12
from tests import charts
from tests.chartrun import run_function

ADAPTERS = yaml12.load((Path(__file__).parent / "adapters.yaml").read_text())


def plan(mode: str = "ipv6", **spec) -> dict:
    return charts.plan(mode, adapters=ADAPTERS, **spec)


def helmrelease(api: str = "v2", name: str = "mq", namespace: str = "queues", chart: str = "rabbitmq",
                version: str | None = "8.24.12", values: dict | None = None, **spec) -> dict:
    template = {"chart": chart, "sourceRef": {"kind": "HelmRepository", "name": "bitnami"}}
    if version is not None:
        template["version"] = version
    obj = {
        "apiVersion": f"helm.toolkit.fluxcd.io/{api}", "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"interval": "10m", "chart": {"spec": template}, **spec},
    }
    if values is not None:
        obj["spec"]["values"] = values
    return obj


def source(chart: str = "mysql", version: str = "8.8.18", **helm) -> dict:
    src = {"repoURL": "https://charts.bitnami.com/bitnami", "chart": chart, "targetRevision": version}
    if helm:
        src["helm"] = helm
    return src


def application(*sources: dict, name: str = "db", namespace: str = "databases") -> dict:
    spec = {"project": "default", "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace}}
    if len(sources) == 1:
        spec["source"] = sources[0]
    else:
        spec["sources"] = list(sources)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"}, "spec": spec}


def kustomization(*entries: dict) -> dict:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        # kpt needs a name; kustomize's docs ask for local-config on kustomization.yaml.
        "metadata": {"name": "shop", "annotations": {"config.kubernetes.io/local-config": "true"}},
        "helmCharts": list(entries),
    }


def run(items: list[dict], function_config: dict | None = None) -> tuple[list[dict], list[dict]]:
    rc, out, stderr = run_function(items, function_config or plan())
    assert rc == 0, stderr
    return out["items"], out.get("results", [])


def about(results: list[dict], kind: str) -> list[dict]:
    return [r for r in results if r.get("resourceRef", {}).get("kind") == kind]


def warnings(results: list[dict]) -> list[dict]:
    return [r for r in results if r["severity"] == "warning"]
