"""What the audit finds in the default render of every pinned chart (docs/audit.md, "Proof over the
real charts"). The pins hold in both directions: a finding lost or a finding gained fails here."""
from collections import Counter

import pytest

from audit_support import ALL_PLANS, chart, hits
from tests import charts
from krmfn.sdk import objects

# Default values (plus FACTS.md §4's fixed passwords), the default IPv6 single-stack plan:
# (rule, severity, object, field path) of every finding.
IPV6_ONLY = {
    "elasticsearch-17.5.7": [],
    "etcd-6.2.11": [
        ("ipv4-wildcard-bind", "info", "StatefulSet default/rel-etcd", "spec.template.spec.containers[0].env[13].value"),
        ("ipv4-wildcard-bind", "info", "StatefulSet default/rel-etcd", "spec.template.spec.containers[0].env[15].value"),
    ],
    "ingress-nginx-4.1.2": [
        ("service-family", "error", "Service default/rel-ingress-nginx-controller", "spec.ipFamilies"),
    ],
    "mongodb-10.30.12": [
        ("ipv6-disabled", "error", "Deployment default/rel-mongodb", "spec.template.spec.containers[0].env[8].value"),
    ],
    "mysql-6.14.12": [
        ("ipv4-wildcard-bind", "error", "ConfigMap rel-mysql-master", "data.my.cnf"),
        ("ipv4-wildcard-bind", "error", "ConfigMap rel-mysql-slave", "data.my.cnf"),
    ],
    "mysql-7.1.0": [
        ("ipv4-wildcard-bind", "error", "ConfigMap rel-mysql-master", "data.my.cnf"),
        ("ipv4-wildcard-bind", "error", "ConfigMap rel-mysql-slave", "data.my.cnf"),
    ],
    "mysql-8.8.18": [
        ("ipv4-wildcard-bind", "error", "ConfigMap default/rel-mysql", "data.my.cnf"),
    ],
    "rabbitmq-8.24.12": [
        ("rabbitmq-http-ipv4", "warning", "ConfigMap default/rel-rabbitmq-config", "data.rabbitmq.conf"),
        ("erlang-dist", "error", "StatefulSet default/rel-rabbitmq", "spec.template.spec.containers[0].env"),
    ],
    "redis-15.3.3": [],
    "redis-cluster-7.4.6": [],
    "zookeeper-7.5.4": [],
}

# The same renders on dual-stack plans: rule/severity -> count.
DUAL_STACK = {
    "dual-ipv4": {
        "etcd-6.2.11": {"ipv4-wildcard-bind/info": 2},
        "ingress-nginx-4.1.2": {"service-family/warning": 1},
        "mongodb-10.30.12": {"ipv6-disabled/warning": 1},
        "mysql-6.14.12": {"ipv4-wildcard-bind/warning": 2},
        "mysql-7.1.0": {"ipv4-wildcard-bind/warning": 2},
        "mysql-8.8.18": {"ipv4-wildcard-bind/warning": 1},
        "rabbitmq-8.24.12": {"rabbitmq-http-ipv4/warning": 1},
    },
    "dual-ipv6": {
        "etcd-6.2.11": {"ipv4-wildcard-bind/info": 2},
        "ingress-nginx-4.1.2": {"service-family/warning": 2},
        "mongodb-10.30.12": {"ipv6-disabled/error": 1},
        "mysql-6.14.12": {"ipv4-wildcard-bind/error": 2},
        "mysql-7.1.0": {"ipv4-wildcard-bind/error": 2},
        "mysql-8.8.18": {"ipv4-wildcard-bind/error": 1},
        "rabbitmq-8.24.12": {"rabbitmq-http-ipv4/warning": 1},
    },
}


def test_every_archive_is_pinned():
    assert charts.pinned_archives() == sorted(IPV6_ONLY)


@pytest.mark.parametrize("name", sorted(IPV6_ONLY))
def test_ipv6_only(name):
    found = [(h.rule.ID, h.severity, objects.display_name(h.obj), h.finding.path) for h in hits(chart(name))]
    assert found == IPV6_ONLY[name]


@pytest.mark.parametrize("plan", sorted(DUAL_STACK))
@pytest.mark.parametrize("name", sorted(IPV6_ONLY))
def test_dual_stack(plan, name):
    counts = Counter(f"{h.rule.ID}/{h.severity}" for h in hits(chart(name), plan=ALL_PLANS[plan]))
    assert dict(counts) == DUAL_STACK[plan].get(name, {})


@pytest.mark.parametrize("name", sorted(IPV6_ONLY))
def test_ipv4_only_plans_find_nothing(name):
    assert hits(chart(name), plan=ALL_PLANS["ipv4"]) == []


def test_missing_helm_fails_loudly(tmp_path):
    import subprocess
    import sys

    code = "from tests import charts; charts.render_text('zookeeper-7.5.4', {'missing-helm-test': 1})"
    done = subprocess.run([sys.executable, "-c", code], cwd=charts.ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "KRMFN_HELM": str(tmp_path / "helm")}, timeout=60)
    assert done.returncode != 0
    assert f"{tmp_path / 'helm'} is missing" in done.stderr and "make bin/helm" in done.stderr
