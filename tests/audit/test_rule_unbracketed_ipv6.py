import pytest

from audit_support import IPV4, chart, configmap, container, env, hits, workload

RULE = "unbracketed-ipv6"


@pytest.mark.parametrize("value, proposed", [
    ("http://fd00::1:2379", "http://[fd00::1]:2379"),
    ("https://2001:db8::10:9200/_cluster/health", "https://[2001:db8::10]:9200/_cluster/health"),
    ("etcd-0=http://fd00::a:2380,etcd-1=http://fd00::b:2380", "etcd-0=http://[fd00::a]:2380,etcd-1=http://[fd00::b]:2380"),
    ("redis://user:pw@fd00::5:6379/0", "redis://user:pw@[fd00::5]:6379/0"),
    ("http://fd00::1", "http://[fd00::1]"),
    ("root:pw@tcp(fd00::2:3306)/app", "root:pw@tcp([fd00::2]:3306)/app"),
])
def test_env_urls_and_dsns(value, proposed):
    [hit] = hits([workload(container(env=env(ETCD_INITIAL_CLUSTER=value)))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env[0].value"
    assert hit.finding.proposed == proposed
    assert hit.severity == "error"


def test_config_file_and_args():
    text = "[client]\n# url = http://fd00::1:80\nurl = http://fd00::1:80\n"
    [hit] = hits([configmap(**{"client.ini": text})], RULE)
    assert hit.finding.found == "line 3: url = http://fd00::1:80"
    [hit] = hits([workload(container(args=["--es.uri=http://fd00::9:9200"]))], RULE)
    assert hit.finding.proposed == "--es.uri=http://[fd00::9]:9200"


def test_fires_whatever_the_plan():
    assert len(hits([workload(container(env=env(URL="http://fd00::1:80")))], RULE, IPV4)) == 1


@pytest.mark.parametrize("value", [
    "http://[fd00::1]:2379",
    "http://[::]:2379",
    "http://rel-etcd-0.rel-etcd-headless.default.svc.cluster.local:2379",
    "http://10.0.0.1:2379",
    "http://cafe:80",  # hex letters, but a host name
    "tcp([fd00::2]:3306)",
    "tcp(mysql:3306)",
    "fd00::1:6379",  # not a URL: Redis-style ip:port, split on the last colon
    "listeners.tcp.1 = :::5672",  # RabbitMQ's own syntax
    # zookeeper's ZOO_SERVERS: host:quorum:election::id
    "rel-zookeeper-0.rel-zookeeper-headless.default.svc.cluster.local:2888:3888::1",
])
def test_not_a_hit(value):
    assert hits([workload(container(env=env(VALUE=value)))], RULE) == []


def test_zookeeper_chart_is_clean():
    assert hits(chart("zookeeper-7.5.4"), RULE) == []
