"""What a transform changed: objects matched by identity, differences as RFC 6902 patches."""
from __future__ import annotations

import jsonpatch

from krmfn.sdk import objects


def identity(obj: dict) -> tuple[str, str, str, str]:
    return objects.group(obj), objects.kind(obj), objects.namespace(obj), objects.name(obj)


def changes(before: list[dict], after: list[dict]) -> tuple[list[tuple[dict, list[dict]]], list[dict]]:
    """(changed objects with their JSON patch from before to after, objects only in after)."""
    old = {identity(o): o for o in before if isinstance(o, dict)}
    changed, created = [], []
    for obj in after:
        if not isinstance(obj, dict):
            continue
        prev = old.get(identity(obj))
        if prev is None:
            created.append(obj)
        elif prev != obj:
            changed.append((obj, jsonpatch.make_patch(prev, obj).patch))
    return changed, created
