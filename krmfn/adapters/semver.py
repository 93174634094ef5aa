"""Chart version ranges as Helm writes them: ``>=8.0.0 <9.0.0``, ``~7.5.0``, ``7.x``, joined by ``||``."""
from __future__ import annotations

import re

_CMP = re.compile(r"^(>=|<=|>|<|=|~|\^)?\s*v?([0-9x*]+(?:\.[0-9x*]+){0,2})$")


def _parts(v: str) -> tuple[int, ...]:
    core = re.split(r"[-+]", v.lstrip("v"), maxsplit=1)[0]
    nums = [int(p) for p in core.split(".") if p.isdigit()]
    return tuple((nums + [0, 0, 0])[:3])


def _wild(spec: str) -> tuple[tuple[int, ...], int]:
    """A version with x/* parts: its floor and how many leading parts are fixed."""
    fixed = []
    for p in spec.split("."):
        if p in ("x", "*"):
            break
        fixed.append(int(p))
    return tuple((fixed + [0, 0, 0])[:3]), len(fixed)


def _bump(v: tuple[int, ...], at: int) -> tuple[int, ...]:
    at = max(at, 0)
    return v[:at] + (v[at] + 1,) + (0,) * (2 - at)


def _term(version: tuple[int, ...], term: str) -> bool:
    m = _CMP.match(term)
    if not m:
        raise ValueError(f"bad version constraint {term!r}")
    op, spec = m.group(1) or "=", m.group(2)
    floor, fixed = _wild(spec)
    if op == "=":
        return floor <= version < _bump(floor, fixed - 1) if fixed < 3 else version == floor
    if op == "~":
        return floor <= version < _bump(floor, min(fixed, 2) - 1)
    if op == "^":
        first = next((i for i, p in enumerate(floor) if p), 2)
        return floor <= version < _bump(floor, first)
    return {">=": version >= floor, "<=": version <= floor, ">": version > floor, "<": version < floor}[op]


def matches(version: str, constraint: str) -> bool:
    v = _parts(version)
    return any(
        all(_term(v, t) for t in re.sub(r"(>=|<=|>|<|=|~|\^)\s+", r"\1", alt).split())
        for alt in constraint.split("||")
    )


def valid(constraint: str) -> bool:
    try:
        matches("0.0.0", constraint)
        return True
    except ValueError:
        return False
