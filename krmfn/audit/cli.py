"""`krmfn check`: the audit as a CI gate over manifest files, directories or stdin."""
from __future__ import annotations

import sys
import traceback

from krmfn import plan as plan_mod
from krmfn.audit import Hit, Report, audit
from krmfn.audit.context import describe_plan
from krmfn.sdk import manifests, objects, yaml12
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import ERROR, INFO, WARNING

ASSUMED_PLAN = {
    "apiVersion": plan_mod.API_VERSION,
    "kind": plan_mod.KIND,
    "metadata": {"name": "assumed"},
    "spec": {"ipFamilies": ["IPv6"]},
}
def load_plan(plan_file: str | None, function_config) -> tuple[plan_mod.IPv6Plan, str]:
    """The plan and where it came from."""
    if plan_file:
        return plan_mod.from_file(plan_file), plan_file
    if function_config is not None:
        try:
            return plan_mod.from_function_config(function_config), "the ResourceList's functionConfig"
        except InputError as e:
            raise InputError(f"the ResourceList's functionConfig: {e}") from None
    return plan_mod.from_dict(ASSUMED_PLAN), "assumed, no --plan given"


def _table(hits: list[Hit]) -> list[str]:
    rows = [("SEVERITY", "RULE", "OBJECT", "FIELD")]
    rows += [(h.severity, h.rule.ID, objects.display_name(h.obj), h.finding.path) for h in hits]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
        if n == 0:
            continue
        h = hits[n - 1]
        f = h.finding
        indent = " " * (widths[0] + 2)
        lines.append(f"{indent}{f.problem or h.rule.TITLE}: {f.found}")
        lines.append(f"{indent}fix: {f.fix}")
        file = objects.file_ref(h.obj)
        if file:
            lines.append(f"{indent}in {file['path']}" + (f" (document {file['index'] + 1})" if "index" in file else ""))
    return lines


def _summary(report: Report, count: int, plan: plan_mod.IPv6Plan, source: str) -> str:
    by = {s: sum(h.severity == s for h in report.hits) for s in (ERROR, WARNING, INFO)}
    tally = ", ".join(f"{n} {s}{'s' if n != 1 and s != INFO else ''}" for s, n in by.items())
    return f"{count} objects checked against {describe_plan(plan)} ({source}): {tally}"


def write(report: Report, fmt: str, out, count: int, plan: plan_mod.IPv6Plan, source: str) -> None:
    if fmt == "sarif":
        from krmfn.audit import sarif

        out.write(sarif.dump(report))
    elif fmt == "json":
        out.write(yaml12.dump_json([h.to_dict() for h in report.hits]))
    elif fmt == "yaml":
        out.write(yaml12.dump([h.to_dict() for h in report.hits]))
    else:
        lines = _table(report.hits) if report.hits else []
        out.write("\n".join([*lines, _summary(report, count, plan, source)]) + "\n")


def check(inputs: tuple[str, ...], plan_file: str | None, fmt: str, stdin=None, out=None, err=None,
          skip_non_manifests: bool = False) -> int:
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    if not inputs:
        if stdin.isatty():
            err.write("krmfn: error: no input: give manifest files, directories, or - for stdin\n")
            return 1
        inputs = ("-",)
    try:
        items, function_config = manifests.read(inputs, stdin, annotate=True, skip_non_manifests=skip_non_manifests)
        plan, source = load_plan(plan_file, function_config)
    except InputError as e:
        err.write(f"krmfn: error: {' '.join(str(e).split())}\n")
        return 1
    except OSError as e:
        err.write(f"krmfn: error: {e.filename or ''}: {e.strerror}\n")
        return 1
    try:
        report = audit(items, plan)
    except Exception as e:  # noqa: BLE001 - a CI gate reports its own bug in one line, like function mode
        where = traceback.extract_tb(e.__traceback__)[-1]
        err.write(f"krmfn: error: internal error {type(e).__name__}: {e} (at {where.filename.rsplit('/', 1)[-1]}:"
                  f"{where.lineno}); please report it\n")
        return 1
    for note in report.notes:
        err.write(note.line() + "\n")
    write(report, fmt, out, len(items), plan, source)
    return 1 if any(h.severity == ERROR for h in report.hits) else 0
