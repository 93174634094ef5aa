import pytest

from audit_support import IPV4, chart, configmap, container, hits, workload

RULE = "single-family-script"


@pytest.mark.parametrize("script, reason", [
    ("myip=$(hostname -i)", "hostname -i"),
    ("ips=$(hostname -I)", "hostname -i"),
    ("myip=$(echo $ips | awk '{ if (match($0,/([0-9]+\\.)([0-9]+\\.)([0-9]+\\.)[0-9]+/)) print }')", "dotted-quad"),
    ("grep -oE '([0-9]{1,3}\\.){3}[0-9]{1,3}'", "dotted-quad"),
    ("ip=$(getent ahosts $(hostname) | head -n 1 | awk '{print $1}')", "first getent result"),
    ("ip=$(getent ahosts $HOST | awk 'NR==1 {print $1}')", "first getent result"),
    ("ip=\"$(getent hosts \"$host.$HEADLESS\" | awk '{ print $1 }')\"", "getent hosts"),
    ("ip=$(ip -4 addr show eth0 | grep inet)", "IPv4 addresses only"),
])
def test_scripts(script, reason):
    [hit] = hits([configmap(**{"start.sh": f"#!/bin/bash\nset -e\n{script}\n"})], RULE)
    assert hit.finding.path == "data.start.sh"
    assert hit.finding.found.startswith("line 3: ")
    assert reason in hit.message


def test_command():
    c = container(command=["/bin/sh", "-c", "export MY_IP=$(hostname -i); exec server"])
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].command[2]"


@pytest.mark.parametrize("script", [
    "HOSTNAME=`hostname -s`",
    "[[ $(mongo --version) =~ ([0-9]+\\.[0-9]+\\.[0-9]+) ]] && VERSION=${BASH_REMATCH[1]}",
    "if [[ -z \"$(getent ahosts \"$HEADLESS_SERVICE\" | grep \"^${myip}\")\" ]]; then",
    "# myip=$(hostname -i)",
    "getent hosts \"$host\" > /dev/null",
    "echo $response | head -n1",
])
def test_not_a_hit(script):
    assert hits([configmap(**{"start.sh": f"#!/bin/bash\n{script}\n"})], RULE) == []


def test_silent_on_ipv4_plans():
    assert hits([configmap(**{"start.sh": "hostname -i\n"})], RULE, IPV4) == []


def test_redis_sentinel_scripts():
    found = hits(chart("redis-15.3.3", "sentinel.enabled=true"), RULE)
    assert [h.finding.path for h in found] == ["data.start-node.sh", "data.start-sentinel.sh"]
    assert "dotted-quad" in found[0].message and "getent hosts" in found[1].message
    # mongodb's version regex and zookeeper's `hostname -s` stay quiet
    assert hits(chart("mongodb-10.30.12"), RULE) == hits(chart("zookeeper-7.5.4"), RULE) == []
