"""The runner: plan settings, ignore annotations, KRM results, and robustness on odd shapes."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from audit_support import DUAL_IPV4, IPV6, configmap, container, env, plan, workload
from krmfn import audit
from krmfn.audit.context import Context
from krmfn.audit.rules import ALL
from krmfn.audit.walk import Bundle

MY_CNF = {"my.cnf": "[mysqld]\nbind-address=0.0.0.0\n"}


def test_every_rule_module_declares_itself():
    assert len(ALL) == len(audit.RULES) >= 14
    for rule in ALL:
        assert rule.ID == rule.__name__.rsplit(".", 1)[-1].replace("_", "-")
        assert rule.SEVERITY in ("error", "warning", "info")
        assert rule.TITLE and rule.WHY and callable(rule.check)
        # every WHY cites where the fact comes from: an issue/PR, a doc, or the shared notes
        assert any(s in rule.WHY for s in ("#", "docs", "shared/", ".com", "RFC")), rule.ID


def test_results_are_krm_results():
    [result] = audit.run([configmap("mysql", **MY_CNF)], IPV6)
    d = result.to_dict()
    assert d["severity"] == "error"
    assert d["resourceRef"] == {"apiVersion": "v1", "kind": "ConfigMap", "name": "mysql", "namespace": "default"}
    assert d["field"] == {"path": "data.my.cnf", "currentValue": MY_CNF["my.cnf"],
                          "proposedValue": "[mysqld]\nbind-address=*\n"}
    assert d["message"].startswith("[ipv4-wildcard-bind] listens on 0.0.0.0")
    assert "fix: `bind-address=*`" in d["message"]


def test_plan_disables_rules():
    assert audit.run([configmap(**MY_CNF)], plan("IPv6", disable=["ipv4-wildcard-bind"])) == []


def test_plan_overrides_severity():
    [hit] = audit.audit([configmap(**MY_CNF)], plan("IPv6", severity={"ipv4-wildcard-bind": "info"})).hits
    assert hit.severity == "info"
    # the override wins over the rule's own choice of severity for a finding (dual-stack: warning)
    [hit] = audit.audit([configmap(**MY_CNF)], plan("IPv4", "IPv6", severity={"ipv4-wildcard-bind": "error"})).hits
    assert hit.severity == "error"


def test_unknown_rule_ids_in_the_plan_are_reported():
    report = audit.audit([], plan("IPv6", disable=["ipv4-wildcard-bindd"], severity={"nope": "info"}))
    assert [n.severity for n in report.notes] == ["warning", "warning"]
    assert "unknown audit rule 'ipv4-wildcard-bindd'" in report.notes[0].message


def test_ignore_annotation():
    cm = configmap(**MY_CNF)
    cm["metadata"]["annotations"] = {"krmfn.dev/ignore": "ipv4-wildcard-bind, duplicate-env",
                                     "krmfn.dev/ignore-reason": "mysqld runs with --bind-address=* from args"}
    report = audit.audit([cm], IPV6)
    assert report.hits == [] and report.notes == []


def test_ignore_annotation_is_per_object_and_per_rule():
    ignored = configmap("a", **MY_CNF)
    ignored["metadata"]["annotations"] = {"krmfn.dev/ignore": "duplicate-env"}
    hits = audit.audit([ignored, configmap("b", **MY_CNF)], IPV6).hits
    assert [h.obj["metadata"]["name"] for h in hits] == ["a", "b"]


def test_unknown_rule_in_annotation_is_reported():
    cm = configmap(**MY_CNF)
    cm["metadata"]["annotations"] = {"krmfn.dev/ignore": "ipv4-wildcard"}
    report = audit.audit([cm], IPV6)
    [note] = report.notes
    assert note.path == "metadata.annotations.krmfn.dev/ignore" and note.resource is cm
    assert len(report.hits) == 1


def test_local_config_and_non_objects_are_skipped():
    cm = configmap(**MY_CNF)
    cm["metadata"]["annotations"] = {"config.kubernetes.io/local-config": "true"}
    assert audit.run([cm, "text", None, 3], IPV6) == []


def test_findings_follow_object_then_rule_order():
    twice = [*env(MONGODB_ENABLE_IPV6="no"), *env(MONGODB_ENABLE_IPV6="no")]
    objs = [workload(container(env=twice)), configmap(**MY_CNF)]
    ids = [(h.obj["kind"], h.rule.ID) for h in audit.audit(objs, IPV6).hits]
    assert ids == [("StatefulSet", "ipv6-disabled"), ("StatefulSet", "ipv6-disabled"),
                   ("StatefulSet", "duplicate-env"), ("ConfigMap", "ipv4-wildcard-bind")]


# Odd shapes: rules walk user input, which may hold any JSON value anywhere.
_KEYS = st.sampled_from([
    "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "template",
    "jobTemplate", "containers", "initContainers", "env", "value", "args", "command", "livenessProbe",
    "lifecycle", "preStop", "exec", "httpGet", "host", "data", "ipFamilies", "ipFamilyPolicy", "clusterIP",
    "clusterIPs", "type", "selector", "ingress", "egress", "from", "to", "ipBlock", "cidr", "except",
    "volumes", "volumeMounts", "configMap", "mountPath", "subPath", "items", "key", "path", "serviceName",
    "image",
])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from([
    "v1", "ConfigMap", "Service", "NetworkPolicy", "networking.k8s.io/v1", "apps/v1", "StatefulSet",
    "ExternalName", "RequireDualStack", "None", "IPv4", "IPv6", "0.0.0.0/0", "::/0", "fd00::/8",
    "bind 0.0.0.0", "http://fd00::1:80", "127.0.0.1", "-proto_dist inet6_tcp", "/opt/x.sh", "/opt",
    "rabbitmq.conf", "hostname -i", "fe80::1", "a:b",
]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=6), max_size=4))
def test_odd_shapes_never_crash(items):
    for p in (IPV6, DUAL_IPV4):
        for result in audit.run(items, p):
            result.to_dict()


_DEGENERATE = [
    {},
    {"apiVersion": "v1", "kind": "ConfigMap", "data": None},
    {"apiVersion": "v1", "kind": "Service", "spec": "text"},
    {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": "x"}}}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"env": [None, {"name": None, "value": 3}], "args": [1, None], "livenessProbe": {"exec": "x"}}]}}}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {"egress": [{"to": [None, {"ipBlock": 1}]}]}},
]


@pytest.mark.parametrize("rule", ALL, ids=[r.ID for r in ALL])
@pytest.mark.parametrize("obj", _DEGENERATE)
def test_rules_pass_over_degenerate_objects(rule, obj):
    assert list(rule.check(Context(obj, IPV6, Bundle([obj])))) == []


def test_docs_list_every_rule_with_its_severity():
    from tests.charts import ROOT

    text = (ROOT / "docs" / "audit.md").read_text()
    for rule in ALL:
        assert f"| `{rule.ID}` | {rule.SEVERITY} |" in text, rule.ID
