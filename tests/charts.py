"""The real pinned charts in ../shared/charts, rendered with the project-local helm.

Renders are cached on disk by (archive bytes, values, helm version) so that the many tests
over the same render pay for `helm template` once per machine.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from krmfn.sdk import yaml12

ROOT = Path(__file__).resolve().parent.parent
CHARTS = Path(os.environ.get("KRMFN_SHARED", ROOT.parent / "shared")) / "charts"
HELM = Path(os.environ.get("KRMFN_HELM", ROOT / "bin" / "helm"))  # overridable to test its absence
CACHE = ROOT / ".cache" / "renders"
RELEASE = "rel"
NAMESPACE = "default"

@dataclass(frozen=True)
class Case:
    """One archive rendered with one set of values: the unit every chart test runs over."""

    archive: str
    variant: str = "default"
    values: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def chart(self) -> str:
        return self.archive.rsplit("-", 1)[0]

    @property
    def version(self) -> str:
        return self.archive.rsplit("-", 1)[1]

    @property
    def id(self) -> str:
        return f"{self.archive}-{self.variant}"


VARIANTS = Path(__file__).resolve().parent / "variants"


@cache
def _variants(chart: str) -> list[dict]:
    path = VARIANTS / f"{chart}.yaml"
    return yaml12.load(path.read_text()) if path.exists() else []


def _rows(archive: str) -> dict:
    """The first row of tests/variants/<chart>.yaml whose range holds the archive's version."""
    from krmfn.adapters import semver

    chart, version = archive.rsplit("-", 1)
    return next((r for r in _variants(chart) if semver.matches(version, r["versions"])), {})


def repeatable(archive: str) -> dict:
    return _rows(archive).get("repeatable") or {}


def merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def pinned_archives() -> list[str]:
    return sorted(p.name.removesuffix(".tgz") for p in CHARTS.glob("*.tgz"))


# versions/: the last release of every major line of the pinned charts; next/: the next components'
# three newest majors (charts/next/FACTS.md).
FOLDERS = (CHARTS, CHARTS / "versions", CHARTS / "next")


def archives() -> list[str]:
    """Every archive in ../shared/charts, charts/versions and charts/next."""
    return sorted(p.name.removesuffix(".tgz") for folder in FOLDERS for p in folder.glob("*.tgz"))


def archive_path(archive: str) -> Path:
    for folder in FOLDERS:
        if (folder / f"{archive}.tgz").exists():
            return folder / f"{archive}.tgz"
    raise FileNotFoundError(f"{archive}.tgz is in none of {', '.join(map(str, FOLDERS))}")


def _cases(names: list[str]) -> list[Case]:
    out = []
    for archive in names:
        out.append(Case(archive, "default", repeatable(archive)))
        for variant, values in (_rows(archive).get("variants") or {}).items():
            out.append(Case(archive, variant, merge(repeatable(archive), values)))
    return out


def cases() -> list[Case]:
    """Every archive's default render and its cluster-mode renders (tests/variants)."""
    return _cases(archives())


def pinned_cases() -> list[Case]:
    """The same for the pinned archives only: what docs/audit.md's before-krmfn counts are about."""
    return _cases(pinned_archives())


def default_cases() -> list[Case]:
    return [c for c in cases() if c.variant == "default"]


def chart_of(archive: str) -> str:
    return archive.rsplit("-", 1)[0]


def version_of(archive: str) -> str:
    return archive.rsplit("-", 1)[1]


def chart_archives(chart: str) -> list[str]:
    """Every archive of one chart, oldest version first."""
    from krmfn.adapters.semver import Version

    return sorted((a for a in archives() if chart_of(a) == chart), key=lambda a: Version.parse(version_of(a)))


def newest(chart: str) -> str:
    return chart_archives(chart)[-1]


@cache
def _helm_version() -> str:
    if not HELM.exists():
        raise RuntimeError(f"{HELM} is missing: run `make bin/helm` (the test command does)")
    return subprocess.run([HELM, "version", "--short"], capture_output=True, text=True, check=True).stdout.strip()


def render_text(archive: str, values: dict | None = None, sets: tuple[str, ...] = (), release: str = RELEASE,
                namespace: str = NAMESPACE) -> str:
    """`helm template RELEASE ARCHIVE -n NAMESPACE -f VALUES [--set KEY=VALUE ...]` as text."""
    values = values or {}
    tgz = archive_path(archive)
    key = hashlib.sha256(
        tgz.read_bytes() + json.dumps([values, sets, release, namespace], sort_keys=True).encode()
        + _helm_version().encode()
    ).hexdigest()[:24]
    cached = CACHE / f"{archive}-{key}.yaml"
    if cached.exists():
        return cached.read_text()
    CACHE.mkdir(parents=True, exist_ok=True)
    values_file = CACHE / f"{archive}-{key}.values.json"
    values_file.write_text(json.dumps(values))
    proc = subprocess.run(
        [HELM, "template", release, tgz, "--namespace", namespace, "-f", values_file,
         *(arg for kv in sets for arg in ("--set", kv))],
        capture_output=True, text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"helm template {archive} failed: {proc.stderr}")
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(proc.stdout)
    tmp.replace(cached)  # atomic: parallel test runs never read half a render
    return proc.stdout


def render(archive: str, values: dict | None = None, sets: tuple[str, ...] = (), release: str = RELEASE,
           namespace: str = NAMESPACE) -> list[dict]:
    return [d for d in yaml12.load_all(render_text(archive, values, sets, release, namespace)) if isinstance(d, dict)]


def resource_list(items: list[dict], function_config: dict) -> dict:
    return {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": function_config,
    }


PLANS = {
    "ipv4": ["IPv4"],
    "ipv6": ["IPv6"],
    "dual-ipv4": ["IPv4", "IPv6"],
    "dual-ipv6": ["IPv6", "IPv4"],
}


def plan(mode: str, **spec) -> dict:
    return {
        "apiVersion": "krmfn.dev/v1alpha1",
        "kind": "IPv6Plan",
        "metadata": {"name": mode},
        "spec": {"ipFamilies": PLANS[mode], **spec},
    }
