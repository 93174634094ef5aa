"""Loading adapters: the built-in catalog shipped with krmfn, and a plan's inline adapters.

The catalog is one file per chart (`catalog/<chart>.yaml`), read only when a render holds that
chart: start-up does not grow with the catalog.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from typing import TYPE_CHECKING

from krmfn.adapters import layout, semver
from krmfn.sdk import yaml12

if TYPE_CHECKING:
    from pydantic import ValidationError

    from krmfn.adapters.model import Adapter

# In a checkout this is a link to the top-level catalog/; in a wheel, the copied files.
CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalog"


class CatalogError(ValueError):
    def __init__(self, where: str, problems: list[tuple[str, str]]):
        super().__init__(f"{where}: " + "; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.where = where
        self.problems = problems


def _problems(e: "ValidationError") -> list[tuple[str, str]]:
    out = []
    for err in e.errors(include_url=False):
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else ("." if loc else "") + str(part)
        out.append((loc, err["msg"].removeprefix("Value error, ")))
    return out


@dataclass
class Component:
    """An adapter with its ranges resolved."""

    adapter: "Adapter"
    bindings: list[layout.Binding]

    @property
    def name(self) -> str:
        return self.adapter.name

    @property
    def chart(self) -> str:
        return self.adapter.spec.chart

    def binding(self, version: str) -> layout.Binding | None:
        return next((b for b in self.bindings if b.covers(version)), None)

    def evidence(self) -> list[semver.Version]:
        return sorted(semver.Version.parse(e.rpartition("-")[2]) for b in self.bindings for e in b.range.evidence)

    def span(self) -> str:
        return " || ".join(b.versions for b in self.bindings)

    def unproven(self, version: str) -> str | None:
        """Why this version is not proven, or None when a range covers it up to its evidence."""
        newest = self.evidence()[-1]
        if self.binding(version) is None:
            return (f"no {self.name} adapter range covers {self.chart} {version}; the catalog proves "
                    f"{self.span()} (newest proven {newest})")
        try:
            beyond = semver.Version.parse(version) > newest
        except ValueError:
            beyond = False
        if beyond:
            return f"not proven for {self.chart} {version}; newest proven {newest} (applied as its range {self.binding(version).versions})"
        return None


def parse(doc: object, where: str) -> Component:
    # The schema's pydantic models are built here, on first use: a run that reads no adapter never pays for them.
    from pydantic import ValidationError

    from krmfn.adapters.model import API_VERSION, Adapter

    if isinstance(doc, dict) and doc.get("apiVersion") == "krmfn.dev/v1alpha1":
        raise CatalogError(where, [("apiVersion", f"krmfn.dev/v1alpha1 adapters are no longer read: write {API_VERSION} "
                                                  "(intents and ranges; see docs/adapters.md)")])
    try:
        adapter = Adapter.model_validate(doc)
        layout.validate(adapter)
    except ValidationError as e:
        raise CatalogError(where, _problems(e)) from None
    except layout.LayoutError as e:
        raise CatalogError(where, [(f"spec.{e.where}", str(e))]) from None
    return Component(adapter, layout.bindings(adapter))


def builtin_names() -> list[str]:
    """Chart names the catalog has files for, without reading them."""
    return sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))


@cache
def builtin(chart: str) -> Component | None:
    path = CATALOG_DIR / f"{chart}.yaml"
    if not path.is_file():
        return None
    return parse(yaml12.load(path.read_text()), f"catalog/{path.name}")


def all_builtin() -> list[Component]:
    return [c for c in (builtin(n) for n in builtin_names()) if c is not None]


class Catalog:
    """What one run can use: a plan's inline adapters first, then the built-in files, each read on first use."""

    def __init__(self, inline: list[dict] | None = None):
        self.inline = [parse(doc, f"spec.adapters[{i}]") for i, doc in enumerate(inline or [])]

    def for_chart(self, chart: str) -> Component | None:
        mine = next((c for c in self.inline if c.chart == chart), None)
        return mine or builtin(chart)

    def by_name(self, name: str) -> Component | None:
        mine = next((c for c in self.inline if c.name == name), None)
        if mine:
            return mine
        return next((c for c in map(builtin, builtin_names()) if c and c.name == name), None)

    def names(self) -> list[str]:
        # Built-in adapters are named after their chart file; a name check needs no parsing.
        return sorted({c.name for c in self.inline} | set(builtin_names()))

    def subcharts(self, chart: str, version: str) -> list[str]:
        comp = self.for_chart(chart)
        b = comp.binding(version) if comp else None
        return b.subcharts if b else []
