"""A values sink: one place in one object where a chart release's Helm values live."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from krmfn.sdk.results import WARNING, Result

# What Helm itself accepts as one chart version; anything else (4.x, >=4.0.0, *) is a range.
_EXACT = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass
class Sink:
    obj: dict
    at: str  # path of the values map inside obj
    chart: str
    version: str
    release: str
    namespace: str
    # Value sources krmfn cannot read and whose values krmfn's values take precedence over.
    shadowed: list[str] = field(default_factory=list)
    # Value sources that take precedence over krmfn's values: (where, `--set` name, or None for a file).
    overriding: list[tuple[str, str | None]] = field(default_factory=list)
    # Flux HelmRelease: what values cannot make goes into spec.postRenderers (krmfn.values_sinks.postrender).
    post_renderers: bool = False


def exact(version) -> str | None:
    """The version without its 'v', when it names one chart version."""
    return str(version).lstrip("v") if isinstance(version, str) and _EXACT.match(version) else None


def unknown_version(obj: dict, at: str, chart, version, why: str = "", fix: str = "pin the version") -> Result:
    said = f"version {version!r}" if version not in (None, "") else "no version"
    return Result(
        f"chart {chart} has {said}{why}: krmfn needs one exact chart version to pick the adapter's "
        f"changes, so these values are left untouched; {fix}",
        WARNING, obj, at,
    )
