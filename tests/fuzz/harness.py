"""Running fuzz cases in-process and judging them: the counts `make fuzz` reports.

Each case runs where a user would run it: function mode through krmfn.function.run (the whole
program behind the console script, catch-all included), render and check through the click
commands as `krmfn render` / `krmfn check` parse them. In-process, an exception that leaves
them is exactly the traceback a user would see; a timeout is raised as a BaseException so no
catch-all can swallow it.
"""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from krmfn.commands import cli
from krmfn.function import run as run_function
from krmfn.sdk import resourcelist
from krmfn.sdk.errors import InputError

from .mutate import Case

INTERNAL = "internal error"
CASE_TIMEOUT = 20  # seconds; far above any case's time, so only a hang trips it


class CaseTimeout(BaseException):
    pass


@dataclass
class Outcome:
    rc: int | None
    out: str
    err: str
    exception: BaseException | None = None
    seconds: float = 0.0

    @property
    def internal(self) -> bool:
        return INTERNAL in self.err or INTERNAL in self.out


def _alarm(_signum, _frame):
    raise CaseTimeout()


def _timed(fn) -> Outcome:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT)
    start = time.perf_counter()
    try:
        outcome = fn()
    except CaseTimeout as e:
        outcome = Outcome(None, "", "", e)
    except Exception as e:  # noqa: BLE001 - what escapes is what a user would see as a traceback
        outcome = Outcome(None, "", "", e)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    outcome.seconds = time.perf_counter() - start
    return outcome


def function(data: bytes) -> Outcome:
    def go():
        out, err = io.StringIO(), io.StringIO()
        rc = run_function(data, out, err)
        return Outcome(rc, out.getvalue(), err.getvalue())

    return _timed(go)


def command(args: list[str], stdin: bytes | None = None) -> Outcome:
    def go():
        result = CliRunner(catch_exceptions=True).invoke(cli, args, input=stdin)
        escaped = result.exception if not isinstance(result.exception, SystemExit) else None
        if isinstance(escaped, CaseTimeout):
            raise escaped
        return Outcome(result.exit_code, result.stdout, result.stderr, escaped)

    return _timed(go)


def run_case(case: Case) -> Outcome:
    if case.mode == "function":
        return function(case.data)
    with tempfile.TemporaryDirectory() as tmp:
        manifests = Path(tmp, "in.yaml")
        manifests.write_bytes(case.data)
        args = [case.mode]
        if case.plan is not None:
            Path(tmp, "plan.yaml").write_bytes(case.plan)
            args += ["--plan", str(Path(tmp, "plan.yaml"))]
        if case.mode == "render":
            args += ["-o", str(Path(tmp, "out"))]
        return command(args + [str(manifests)])


def identities(items) -> list:
    out = []
    for item in items if isinstance(items, list) else []:
        md = item.get("metadata") if isinstance(item, dict) else None
        md = md if isinstance(md, dict) else {}
        out.append(json.dumps([item.get("apiVersion"), item.get("kind"), md.get("namespace"), md.get("name")],
                              default=repr, sort_keys=True) if isinstance(item, dict) else json.dumps(item, default=repr))
    return out


def read_output(text: str):
    try:
        return resourcelist.parse(text.encode("utf-8", "surrogatepass")).doc
    except (InputError, UnicodeError):
        return None


def input_items(case: Case):
    """The items krmfn must hand back: from the generated document, or the mutated text if it still reads."""
    if case.doc is not None:
        return case.doc.get("items")
    try:
        return resourcelist.parse(case.data).doc.get("items")
    except InputError:
        return None


@dataclass
class Tally:
    cases: int = 0
    modes: Counter = field(default_factory=Counter)
    exit_codes: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # check -> [(seed, detail)]
    checked: Counter = field(default_factory=Counter)
    slowest: list = field(default_factory=list)  # (seconds, seed, mode, input bytes)

    def fail(self, check: str, case: Case, detail: str) -> None:
        self.failures.setdefault(check, []).append((case.seed, case.mode, detail[:300]))

    def count(self, check: str) -> int:
        return len(self.failures.get(check, []))


def judge(case: Case, outcome: Outcome, tally: Tally, idempotence: bool, determinism: bool) -> None:
    """Every check on one case, counted in tally."""
    tally.cases += 1
    tally.modes[case.mode] += 1
    tally.kinds.update(k.split(".")[0] for k in case.kinds)
    tally.exit_codes["traceback" if outcome.exception else outcome.rc] += 1
    tally.slowest = sorted(tally.slowest + [(outcome.seconds, case.seed, case.mode, len(case.data))], reverse=True)[:5]
    if isinstance(outcome.exception, CaseTimeout):
        tally.fail("timeouts", case, f"over {CASE_TIMEOUT} s")
        return
    if outcome.exception is not None:
        tally.fail("tracebacks", case, f"{type(outcome.exception).__name__}: {outcome.exception}")
        return
    if outcome.rc not in (0, 1):
        tally.fail("other exit codes", case, f"exit {outcome.rc}: {outcome.err}")
    if outcome.internal:
        tally.fail("internal errors", case, next(line for line in (outcome.err + outcome.out).splitlines()
                                                 if INTERNAL in line))
    if "Traceback" in outcome.err:
        tally.fail("tracebacks", case, outcome.err)
    if case.mode != "function":
        return
    doc = read_output(outcome.out)
    if doc is None:
        tally.fail("unreadable output", case, outcome.out[:200])
        return
    sent = input_items(case)
    if isinstance(sent, list):
        tally.checked["lost items"] += 1
        got = identities(doc.get("items"))
        if got[: len(sent)] != identities(sent):
            tally.fail("lost items", case, f"{len(sent)} sent, {len(got)} back")
    if idempotence and outcome.rc == 0:
        tally.checked["idempotence"] += 1
        again = function(outcome.out.encode("utf-8", "surrogatepass"))
        if read_output(again.out) is None or read_output(again.out).get("items") != doc.get("items"):
            tally.fail("idempotence", case, "a second run changed the items")
    if determinism:
        tally.checked["determinism"] += 1
        twice = function(case.data)
        if (twice.rc, twice.out, twice.err) != (outcome.rc, outcome.out, outcome.err):
            tally.fail("determinism", case, "a second run in the same process differed")


def across_hash_seeds(case: Case) -> bool:
    """The console script's stdout, stderr and exit code are the same under two hash seeds."""
    krmfn = Path(sys.executable).with_name("krmfn")
    runs = [subprocess.run([krmfn], input=case.data, capture_output=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("0", "4242")]
    return (runs[0].returncode, runs[0].stdout, runs[0].stderr) == (runs[1].returncode, runs[1].stdout, runs[1].stderr)


CHECKS = ("tracebacks", "internal errors", "other exit codes", "timeouts", "unreadable output", "lost items",
          "idempotence", "determinism")


def report(tally: Tally, seconds: float) -> str:
    lines = [f"{tally.cases} cases in {seconds:.0f} s: " + ", ".join(f"{n} {m}" for m, n in sorted(tally.modes.items())),
             "exit codes: " + ", ".join(f"{k}: {n}" for k, n in sorted(tally.exit_codes.items(), key=str)),
             "mutations: " + ", ".join(f"{k}: {n}" for k, n in sorted(tally.kinds.items()))]
    for check in CHECKS:
        checked = f" of {tally.checked[check]} checked" if check in tally.checked else ""
        lines.append(f"{check}: {tally.count(check)}{checked}")
        for seed, mode, detail in tally.failures.get(check, [])[:5]:
            lines.append(f"    {seed} ({mode}): {detail}")
    lines.append("slowest: " + "; ".join(f"{s:.2f} s {seed} ({mode}, {size} bytes)"
                                         for s, seed, mode, size in tally.slowest))
    return "\n".join(lines)


def clean(tally: Tally) -> bool:
    return not any(tally.count(check) for check in CHECKS)

