"""Loading adapters: the built-in catalog shipped with krmfn, and a plan's inline adapters."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import ValidationError

from krmfn.adapters.model import Adapter
from krmfn.sdk import yaml12

# In a checkout this is a link to the top-level catalog/; in a wheel, the copied files.
CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalog"


class CatalogError(ValueError):
    def __init__(self, where: str, problems: list[tuple[str, str]]):
        super().__init__(f"{where}: " + "; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.where = where
        self.problems = problems


def _problems(e: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in e.errors(include_url=False):
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else ("." if loc else "") + str(part)
        out.append((loc, err["msg"].removeprefix("Value error, ")))
    return out


def parse(doc: object, where: str) -> Adapter:
    try:
        return Adapter.model_validate(doc)
    except ValidationError as e:
        raise CatalogError(where, _problems(e)) from None


@cache
def builtin() -> tuple[Adapter, ...]:
    out = []
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        out.append(parse(yaml12.load(path.read_text()), f"catalog/{path.name}"))
    return tuple(out)


def by_name(name: str) -> Adapter | None:
    return next((a for a in builtin() if a.name == name), None)


def for_chart(chart: str, version: str, adapters=None) -> Adapter | None:
    return next((a for a in (adapters or builtin()) if a.supports(chart, version)), None)


def with_inline(inline: list[dict]) -> list[Adapter]:
    """The catalog plus a plan's own adapters; an inline adapter replaces a built-in one of its name."""
    mine = [parse(doc, f"spec.adapters[{i}]") for i, doc in enumerate(inline)]
    names = {a.name for a in mine}
    return mine + [a for a in builtin() if a.name not in names]
