"""What helm-controller does after Helm: each spec.postRenderers entry as a kustomize build, with the real kustomize."""
from __future__ import annotations

import shutil
import subprocess

import yaml

from krmfn.sdk import objects, yaml12

KUBECTL = shutil.which("kubectl")


def as_the_cluster_reads(text: str) -> list[dict]:
    """Objects as the API server reads the text: YAML 1.1 (`defaultMode: 0755` is 493, as kustomize writes
    it), an empty or null annotations or labels map the same as none (kustomize drops them)."""
    out = []
    for doc in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(doc, dict):
            for key in ("annotations", "labels"):
                if key in (doc.get("metadata") or {}) and not doc["metadata"][key]:
                    del doc["metadata"][key]
            out.append(doc)
    return out


def post_render(manifests: list[dict], patches: list[dict], workdir) -> list[dict]:
    """One post-renderer entry as helm-controller applies it: kustomize over the manifests with the patches."""
    workdir.mkdir(exist_ok=True)
    (workdir / "all.yaml").write_text(yaml12.dump_all(manifests))
    (workdir / "kustomization.yaml").write_text(yaml12.dump(
        {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
         "resources": ["all.yaml"], "patches": patches}))
    assert KUBECTL, "kubectl (its kustomize) is on every machine the tests run on"
    proc = subprocess.run([KUBECTL, "kustomize", str(workdir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return as_the_cluster_reads(proc.stdout)


def by_identity(objs: list[dict]) -> dict:
    return {objects.identity(o): o for o in objs}




def post_rendered(manifests: list[dict], hr: dict, workdir) -> list[dict]:
    """The release's manifests after every kustomize post-renderer of the HelmRelease, in order."""
    for n, entry in enumerate(hr["spec"].get("postRenderers") or []):
        if entry.get("kustomize", {}).get("patches"):
            manifests = post_render(manifests, entry["kustomize"]["patches"], workdir / str(n))
    return manifests
