"""Human-readable views of the catalog for `krmfn catalog`."""
from __future__ import annotations

import textwrap

from krmfn.adapters.model import Adapter


def _charts(adapter: Adapter) -> str:
    return ", ".join(f"{c.name} {c.versions}" for c in adapter.spec.charts)


def table(adapters) -> str:
    rows = [("ADAPTER", "CHARTS", "WHAT IT CHANGES")]
    rows += [(a.name, _charts(a), " ".join(a.spec.summary.split())) for a in adapters]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "".join(f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]}\n" for r in rows)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent=indent, subsequent_indent=indent)


def full(adapter: Adapter) -> str:
    s = adapter.spec
    out = [f"{adapter.name}: {' '.join(s.summary.split())}", f"charts: {_charts(adapter)}"]
    if s.options:
        out.append("options:")
        out += [f"  {k}: one of {o.enum} (default {o.default!r}) - {o.description}" for k, o in s.options.items()]
    out.append("changes:")
    for c in s.changes:
        cond = f" when {c.when.model_dump(exclude_none=True)}" if c.when else ""
        out.append(f"  {c.id} [{', '.join(c.modes)}]{cond}")
        out.append(_wrap(c.why, "      "))
        if c.values:
            out.append("      values: " + ", ".join(op.path for op in c.values))
        for p in c.patches:
            out.append(f"      patch {p.target.kind} {p.target.name or p.target.component or '*'}: "
                       + ", ".join(op.path for op in p.ops))
        for obj in c.create:
            out.append(f"      creates {obj.get('kind')} {obj.get('metadata', {}).get('name')}")
        if c.warn:
            out.append(_wrap("warns: " + c.warn, "      "))
        if not (c.values or c.patches or c.create):
            out.append("      (nothing to change: the evidence above is why)")
        out.append(f"      checks: {len(c.checks)}")
    if s.sources:
        out.append("sources:")
        out += [f"  - {src.title}: {src.url}" for src in s.sources]
    return "\n".join(out) + "\n"
