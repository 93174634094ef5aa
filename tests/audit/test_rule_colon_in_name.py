import pytest

from audit_support import chart, container, hits, workload

RULE = "colon-in-name"


def test_object_name():
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "node-fd00::1"}}
    [hit] = hits([obj], RULE)
    assert (hit.finding.path, hit.finding.found) == ("metadata.name", "node-fd00::1")


def test_label_values():
    obj = workload(container())
    obj["metadata"]["labels"] = {"example.com/node-ip": "fd00::1"}
    obj["spec"]["template"]["metadata"]["labels"]["peer"] = "fd00::2"
    assert [h.finding.path for h in hits([obj], RULE)] == [
        "metadata.labels.example.com/node-ip", "spec.template.metadata.labels.peer"]


def test_cronjob_template_labels():
    job = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {
        "spec": {"template": {"metadata": {"labels": {"ip": "fd00::3"}}, "spec": {"containers": [container()]}}}}}}
    assert [h.finding.path for h in hits([job], RULE)] == ["spec.jobTemplate.spec.template.metadata.labels.ip"]


@pytest.mark.parametrize("obj", [
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:node-reader"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"a": "b"},
                                                          "annotations": {"note": "fd00::1"}}},
])
def test_not_a_hit(obj):
    assert hits([obj], RULE) == []


def test_charts_are_clean():
    assert hits(chart("ingress-nginx-4.1.2"), RULE) == []
