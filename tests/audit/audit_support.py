"""Shared by the audit tests: plans, small manifests, and renders of the real charts."""
from __future__ import annotations

import textwrap

from krmfn import audit
from krmfn.plan import IPv6Plan, from_dict
from krmfn.sdk import yaml12
from tests import charts

def plan(*families: str, policy: str | None = None, disable=(), severity=None) -> IPv6Plan:
    spec: dict = {"ipFamilies": list(families or ["IPv6"])}
    if policy:
        spec["ipFamilyPolicy"] = policy
    if disable or severity:
        spec["audit"] = {"disable": list(disable), "severity": dict(severity or {})}
    return from_dict({"apiVersion": "krmfn.dev/v1alpha1", "kind": "IPv6Plan", "spec": spec})


# A ConfigMap whose my.cnf listens on IPv4 only: the one hazard the CLI, SARIF and pre-commit tests feed in.
MYSQL_IPV4_ONLY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: mysql
data:
  my.cnf: |
    [mysqld]
    bind-address=0.0.0.0
"""

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


def chart(archive: str, *sets: str) -> list[dict]:
    """A fresh copy of the repeatable default render (tests/charts.py), plus `helm --set` values."""
    return charts.render(archive, charts.repeatable(archive), sets)
