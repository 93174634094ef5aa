"""Chart versions and constraints with Helm's rules (Masterminds semver v3, which Helm uses).

Constraints: ``>=8.0.0 <9.0.0`` (space or comma: all must hold), ``||`` (any alternative),
``=``, ``!=``, ``>``, ``<``, ``>=``, ``<=``, ``~1.2`` (patch updates), ``^1.2`` (minor
updates), ``1.2.x`` / ``1.*`` wildcards and ``1.2 - 1.4`` hyphen ranges. As in Helm, a
pre-release version (``9.0.0-rc.1``) satisfies a constraint only when the constraint itself
names a pre-release; build metadata (``+abc``) never counts.
"""
from __future__ import annotations

import re
from functools import total_ordering

_VERSION = re.compile(
    r"^v?(?P<nums>\d+(?:\.\d+){0,2})(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_TERM = re.compile(r"^(?P<op>!=|>=|<=|=>|=<|>|<|=|~>|~|\^)?\s*(?P<ver>v?[0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?)$")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")


@total_ordering
class Version:
    """A semantic version; pre-releases order below their release (1.0.0-rc.1 < 1.0.0)."""

    __slots__ = ("nums", "pre")

    def __init__(self, nums: tuple[int, int, int], pre: tuple = ()):
        self.nums = nums
        self.pre = pre

    @classmethod
    def parse(cls, text: str) -> "Version":
        m = _VERSION.match(str(text).strip())
        if not m:
            raise ValueError(f"not a semantic version: {text!r}")
        nums = tuple(int(p) for p in m.group("nums").split("."))
        pre = tuple(int(p) if p.isdigit() else p for p in (m.group("pre") or "").split(".") if p)
        return cls((nums + (0, 0))[:3], pre)

    def _key(self):
        # A release sorts after all its pre-releases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.pre)
        return self.nums, (1,) if not self.pre else (0, pre)

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: "Version") -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = ".".join(map(str, self.nums))
        return text + ("-" + ".".join(map(str, self.pre)) if self.pre else "")


def _wild(text: str) -> tuple[tuple[int, int, int], int, tuple]:
    """A partial version: its floor, how many leading parts are fixed, its pre-release."""
    core, _, pre = text.lstrip("v").partition("-")
    fixed: list[int] = []
    for part in core.split("."):
        if part in ("x", "X", "*"):
            break
        fixed.append(int(part))
    floor = tuple((fixed + [0, 0, 0])[:3])
    return floor, len(fixed), Version.parse(".".join(map(str, floor)) + ("-" + pre if pre else "")).pre


def _next(floor: tuple[int, int, int], at: int) -> Version:
    """The first version past the fixed parts: bumping part `at` (0 major, 1 minor, 2 patch)."""
    at = max(at, 0)
    bumped = floor[:at] + (floor[at] + 1,) + (0,) * (2 - at)
    return Version(bumped, (0,))  # x.y.z-0: the lowest pre-release, so `<` excludes them all


_LOWEST = Version((0, 0, 0), (0,))
Span = tuple[Version, Version | None, bool]  # [low, high); True: the version must lie outside


def _term(term: str) -> tuple[Span, bool]:
    """One constraint term as a span, and whether it names a pre-release."""
    m = _TERM.match(term)
    if not m:
        raise ValueError(f"bad version constraint {term!r}")
    op = m.group("op") or "="
    op = {"=>": ">=", "=<": "<=", "~>": "~"}.get(op, op)
    floor, fixed, pre = _wild(m.group("ver"))
    low = Version(floor, pre)
    # Past the fixed parts: `1.2` ends before 1.3.0, `1` before 2.0.0, an exact version right after itself.
    end = _next(floor, fixed - 1) if 0 < fixed < 3 else None
    exact_next = Version(floor, pre + (0,)) if pre else _next(floor, 2)
    if op in ("=", "!="):
        span = (low, end, False) if fixed < 3 else (low, exact_next, False)
        if fixed == 0:
            span = (_LOWEST, None, False)
        return (span[0], span[1], op == "!="), bool(pre)
    if op == "~":
        return (low, _next(floor, 1 if fixed > 1 else 0), False), bool(pre)
    if op == "^":
        first = next((i for i, p in enumerate(floor[:fixed]) if p), max(fixed - 1, 0))
        return (low, _next(floor, first), False), bool(pre)
    after = end if fixed < 3 else exact_next
    return {
        ">=": (low, None, False),
        ">": (after, None, False),
        "<": (_LOWEST, low, False),
        "<=": (_LOWEST, after, False),
    }[op], bool(pre)


def _alternative(text: str) -> tuple[list[Span], bool]:
    """All spans of one `||` alternative, and whether it names a pre-release."""
    hyphen = _HYPHEN.match(text)
    if hyphen:
        low, high = hyphen.groups()
        parts = [_term(">=" + low), _term("<=" + high)]
    else:
        words = re.sub(r"(!=|>=|<=|=>|=<|~>|>|<|=|~|\^)\s+", r"\1", text.replace(",", " ")).split()
        if not words:
            raise ValueError("empty version constraint")
        parts = [_term(w) for w in words]
    return [span for span, _ in parts], any(pre for _, pre in parts)


def _inside(v: Version, span: Span) -> bool:
    low, high, negated = span
    within = low <= v and (high is None or v < high)
    return within != negated


def matches(version: str, constraint: str) -> bool:
    """Whether version satisfies constraint; a malformed version satisfies nothing."""
    try:
        v = Version.parse(version)
    except ValueError:
        return False
    for alt in constraint.split("||"):
        spans, names_pre = _alternative(alt)
        if v.pre and not names_pre:
            continue  # Helm: pre-releases only for constraints that ask for them
        if all(_inside(v, s) for s in spans):
            return True
    return False


def valid(constraint: str) -> bool:
    try:
        matches("0.0.0", constraint)
        return True
    except ValueError:
        return False


def bounds(constraint: str) -> tuple[Version, Version | None]:
    """The [lower, upper) of a catalog range, which must read ``>=A <B`` or ``>=A``."""
    m = re.fullmatch(r"\s*>=\s*(\S+)(?:\s*,?\s*<\s*(\S+))?\s*", constraint)
    if not m:
        raise ValueError(f"a catalog range reads '>=A <B' or '>=A', not {constraint!r}")
    return Version.parse(m.group(1)), Version.parse(m.group(2)) if m.group(2) else None
