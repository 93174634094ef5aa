"""Reading strings the way the programs behind them do: line by line, comments skipped.

Config files (my.cnf, redis.conf, rabbitmq.conf, YAML), shell scripts and single values
all pass through here, so that a rule never fires on a commented-out example.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from krmfn.audit.context import Finding
from krmfn.audit.walk import ENV, Site

# '#' comments in shell, YAML, redis.conf, rabbitmq.conf; ';' comments in my.cnf and INI files.
_COMMENT = re.compile(r"^\s*[#;]")
_EXCERPT = 100


def code_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for every line that is not a comment."""
    for number, line in enumerate(text.split("\n"), 1):
        if not _COMMENT.match(line):
            yield number, line


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Returned by a fixer: the match is not a hit after all (an IPv6 listener sits beside it, say).
SKIP = object()


class Scan:
    """The hits of one rule in one string, and the string with every fixable hit fixed.

    A rule reports one finding per string (not one per line): the table stays short and
    the proposed value fixes every occurrence at once.
    """

    def __init__(self, text: str, label: str = ""):
        self.text = text
        self.label = label  # shown before a one-line excerpt: "MONGODB_ENABLE_IPV6="
        # Split only once something matches: most strings hold nothing, and the audit runs on
        # every render.
        self._original: list[str] = []
        self._lines: list[str] | None = None
        self._hits: dict[int, str] = {}
        self._fixable = True

    def __bool__(self) -> bool:
        return bool(self._hits)

    def _split(self) -> list[str]:
        if self._lines is None:
            self._original = self.text.split("\n")
            self._lines = list(self._original)
        return self._lines

    def hit(self, number: int, new_line: str | None = None) -> None:
        """Record a hit on line `number`; `new_line` is its mechanical fix, if there is one."""
        lines = self._split()
        self._hits.setdefault(number, self._original[number - 1])
        if new_line is None:
            self._fixable = False
        else:
            lines[number - 1] = new_line

    def scan(self, pattern: re.Pattern, fix: Callable[[re.Match, str], object] | None = None) -> bool:
        """Hit every code line where `pattern` matches; say whether anything was hit. `fix(match,
        line)` returns the text that replaces the match, None when there is no mechanical fix, or
        SKIP when it is no hit."""
        current = self.text if self._lines is None else "\n".join(self._lines)
        if not pattern.search(current):
            return False
        lines, before = self._split(), len(self._hits)
        for number, _ in code_lines(self.text):
            line = lines[number - 1]
            out, pos, hit, fixed = [], 0, False, True
            for m in pattern.finditer(line):
                repl = fix(m, line) if fix else None
                if repl is SKIP:
                    continue
                hit = True
                if repl is None:
                    fixed, repl = False, m.group(0)
                out.append(line[pos : m.start()] + str(repl))
                pos = m.end()
            if hit:
                self.hit(number, "".join(out) + line[pos:] if fixed else None)
        return len(self._hits) > before

    @property
    def found(self) -> str:
        number = min(self._hits)
        where = f"line {number}: " if "\n" in self.text.strip("\n") else self.label
        more = f" (+{len(self._hits) - 1} more)" if len(self._hits) > 1 else ""
        return f"{where}{excerpt(self._hits[number])}{more}"

    @property
    def proposed(self) -> str | None:
        return "\n".join(self._split()) if self._hits and self._fixable else None

    def finding(self, path: str, fix: str, **kw) -> Finding:
        """The Finding for these hits; current and proposed values only when the fix is mechanical."""
        if self.proposed is not None:
            kw.update(current=self.text, proposed=self.proposed)
        return Finding(path, self.found, fix, **kw)


def scan_site(site: Site) -> Scan:
    return Scan(site.value, f"{site.key}=" if site.kind == ENV else "")
