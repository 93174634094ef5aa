import pytest

from audit_support import DUAL_IPV4, IPV4, chart, configmap, container, env, hits, workload

RULE = "ipv6-disabled"


@pytest.mark.parametrize("name, value, proposed", [
    ("MONGODB_ENABLE_IPV6", "no", "yes"),
    ("ENABLE_IPV6", "false", "true"),
    ("APP_ENABLE_IPV6", "FALSE", "TRUE"),
    ("DISABLE_IPV6", "1", "0"),
    ("JAVA_OPTS", "-Xmx1g -Djava.net.preferIPv4Stack=true", "-Xmx1g -Djava.net.preferIPv4Stack=false"),
])
def test_env(name, value, proposed):
    [hit] = hits([workload(container(env=env(**{name: value})))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env[0].value"
    assert (hit.finding.current, hit.finding.proposed) == (value, proposed)
    assert hit.finding.found.startswith(f"{name}=")


@pytest.mark.parametrize("key, text, proposed", [
    ("mongodb.conf", "net:\n  port: 27017\n  ipv6: false\n  bindIpAll: true\n",
     "net:\n  port: 27017\n  ipv6: true\n  bindIpAll: true\n"),
    ("disable-ipv6", "true", "false"),
    ("app.ini", "[net]\nenable_ipv6 = no\n", "[net]\nenable_ipv6 = yes\n"),
])
def test_config(key, text, proposed):
    [hit] = hits([configmap(**{key: text})], RULE)
    assert hit.finding.path == f"data.{key}"
    assert hit.finding.proposed == proposed


def test_args():
    [hit] = hits([workload(container(args=["-Djava.net.preferIPv4Stack=true", "-jar", "app.jar"]))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].args[0]"
    assert hit.finding.proposed == "-Djava.net.preferIPv4Stack=false"


@pytest.mark.parametrize("key, text", [
    ("mongodb.conf", "net:\n  # ipv6: false\n  ipv6: true\n"),
    ("disable-ipv6", "false"),
    ("disable-ipv6-dns", "true"),  # AAAA lookups of nginx's resolver, another matter
    ("app.ini", "ipv6 = yes\nenable_ipv6 = true\n"),
    ("script.sh", "echo ipv6-false-alarm\n"),
])
def test_not_a_hit(key, text):
    assert hits([configmap(**{key: text})], RULE) == []


def test_enabled_env_is_fine():
    assert hits([workload(container(env=env(MONGODB_ENABLE_IPV6="yes")))], RULE) == []


def test_plans():
    objs = [workload(container(env=env(MONGODB_ENABLE_IPV6="no")))]
    assert [h.severity for h in hits(objs, RULE, DUAL_IPV4)] == ["warning"]
    assert hits(objs, RULE, IPV4) == []


def test_mongodb_chart_default():
    [hit] = hits(chart("mongodb-10.30.12"), RULE)
    assert hit.obj["kind"] == "Deployment" and hit.finding.found == "MONGODB_ENABLE_IPV6=no"
    assert hits(chart("mongodb-10.30.12", "enableIPv6=true"), RULE) == []
