"""The README's "Proven on real servers" table, made from what the runtime tests showed.

Each runtime test records a row once its assertions passed; test_table.py fails when the README
says anything else. `python -m tests.runtime.table` writes the last run's rows into the README.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RESULTS = ROOT / ".cache" / "runtime-proven.json"
BEGIN = "<!-- proven-on-real-servers: written by `python -m tests.runtime.table` from the last runtime run -->"
END = "<!-- /proven-on-real-servers -->"
HEADER = ["Server", "Chart", "Plan", "Config", "Shown"]


@dataclass(frozen=True, order=True)
class Row:
    server: str
    chart: str
    plan: str
    config: str  # "chart" (BEFORE: the render as Helm makes it) or "krmfn" (AFTER)
    shown: str


@dataclass
class Proven:
    rows: list[Row] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, row: Row, seconds: float) -> None:
        self.rows.append(row)
        self.seconds[" | ".join(asdict(row).values())] = round(seconds, 1)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"rows": [asdict(r) for r in self.rows], "seconds": self.seconds}, indent=1))


def _natural(row: Row) -> list:
    """Rows in reading order: numbers compared as numbers (mysql 8.9.6 before mysql 14.0.5)."""
    return [[int(p) if p.isdigit() else p for p in re.split(r"(\d+)", f)] for f in asdict(row).values()]


def markdown(rows: list[Row]) -> str:
    """One line per server, plan, config and result: charts that showed the same share it."""
    charts: dict[tuple[str, str, str, str], list[str]] = {}
    for r in sorted(set(rows), key=_natural):
        charts.setdefault((r.server, r.plan, r.config, r.shown), []).append(r.chart)
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += [f"| {server} | {'; '.join(names)} | {plan} | {config} | {shown} |"
              for (server, plan, config, shown), names in charts.items()]
    return "\n".join(lines)


def readme_block(text: str | None = None) -> str:
    text = README.read_text() if text is None else text
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n")


def write_readme(rows: list[Row]) -> None:
    text = README.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + markdown(rows) + "\n" + text[end:])


if __name__ == "__main__":
    if not RESULTS.exists():
        sys.exit(f"{RESULTS} is missing: run the runtime suite first (make test-runtime)")
    write_readme([Row(**r) for r in json.loads(RESULTS.read_text())["rows"]])
