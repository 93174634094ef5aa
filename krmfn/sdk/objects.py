"""Helpers over KRM objects held as plain dicts."""
from __future__ import annotations

from typing import Any

LOCAL_CONFIG = "config.kubernetes.io/local-config"
_PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
_INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")


def metadata(obj: dict) -> dict:
    md = obj.get("metadata")
    return md if isinstance(md, dict) else {}


def annotations(obj: dict) -> dict:
    ann = metadata(obj).get("annotations")
    return ann if isinstance(ann, dict) else {}


def labels(obj: dict) -> dict:
    lab = metadata(obj).get("labels")
    return lab if isinstance(lab, dict) else {}


def name(obj: dict) -> str:
    return str(metadata(obj).get("name") or "")


def namespace(obj: dict) -> str:
    return str(metadata(obj).get("namespace") or "")


def kind(obj: dict) -> str:
    return str(obj.get("kind") or "")


def identity(obj: dict) -> tuple[str, str, str]:
    """(kind, namespace, name): how one object is told from another across steps."""
    return kind(obj), namespace(obj), name(obj)


def group(obj: dict) -> str:
    api = str(obj.get("apiVersion") or "")
    return api.rpartition("/")[0]


def is_local_config(obj: dict) -> bool:
    """kustomize's rule (v5.5.0, tested with `kubectl kustomize`): the annotation marks an object
    local whatever it holds ("true", "True", "", null, "1") except the string "false", which YAML
    also gives for a bare `false`. Function mode and `krmfn render` must agree with the build."""
    ann = annotations(obj)
    return LOCAL_CONFIG in ann and ann[LOCAL_CONFIG] not in ("false", False)


# The shape the transforms rely on where they edit, for the kinds whose schema fixes it: the API
# server refuses these objects when a field is anything else (null counts as absent). `*` is every
# entry of a list. Custom kinds may shape their fields as they like: only `spec` is checked there.
_POD = "spec.template.spec"
_CONTAINERS = [(f"{_POD}.{c}", list) for c in ("initContainers", "containers")]
_SHAPES = {
    "": [("metadata.labels", dict), ("metadata.annotations", dict), ("spec", dict)],
    "v1/ConfigMap": [("data", dict), ("binaryData", dict)],
    "v1/Secret": [("data", dict), ("stringData", dict)],
    "workload": [
        ("spec.template", dict), ("spec.template.metadata", dict), ("spec.template.metadata.annotations", dict),
        (_POD, dict), ("spec.template.spec.volumes", list), *_CONTAINERS,
        *((f"{path}.*", dict) for path, _ in _CONTAINERS),
        *((f"{path}.*.{f}", list) for path, _ in _CONTAINERS for f in ("env", "args", "command", "volumeMounts")),
        *((f"{path}.*.env.*", dict) for path, _ in _CONTAINERS),
    ],
}
_WORKLOADS = frozenset(("apps/v1/Deployment", "apps/v1/StatefulSet", "apps/v1/DaemonSet", "apps/v1/ReplicaSet",
                        "batch/v1/Job"))


def _at(node, parts: list[str], where: str):
    """(path, value) of every node at the dotted path, `*` expanding list entries."""
    if not parts:
        yield where, node
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for i, entry in enumerate(node if isinstance(node, list) else []):
            yield from _at(entry, rest, f"{where}[{i}]")
    elif isinstance(node, dict) and node.get(head) is not None:
        yield from _at(node[head], rest, f"{where}.{head}" if where else head)


def misshapen(obj: dict) -> list[tuple[str, str, str]]:
    """(field path, the type it must have, the type it has) of each field above of the wrong type."""
    gvk = f"{obj.get('apiVersion')}/{kind(obj)}"
    shapes = _SHAPES[""] + _SHAPES.get(gvk, []) + (_SHAPES["workload"] if gvk in _WORKLOADS else [])
    return [(path, {dict: "map", list: "list"}[want], type(value).__name__)
            for dotted, want in shapes
            for path, value in _at(obj, dotted.split("."), "")
            if not isinstance(value, want)]


def identity(obj: dict) -> tuple[str, str, str, str]:
    """kustomize's resource id: apiVersion (group and version), kind, namespace, name; no
    namespace is the same as `default`, as kustomize counts it."""
    return str(obj.get("apiVersion") or ""), kind(obj), namespace(obj) or "default", name(obj)


def duplicates(items: dict[int, dict]) -> dict[int, int]:
    """index -> index of the first item with the same identity, for every later one."""
    first: dict[tuple, int] = {}
    out = {}
    for index, obj in items.items():
        out_of = first.setdefault(identity(obj), index)
        if out_of != index:
            out[index] = out_of
    return out


def resource_ref(obj: dict) -> dict:
    ref = {"apiVersion": obj.get("apiVersion", ""), "kind": kind(obj), "name": name(obj)}
    if namespace(obj):
        ref["namespace"] = namespace(obj)
    return ref


def file_ref(obj: dict) -> dict | None:
    ann = annotations(obj)
    path = next((ann[k] for k in _PATH_ANNOTATIONS if k in ann), None)
    if path is None:
        return None
    out: dict[str, Any] = {"path": str(path)}
    index = next((ann[k] for k in _INDEX_ANNOTATIONS if k in ann), None)
    if index is not None and str(index).isdigit():
        out["index"] = int(index)
    return out


def display_name(obj: dict) -> str:
    ns = namespace(obj)
    return f"{kind(obj) or '?'} {ns + '/' if ns else ''}{name(obj) or '?'}"


def matches(obj: dict, selector: dict) -> bool:
    """kind, name, namespace and labels must all match where the selector sets them."""
    for key, actual in (("kind", kind(obj)), ("name", name(obj)), ("namespace", namespace(obj))):
        want = selector.get(key)
        if want is not None and want != actual:
            return False
    lab = labels(obj)
    return all(lab.get(k) == v for k, v in (selector.get("labels") or {}).items())
