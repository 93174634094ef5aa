"""Merging an adapter's values overlay into the values a user wrote: the user's values win.

The overlay is walked path by path (what the values path wrote), so each value lands at
exactly the path its edit names: a list entry selected by `[name=X]` joins the user's own list,
and a conflict is reported at the leaf where the two values differ.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from krmfn.sdk import paths

Leaf = tuple[paths.Step, ...]


@dataclass
class Outcome:
    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)  # user values replaced by the adapter's edit of them
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)  # (path, user's value, adapter's)


def fill(values: dict, overlay: dict, written: list) -> Outcome:
    """Write the overlay's values into ``values`` in place, path by path, keeping the user's.

    ``written`` is what the values path wrote where (krmfn.adapters.values.Written): a whole
    value (an edit of a text or list the user may have) replaces theirs; a set value merges key
    by key and reports a conflict where the user said otherwise.
    """
    out = Outcome()
    for entry in written:
        path = entry.path
        ours = paths.get(overlay, path)
        if ours is None:
            continue
        steps = paths.parse(path)
        shown = paths.format(steps)  # `a.b[c]` and `a.b.c` name one key: report one spelling
        blocked = obstacle(values, steps)
        if blocked is not None:
            where = paths.format(blocked[0])
            if where not in (c[0] for c in out.conflicts):  # one report for every path below it
                out.conflicts.append((where, blocked[1], paths.get(overlay, where)))
            continue
        mine = paths.get(values, path)
        if entry.whole:
            # The overlay's value is the user's own, edited (the values path starts from it).
            if mine != ours:
                paths.set(values, path, copy.deepcopy(ours))
                (out.added if mine is None else out.edited).append(shown)
        elif mine is None:
            paths.set(values, path, copy.deepcopy(ours))
            out.added.extend(paths.format(steps + leaf) for leaf in leaves(ours))
        elif isinstance(mine, dict) and isinstance(ours, dict):
            _merge(mine, ours, steps, out)
        elif mine != ours and shown not in (c[0] for c in out.conflicts):
            out.conflicts.append((shown, mine, ours))
    return out


def obstacle(values: dict, steps: Leaf) -> tuple[Leaf, Any] | None:
    """Where the user wrote a value the deeper path cannot go through (null included): a scalar, or
    a list where a key follows, or a map where a list entry does."""
    node = values
    for i, step in enumerate(steps[:-1]):
        if not isinstance(step, paths.Key) or not isinstance(node, dict) or step.name not in node:
            return None  # absent keys and list steps are paths.set's to create
        node = node[step.name]
        if not isinstance(node, dict if isinstance(steps[i + 1], paths.Key) else list):
            return steps[: i + 1], node
    return None


def _merge(mine: dict, ours: dict, at: Leaf, out: Outcome) -> None:
    for key, value in ours.items():
        here = at + (paths.Key(str(key)),)
        if key not in mine:
            mine[key] = copy.deepcopy(value)
            out.added.extend(paths.format(here + leaf) for leaf in leaves(value))
        elif isinstance(mine[key], dict) and isinstance(value, dict):
            _merge(mine[key], value, here, out)
        elif mine[key] != value:
            out.conflicts.append((paths.format(here), mine[key], value))


def leaves(doc: Any, at: Leaf = ()) -> list[Leaf]:
    """Paths of the non-map values in doc; lists are values, as Helm merges them whole."""
    if not isinstance(doc, dict) or not doc:
        return [at]
    return [leaf for key, value in doc.items() for leaf in leaves(value, at + (paths.Key(str(key)),))]


_SET_STEP = re.compile(r"((?:\\.|[^.\[\]])+)((?:\[\d+\])*)")


def set_path(name: str) -> Leaf:
    """The path a Helm `--set` name addresses: dots separate keys unless escaped, [N] indexes lists."""
    steps: list[paths.Step] = []
    for m in _SET_STEP.finditer(name):
        steps.append(paths.Key(m.group(1).replace("\\.", ".")))
        steps.extend(paths.Index(int(i)) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return tuple(steps)


def overlaps(a: Leaf, b: Leaf) -> bool:
    """One path is the other or lies inside it."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]
