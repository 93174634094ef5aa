"""Field paths in the notation kpt results use, with kyaml-style list selectors.

``spec.template.spec.containers[name=mysql].env[name=FOO].value``, ``spec.ports[0].port``,
``data[my.cnf]`` (a bracketed key may contain dots). Catalog files, results and checks all
speak this one notation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)|(\.)")


@dataclass(frozen=True)
class Key:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Select:
    """The list entry whose ``field`` equals ``value`` (created with that field when missing)."""

    field: str
    value: str


Step = Key | Index | Select


def parse(path: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        if m.start() != pos:
            raise ValueError(f"bad path {path!r} at {pos}")
        pos = m.end()
        bracket, bare = m.group(1), m.group(2)
        if bare is not None:
            steps.append(Key(bare))
        elif bracket is not None:
            if bracket.isdigit():
                steps.append(Index(int(bracket)))
            elif "=" in bracket:
                f, _, v = bracket.partition("=")
                steps.append(Select(f, v))
            else:
                steps.append(Key(bracket))
    if pos != len(path) or not steps:
        raise ValueError(f"bad path {path!r}")
    return tuple(steps)


def format(steps) -> str:  # noqa: A001 - the inverse of parse
    out = ""
    for s in steps:
        if isinstance(s, Key):
            out += f"[{s.name}]" if "." in s.name else ("." if out else "") + s.name
        elif isinstance(s, Index):
            out += f"[{s.index}]"
        else:
            out += f"[{s.field}={s.value}]"
    return out


def _child(node: Any, step: Step) -> Any:
    if isinstance(step, Key):
        return node.get(step.name) if isinstance(node, dict) else None
    if isinstance(step, Index):
        return node[step.index] if isinstance(node, list) and step.index < len(node) else None
    if isinstance(node, list):
        return next((e for e in node if isinstance(e, dict) and str(e.get(step.field)) == step.value), None)
    return None


_MISSING = object()


def get(node: Any, path: str, default: Any = None) -> Any:
    for step in parse(path):
        node = _child(node, step)
        if node is None:
            return default
    return node


def resolve(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for the value at path, with selectors turned into indexes."""
    steps = parse(path)
    concrete: list[Step] = []
    for step in steps:
        child = _child(node, step)
        if child is None:
            return
        if isinstance(step, Select):
            step = Index(node.index(child))
        concrete.append(step)
        node = child
    yield format(concrete), node


def set(node: dict, path: str, value: Any) -> None:  # noqa: A001
    """Set the value at path, creating maps and selected list entries on the way."""
    steps = parse(path)
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        nxt = None if last else steps[i + 1]
        fresh: Any = [] if isinstance(nxt, (Index, Select)) else {}
        if isinstance(step, Key):
            if not isinstance(node, dict):
                raise ValueError(f"{format(steps[:i])} is not a map")
            if last:
                node[step.name] = value
                return
            if not isinstance(node.get(step.name), (dict, list)):
                node[step.name] = fresh
            node = node[step.name]
        elif isinstance(step, Select):
            if not isinstance(node, list):
                raise ValueError(f"{format(steps[:i])} is not a list")
            entry = _child(node, step)
            if entry is None:
                entry = {step.field: step.value}
                node.append(entry)
            if last:
                node[node.index(entry)] = value
                return
            node = entry
        else:
            if not isinstance(node, list) or step.index >= len(node):
                raise ValueError(f"{format(steps[:i + 1])} does not exist")
            if last:
                node[step.index] = value
                return
            node = node[step.index]


def delete(node: Any, path: str) -> bool:
    steps = parse(path)
    parent = node
    for step in steps[:-1]:
        parent = _child(parent, step)
        if parent is None:
            return False
    last = steps[-1]
    if isinstance(last, Key) and isinstance(parent, dict) and last.name in parent:
        del parent[last.name]
        return True
    target = _child(parent, last)
    if isinstance(parent, list) and target is not None:
        parent.remove(target)
        return True
    return False
