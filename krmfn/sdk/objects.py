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


def group(obj: dict) -> str:
    api = str(obj.get("apiVersion") or "")
    return api.rpartition("/")[0]


def is_local_config(obj: dict) -> bool:
    """kustomize's rule (v5.5.0, tested with `kubectl kustomize`): the annotation marks an object
    local whatever it holds ("true", "True", "", null, "1") except the string "false", which YAML
    also gives for a bare `false`. Function mode and `krmfn render` must agree with the build."""
    ann = annotations(obj)
    return LOCAL_CONFIG in ann and ann[LOCAL_CONFIG] not in ("false", False)


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
