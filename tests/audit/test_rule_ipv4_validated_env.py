import pytest

from audit_support import container, env, hits, workload

RULE = "ipv4-validated-env"


@pytest.mark.parametrize("name, value, fix", [
    ("RABBITMQ_MANAGEMENT_BIND_IP", "::", "management.tcp.ip = ::"),
    ("ELASTICSEARCH_BIND_ADDRESS", "fd00::1", "network.bind_host"),
])
def test_hit(name, value, fix):
    [hit] = hits([workload(container(env=env(**{name: value})))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env[0].value"
    assert fix in hit.finding.fix


@pytest.mark.parametrize("name, value", [
    ("RABBITMQ_MANAGEMENT_BIND_IP", "10.0.0.1"),
    ("OTHER_BIND_IP", "::"),
])
def test_not_a_hit(name, value):
    assert hits([workload(container(env=env(**{name: value})))], RULE) == []
