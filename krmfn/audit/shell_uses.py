"""Where a shell script's captured value goes: only into presence tests, or somewhere it is used.

Charts capture `getent hosts NAME | awk '{print $1}'` for two reasons: to learn whether a peer's name
resolves yet (the address is then only tested with `-n`), or to announce and connect to that
address. Only the second picks a family. This follows one captured variable through a script,
conservatively: anything it cannot read as a presence test, a plain copy into another variable, or a
plain argument of one of the script's own functions counts as a use. Functions that nothing calls
are not read (redis 23.1.1 defines `add_known_sentinel_public_ip` and never calls it). Bash
variables are global unless declared `local`, so a copy is followed through the whole script, and an
exported one is a use. Not seen: a sourced file reading the global by name, `${!ref}` and `eval` with a
name built at run time.
"""
from __future__ import annotations

import re
import shlex

from krmfn.audit.text import code_lines

_FUNC = re.compile(r"^(\s*)(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?\s*$")
_DECL = r"(?:local\s+|export\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?"
# `-n "$x"` / `-z $x` inside [ ], [[ ]] or test: what comes before and after the expansion.
_TEST_BEFORE = re.compile(r"(?:^|[\s\[(!&|])-[nz]\s{1,8}\"?$")
_TEST_AFTER = re.compile(r"\"?(?:\s|\]|;|&|\||$)")
_TEST_BEFORE_MID = re.compile(r"[\s\[(!&|]-[nz]\s{1,8}\"?$")
_BEFORE = 12  # how far back `-n "` can start: read a window, not the whole line, for each expansion
# A simple command `name arg arg`: no pipes, lists, redirections or substitutions to hide a use in.
# Each character is read by one alternative only (no backtracking blow-up on an unclosed quote).
_SIMPLE = re.compile(r"\s*([A-Za-z_][\w-]*)((?:\s+(?:\"(?:[^\"`$\\]|\$(?!\())*\"|'[^']*'|[^\s;&|<>()`'\"]+))*)\s*")
# Beyond this the script is not followed: its captured addresses count as used.
_MAX_LINES, _MAX_FUNCTIONS = 5000, 300
# Quoted words, blanked before a pipeline is split into its stages (awk programs hold `;` and `|`).
_QUOTED = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"")


def _expansions(var: str) -> re.Pattern:
    if var.isdigit():  # a positional parameter inside a function
        return re.compile(rf"\$(?:\{{{var}\}}|{var}(?!\d))")
    return re.compile(rf"\$(?:\{{#?{re.escape(var)}(?:[^\w}}][^}}]*)?\}}|{re.escape(var)}(?!\w))")


def _exported(var: str) -> re.Pattern:
    return re.compile(rf"^\s*(?:export|declare\s+-\w*x\w*|typeset\s+-\w*x\w*)\s+(?:[^#;&|]*\s)?{re.escape(var)}(?![\w])")


class Script:
    def __init__(self, text: str):
        self.lines = [line for _, line in code_lines(text)]
        self.bodies: dict[str, list[str]] = {}
        self.too_big = len(self.lines) > _MAX_LINES
        if self.too_big:
            self.live = []
            return
        spans: list[tuple[str, int, int]] = []
        for i, line in enumerate(self.lines):
            m = _FUNC.match(line)
            if not m:
                continue
            end = next((j for j in range(i + 1, len(self.lines))
                        if re.fullmatch(rf"{re.escape(m.group(1))}\}}\s*", self.lines[j])), None)
            if end is not None:
                spans.append((m.group(2), i, end))
                self.bodies[m.group(2)] = self.lines[i + 1 : end]
        if len(spans) > _MAX_FUNCTIONS:
            self.too_big, self.live = True, []
            return
        # A function nobody names outside its own definition is never called: its lines are not read.
        dead: set[int] = set()
        for name, start, end in spans:
            word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
            if not any(word.search(line) for k, line in enumerate(self.lines) if not start <= k <= end):
                dead.update(range(start, end + 1))
        self.live = [line for k, line in enumerate(self.lines) if k not in dead]

    def only_tested(self, var: str) -> bool:
        """Whether every expansion of `var` (and of what it is copied or passed into) is a presence test."""
        if self.too_big:
            return False
        work, seen = [(var, None)], set()
        while work:
            name, func = work.pop()
            if (name, func) in seen:
                continue
            seen.add((name, func))
            region = self.live if func is None else self.bodies[func]
            if func is None and any(_exported(name).search(line) for line in self.live):
                return False  # the environment of every command started after it: a use
            if func is not None and any(re.search(r"\$\{?[@*]|\bshift\b", line) for line in region):
                return False  # positions move or travel together: not followed
            pattern = _expansions(name)
            for line in region:
                for m in pattern.finditer(line):
                    where = self._where(line, m)
                    if where is None:
                        return False
                    if where != "test":
                        work.append(where)
        return True

    def _where(self, line: str, m: re.Match) -> str | tuple[str, str | None] | None:
        """'test', (variable, None) for a copy, (position, function) for an argument, or None for a use."""
        start = max(0, m.start() - _BEFORE)
        before = _TEST_BEFORE if start == 0 else _TEST_BEFORE_MID
        if before.search(line, start, m.start()) and _TEST_AFTER.match(line, m.end()):
            return "test"
        copy = re.fullmatch(rf"\s*{_DECL}(\w+)=(\"?){re.escape(m.group(0))}\2\s*;?\s*", line)
        if copy:
            return copy.group(1), None
        call = _SIMPLE.fullmatch(line)
        if call and call.group(1) in self.bodies:
            try:
                args = shlex.split(call.group(2))
            except ValueError:
                return None
            if args.count(m.group(0)) == 1 and line.count(m.group(0)) == 1:
                return str(args.index(m.group(0)) + 1), call.group(1)
        return None


def captured_var(line: str, match: re.Match) -> str | None:
    """The variable a line assigns the whole output of the matched pipeline to (`ip="$(getent … | awk …)"`)."""
    m = re.fullmatch(rf"\s*{_DECL}(\w+)=(\"?)\$\((.*)\)\2\s*;?\s*", line)
    if m and m.start(3) <= match.start() and match.end() <= m.end(3) and "$(" not in m.group(3):
        return m.group(1)
    return None


def discarded(line: str, match: re.Match) -> bool:
    """The pipeline's output is thrown away or tested right there: `-n "$(getent … | awk …)"`,
    `getent … | awk … | grep -q .`, `… > /dev/null`. A bare `| grep .` prints the address (valkey's
    get_full_hostname answers with it when useHostnames is false): that is a use."""
    if re.search(r"-[nz]\s+\"?\$\($", line[: match.start()]):
        return True
    rest = _QUOTED.sub("''", line[match.start():])
    pipeline = re.split(r";|&&|\|\||\)|\bthen\b|\bdo\b", rest)[0]
    last = pipeline.split("|")[-1].split()
    if re.search(r"(?<!\d)(?:&|1)?>>?\s*/dev/null", pipeline):  # stdout gone (`2>/dev/null` keeps it)
        return True
    return bool(last) and last[0] == "grep" and any(re.fullmatch(r"-\w*q\w*|--quiet|--silent", w) for w in last[1:])


def presence_only(text: str, line: str, match: re.Match) -> bool:
    """Whether the address the matched pipeline prints is only ever tested for presence."""
    if discarded(line, match):
        return True
    var = captured_var(line, match)
    return var is not None and Script(text).only_tested(var)
