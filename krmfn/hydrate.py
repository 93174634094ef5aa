"""`krmfn render`: the function's changes written as a plain kustomize overlay, for tools that run no plugins.

Flux's kustomize-controller and a plugin-less Argo CD can only build plain kustomizations, so
krmfn runs in-process over the input and writes what it changed: JSON 6902 patches with exact
targets, the objects it added, and the Helm values overlay of every chart instance it found.
`kubectl kustomize DIR` then yields the same objects as function mode on the same input.
"""
from __future__ import annotations

import copy
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from krmfn.sdk import diff, objects, resourcelist, yaml12
from krmfn.sdk.results import ERROR, Result

if TYPE_CHECKING:
    from krmfn.plan import IPv6Plan

# Subdirectories krmfn owns inside the output directory: rewritten whole on every run.
OWNED = ("base", "patches", "created", "values")


@dataclass
class Overlay:
    files: dict[str, str] = field(default_factory=dict)  # path relative to the output dir -> text
    results: list[Result] = field(default_factory=list)


def safe_name(*parts: str) -> str:
    """A file name built from input names that cannot leave its directory or surprise a shell."""
    name = "-".join(p for p in parts if p).lower()
    name = re.sub(r"[^a-z0-9._-]+", "-", name).strip(".-_") or "object"
    return name[:120]


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


# The characters Go's regexp.QuoteMeta escapes: RE2 reads everything else literally.
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def quote_re2(text: str) -> str:
    """Text that kustomize's target selector, an anchored Go RE2 regex, matches exactly."""
    return _RE2_SPECIAL.sub(r"\\\1", text)


def _target(obj: dict) -> dict:
    """The patch's target; kustomize compiles each of its fields as a regex, so all are quoted."""
    api = str(obj.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    target = {"version": version, "kind": objects.kind(obj), "name": objects.name(obj)}
    if group:
        target = {"group": group, **target}
    if objects.namespace(obj):
        target["namespace"] = objects.namespace(obj)
    return {k: quote_re2(v) for k, v in target.items()}


def build(objs: list[dict], plan: "IPv6Plan", base: str | None = None) -> Overlay:
    """The overlay's files for these input objects, or error results and no files."""
    from krmfn import function
    from krmfn.adapters import values

    rl = resourcelist.ResourceList(
        doc={"apiVersion": resourcelist.API_VERSIONS[0], "kind": "ResourceList", "items": copy.deepcopy(objs)}
    )
    ctx = function.apply_plan(rl, plan)
    out = Overlay(results=rl.results)
    if ctx is None or any(r.severity == ERROR for r in rl.results):
        return out

    changed, created = diff.changes(objs, rl.items)
    taken: set[str] = set()
    kustomization: dict = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
    resources = [base] if base else ["base"]
    if not base:
        out.files["base/kustomization.yaml"] = yaml12.dump(
            {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["resources.yaml"]}
        )
        out.files["base/resources.yaml"] = yaml12.dump_all(objs) if objs else ""
    for obj in created:
        name = _unique(safe_name(objects.kind(obj), objects.namespace(obj), objects.name(obj)), taken)
        out.files[f"created/{name}.yaml"] = yaml12.dump(obj)
        resources.append(f"created/{name}.yaml")
    kustomization["resources"] = resources
    patches = []
    for obj, ops in changed:
        name = _unique(safe_name(objects.kind(obj), objects.namespace(obj), objects.name(obj)), taken)
        out.files[f"patches/{name}.yaml"] = yaml12.dump(ops)
        patches.append({"path": f"patches/{name}.yaml", "target": _target(obj)})
    if patches:
        kustomization["patches"] = patches
    out.files["kustomization.yaml"] = yaml12.dump(kustomization)

    # The same values function mode would fill into a HelmRelease, for the instances function mode
    # applied adapters to, with the options it used.
    for applied in ctx.outcome.applied:
        inst = applied.inst
        overlay = values.compose(applied.comp, inst.version, plan, inst.release, inst.namespace or "default",
                                 applied.options).overlay
        name = _unique(safe_name(inst.namespace, inst.release), taken)
        out.files[f"values/{name}.yaml"] = (
            f"# Helm values overlay for release {inst.release} ({inst.chart} {inst.version}), "
            f"for teams that deploy the chart with helm or a HelmRelease instead of this overlay.\n"
            + (yaml12.dump(overlay) if overlay else "{}\n")
        )
    return out


def write(overlay: Overlay, out_dir: Path) -> None:
    """Replace krmfn's own files in out_dir; nothing is written outside it."""
    root = out_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    for sub in OWNED:
        target = root / sub
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
    for rel, text in sorted(overlay.files.items()):
        path = (root / rel).resolve()
        if root not in path.parents:
            raise ValueError(f"refusing to write {rel!r}: outside {root}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
