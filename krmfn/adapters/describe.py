"""Human-readable views of the catalog: `krmfn catalog`, and the README's table, from one source."""
from __future__ import annotations

import textwrap

from krmfn.adapters.catalog import Component
from krmfn.adapters.model import OPS


def _one_line(text: str) -> str:
    return " ".join(text.split())


def ranges(comp: Component) -> list[tuple[str, str, str]]:
    """(range, evidence, what it does) per range: the coverage a user can read."""
    rows = []
    for b in comp.bindings:
        said = []
        for intent in comp.adapter.spec.intents:
            if intent.id in b.skip:
                continue
            said.append(f"{intent.id} (no edit)" if intent.id in b.noop else intent.id)
        rows.append((b.versions, ", ".join(sorted(b.range.evidence, key=_version_key)), ", ".join(said)))
    return rows


def _version_key(archive: str):
    from krmfn.adapters.semver import Version

    return Version.parse(archive.rpartition("-")[2])


def table(comps: list[Component]) -> str:
    rows = [("ADAPTER", "CHART", "RANGES", "WHAT IT CHANGES")]
    rows += [(c.name, c.chart, " | ".join(b.versions for b in c.bindings), _one_line(c.adapter.spec.summary)) for c in comps]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}\n" for r in rows)


def markdown(comps: list[Component]) -> str:
    """The README's catalog table: one row per range, generated (a test fails when the README drifts)."""
    out = ["| Adapter | Chart versions | Proven on | Intents |", "|---|---|---|---|"]
    for c in comps:
        for versions, evidence, said in ranges(c):
            out.append(f"| {c.name} | `{versions}` | {evidence} | {said} |")
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(_one_line(text), width=100, initial_indent=indent, subsequent_indent=indent)


def full(comp: Component) -> str:
    s = comp.adapter.spec
    out = [f"{comp.name}: {_one_line(s.summary)}", f"chart: {s.chart}"]
    if s.options:
        out.append("options:")
        out += [f"  {k}: one of {o.enum} (default {o.default!r}) - {_one_line(o.description)}" for k, o in s.options.items()]
    out.append("intents:")
    for i in s.intents:
        cond = f" when {i.when.model_dump(exclude_none=True)}" if i.when else ""
        out.append(f"  {i.id} [{', '.join(i.modes)}]{cond}")
        out.append(_wrap(i.why, "      "))
        for e in i.edits:
            op = next(k for k in OPS if getattr(e, k) is not None)
            out.append(f"      {op} at {e.at}{'.' + e.path if e.path else ''}"
                       + (f" ({', '.join(e.on)} path only)" if len(e.on) == 1 else ""))
        if i.restart:
            out.append(f"      rolls pods with annotation {i.restart.annotation} when it changed their config")
        if i.warn:
            out.append(_wrap("warns: " + i.warn, "      "))
        if not i.edits:
            out.append("      (nothing to change: the evidence above is why)")
        out.append(f"      checks: {', '.join(sorted({c.at for c in i.checks})) or 'none'}")
    out.append("ranges:")
    for b in comp.bindings:
        out.append(f"  {b.versions}  (evidence: {', '.join(b.range.evidence)})")
        out.append(_wrap(b.range.why, "      "))
        for name, place in sorted(b.places.items()):
            where = f"{'/'.join(place.kind)} {place.path}" if place.kind else "values only"
            if place.component:
                where += f" (component {place.component})"
            if place.chart:
                where += f" (subchart {place.chart})"
            vals = ", ".join(v.path for v in place.values)
            out.append(f"      {name}: {where}" + (f"; values {vals}" if vals else ""))
        for intent_id, why in {**b.noop, **b.skip}.items():
            word = "no edit" if intent_id in b.noop else "not applicable"
            out.append(_wrap(f"{intent_id}: {word}: {why}", "      "))
    if s.sources:
        out.append("sources:")
        out += [f"  - {src.title}: {src.url}" for src in s.sources]
    return "\n".join(out) + "\n"
