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

# FACTS.md section 4: the values that make each render repeatable (no random secrets).
_REPEATABLE = {
    "etcd": {"auth": {"rbac": {"rootPassword": "root-pw"}}},
    "mongodb": {"auth": {"rootPassword": "root-pw", "replicaSetKey": "rs-key-0123456789"}},
    "mysql-6": {"root": {"password": "root-pw"}, "replication": {"password": "repl-pw"}},
    "mysql-8": {
        "auth": {"rootPassword": "root-pw", "username": "app", "password": "app-pw", "replicationPassword": "repl-pw"}
    },
    "rabbitmq": {"auth": {"password": "mq-pw", "erlangCookie": "cookie0123456789"}},
    "redis": {"auth": {"password": "redis-pw"}},
    "redis-cluster": {"password": "redis-pw"},
}


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


def repeatable(archive: str) -> dict:
    chart, version = archive.rsplit("-", 1)
    key = f"mysql-{8 if version.startswith('8') else 6}" if chart == "mysql" else chart
    return _REPEATABLE.get(key, {})


# FACTS.md section 2: the cluster-mode renders next to each default render.
_CLUSTER = {
    "ingress-nginx-4.1.2": {
        "full": {"controller": {"kind": "DaemonSet", "metrics": {"enabled": True}}, "defaultBackend": {"enabled": True}}
    },
    "rabbitmq-8.24.12": {"cluster": {"replicaCount": 3}},
    "redis-15.3.3": {"sentinel": {"sentinel": {"enabled": True}}, "standalone": {"architecture": "standalone"}},
    "etcd-6.2.11": {"cluster": {"replicaCount": 3}},
    "mysql-6.14.12": {"cluster": {"replication": {"enabled": True}, "slave": {"replicas": 2}}},
    "mysql-7.1.0": {"cluster": {"replication": {"enabled": True}, "slave": {"replicas": 2}}},
    "mysql-8.8.18": {"cluster": {"architecture": "replication"}},
    "mongodb-10.30.12": {"cluster": {"architecture": "replicaset"}},
    "zookeeper-7.5.4": {"cluster": {"replicaCount": 3}},
}


def merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def archives() -> list[str]:
    return sorted(p.name.removesuffix(".tgz") for p in CHARTS.glob("*.tgz"))


def cases() -> list[Case]:
    """Every archive's default render and its cluster-mode renders."""
    out = []
    for archive in archives():
        out.append(Case(archive, "default", repeatable(archive)))
        for variant, values in _CLUSTER.get(archive, {}).items():
            out.append(Case(archive, variant, merge(repeatable(archive), values)))
    return out


def default_cases() -> list[Case]:
    return [c for c in cases() if c.variant == "default"]


@cache
def _helm_version() -> str:
    if not HELM.exists():
        raise RuntimeError(f"{HELM} is missing: run `make bin/helm` (the test command does)")
    return subprocess.run([HELM, "version", "--short"], capture_output=True, text=True, check=True).stdout.strip()


def render_text(archive: str, values: dict | None = None, sets: tuple[str, ...] = ()) -> str:
    """`helm template rel ARCHIVE -f VALUES [--set KEY=VALUE ...]` as text."""
    values = values or {}
    tgz = CHARTS / f"{archive}.tgz"
    key = hashlib.sha256(
        tgz.read_bytes() + json.dumps([values, sets], sort_keys=True).encode() + _helm_version().encode()
    ).hexdigest()[:24]
    cached = CACHE / f"{archive}-{key}.yaml"
    if cached.exists():
        return cached.read_text()
    CACHE.mkdir(parents=True, exist_ok=True)
    values_file = CACHE / f"{archive}-{key}.values.json"
    values_file.write_text(json.dumps(values))
    proc = subprocess.run(
        [HELM, "template", RELEASE, tgz, "--namespace", NAMESPACE, "-f", values_file,
         *(arg for kv in sets for arg in ("--set", kv))],
        capture_output=True, text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"helm template {archive} failed: {proc.stderr}")
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(proc.stdout)
    tmp.replace(cached)  # atomic: parallel test runs never read half a render
    return proc.stdout


def render(archive: str, values: dict | None = None, sets: tuple[str, ...] = ()) -> list[dict]:
    return [d for d in yaml12.load_all(render_text(archive, values, sets)) if isinstance(d, dict)]


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
