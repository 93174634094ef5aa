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
    return str(annotations(obj).get(LOCAL_CONFIG, "")).lower() == "true"


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
