"""What a pod gets from rendered objects: its environment and the files of its mounted volumes.

BEFORE is the chart's render as Helm makes it, AFTER is krmfn's function-mode output over that
render; both come from the same archive and values (tests/charts.py), so any difference a server
shows is krmfn's.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from krmfn.sdk import yaml12
from tests import chartrun, charts
from tests.runtime import netns

STAGES = ("before", "after")


def case(archive: str, variant: str) -> charts.Case:
    return next(c for c in charts.cases() if c.archive == archive and c.variant == variant)


@cache
def _rendered(archive: str, variant: str, plan_yaml: str) -> dict[str, str]:
    """Both stages as YAML text, so that the cache hands every caller its own copy to change."""
    before = charts.render(archive, case(archive, variant).values)
    rc, out, err = chartrun.run_function(before, yaml12.load(plan_yaml))
    assert rc == 0, f"krmfn failed on {archive} {variant}: {err}"
    return {"before": yaml12.dump(before), "after": yaml12.dump(out["items"])}


def objects(archive: str, variant: str, stage: str, plan: dict) -> list[dict]:
    return yaml12.load(_rendered(archive, variant, yaml12.dump(plan))[stage])


def find(items: list[dict], kind: str, name: str) -> dict:
    matches = [o for o in items if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def of_kind(items: list[dict], kind: str) -> list[dict]:
    return [o for o in items if o["kind"] == kind]


_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


@dataclass
class Pod:
    """Pod <statefulset>-<ordinal> of one container, as the kubelet would start it."""

    items: list[dict]
    statefulset: str
    container: str
    ordinal: int
    ip: str

    @property
    def name(self) -> str:
        return f"{self.statefulset}-{self.ordinal}"

    @property
    def namespace(self) -> str:
        return find(self.items, "StatefulSet", self.statefulset)["metadata"].get("namespace", charts.NAMESPACE)

    def _spec(self) -> dict:
        return find(self.items, "StatefulSet", self.statefulset)["spec"]["template"]["spec"]

    def container_spec(self) -> dict:
        return next(c for c in self._spec()["containers"] if c["name"] == self.container)

    def env(self) -> dict[str, str]:
        """The container's env with fieldRef and secret/configMap refs filled in and $(VAR) expanded
        the Kubernetes way (only variables defined earlier in the list)."""
        out = {"HOSTNAME": self.name}  # set by the kubelet in every container
        for entry in self.container_spec().get("env") or []:
            value = entry["value"] if "value" in entry else self._value_from(entry["valueFrom"])
            out[entry["name"]] = _REF.sub(lambda m: out.get(m.group(1), m.group(0)), value)
        return out

    def _value_from(self, ref: dict) -> str:
        if "fieldRef" in ref:
            field = ref["fieldRef"]["fieldPath"]
            return {"metadata.name": self.name, "metadata.namespace": self.namespace, "status.podIP": self.ip}[field]
        if "secretKeyRef" in ref:
            sel = ref["secretKeyRef"]
            return secret(self.items, sel["name"])[sel["key"]]
        sel = ref["configMapKeyRef"]
        return find(self.items, "ConfigMap", sel["name"])["data"][sel["key"]]

    def _files(self, volume: dict) -> dict[str, str] | None:
        """The files a ConfigMap, Secret or projected volume (of ConfigMaps and Secrets) holds, keys
        mapped to paths by `items` where given; None for any other volume."""
        def source(kind: str, src: dict) -> dict[str, str]:
            data = (find(self.items, "ConfigMap", src["name"]).get("data", {}) if kind == "configMap"
                    else secret(self.items, src.get("secretName") or src["name"]))
            return {i["path"]: data[i["key"]] for i in src["items"]} if src.get("items") else dict(data)

        if "configMap" in volume or "secret" in volume:
            kind = "configMap" if "configMap" in volume else "secret"
            return source(kind, volume[kind])
        if "projected" in volume:
            out: dict[str, str] = {}
            for src in volume["projected"].get("sources") or []:
                for kind in ("configMap", "secret"):
                    if kind in src:
                        out |= source(kind, src[kind])
            return out
        return None

    def mounts(self) -> dict[str, dict[str, str]]:
        """mountPath -> {file name: text} for every ConfigMap, Secret or projected volume the container mounts.
        A subPath mount is a single file: its mountPath maps to {"": text}."""
        volumes = {v["name"]: v for v in self._spec().get("volumes") or []}
        out: dict[str, dict[str, str]] = {}
        for mount in self.container_spec().get("volumeMounts") or []:
            files = self._files(volumes.get(mount["name"], {}))  # absent: a volumeClaimTemplate
            if files is None:
                continue  # emptyDir and claims: the runner gives each its own directory
            out[mount["mountPath"]] = {"": files[mount["subPath"]]} if mount.get("subPath") else dict(files)
        return out

    def materialize(self, root: Path) -> dict[str, Path]:
        """Every volume the container mounts as a directory root/<volume>, as the kubelet projects
        it (so two containers of a pod share it), claims and emptyDirs empty. Returns
        mountPath -> local path (the file itself for a subPath mount of a ConfigMap or Secret, a
        directory for one of an emptyDir or claim), for translate()."""
        volumes = {v["name"]: v for v in self._spec().get("volumes") or []}
        out: dict[str, Path] = {}
        for mount in self.container_spec().get("volumeMounts") or []:
            volume = volumes.get(mount["name"], {})
            local = root / mount["name"]
            local.mkdir(parents=True, exist_ok=True)
            files = self._files(volume)
            if files is not None:
                source = volume.get("configMap") or volume.get("secret") or volume.get("projected")
                # defaultMode as the chart writes it (755 meaning rwxr-xr-x), else the API's 0644.
                mode = int(str(source.get("defaultMode", "644")), 8)
                for name, text in files.items():
                    (local / name).write_text(text)
                    (local / name).chmod(mode)
            elif mount.get("subPath"):
                # A subPath of an emptyDir or a claim: the kubelet creates it as a directory.
                (local / mount["subPath"]).mkdir(parents=True, exist_ok=True)
            out[mount["mountPath"]] = local / mount["subPath"] if mount.get("subPath") else local
        return out

    def file(self, path: str) -> str:
        """The text the container sees at path, from whichever mount holds it."""
        for mount, files in self.mounts().items():
            if path == mount and "" in files:
                return files[""]
            if path.startswith(mount.rstrip("/") + "/") and path[len(mount.rstrip("/")) + 1:] in files:
                return files[path[len(mount.rstrip("/")) + 1:]]
        raise KeyError(f"{self.name}: nothing mounted at {path}")

    def probe(self, kind: str) -> list[str]:
        return self.container_spec()[kind]["exec"]["command"]


def translate(text: str, paths: dict[str, Path]) -> str:
    """Image paths under a mount point (or any other image directory in paths) moved to their local
    place, in one pass so that a moved path is never moved again, the longest mount point first."""
    if not paths:
        return text
    points = sorted(paths, key=len, reverse=True)
    pattern = "|".join(re.escape(p.rstrip("/")) for p in points)
    local = {p.rstrip("/"): str(paths[p]) for p in points}
    return re.sub(rf"(?<![\w.-])({pattern})(?![\w.-])", lambda m: local[m.group(1)], text)


def translate_files(root: Path, paths: dict[str, Path]) -> None:
    """translate() inside every file projected under root: scripts and configs name image paths too."""
    for f in [p for p in root.rglob("*") if p.is_file()]:
        f.write_text(translate(f.read_text(), paths))


def dns(items: list[dict], statefulset: str, nodes: list) -> dict[str, object]:
    """The names cluster DNS answers once pods 0..len(nodes)-1 of statefulset exist, each on its
    node: every pod's FQDN and host name, the governing headless Service listing them all, and
    every other Service of the render as the first pod (a ClusterIP reaches one of the pods), each
    in the families its Service sets (all the pods' addresses when it sets none)."""
    sts = find(items, "StatefulSet", statefulset)
    ns = sts["metadata"].get("namespace", charts.NAMESPACE)
    headless = sts["spec"]["serviceName"]
    names: dict[str, object] = {}

    def answer(svc: dict | None, nodes_: object) -> object:
        """A Service that sets ipFamilies answers those families only (a pod's records under a headless
        Service too); one that sets none answers every address the pods have."""
        families = ((svc or {}).get("spec") or {}).get("ipFamilies")
        return netns.Records(nodes_ if isinstance(nodes_, list) else [nodes_], tuple(families)) if families else nodes_

    services = {svc["metadata"]["name"]: svc for svc in of_kind(items, "Service")}
    for name, svc in services.items():
        names[f"{name}.{ns}.svc.cluster.local"] = answer(svc, nodes if name == headless else nodes[0])
    for i, node in enumerate(nodes):
        names[f"{statefulset}-{i}.{headless}.{ns}.svc.cluster.local"] = answer(services.get(headless), node)
        names[f"{statefulset}-{i}"] = node  # the pod's own /etc/hosts: every address it has
    return names


def secret(items: list[dict], name: str) -> dict[str, str]:
    obj = find(items, "Secret", name)
    data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
    return {**data, **(obj.get("stringData") or {})}
