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
    ("ip=\"$(getent hosts \"$host.$HEADLESS\" | awk '{ print $1 }')\"; echo \"announce-ip $ip\" >> x.conf",
     "getent hosts"),
    ("ip=$(ip -4 addr show eth0 | grep inet)", "IPv4 addresses only"),
])
def test_scripts(script, reason):
    [hit] = hits([configmap(**{"start.sh": f"#!/bin/bash\nset -e\n{script}\n"})], RULE)
    assert hit.finding.path == "data.start.sh"
    assert hit.finding.found.startswith("line 3: ")
    assert reason in hit.message


# `getent hosts NAME | awk` keeps one address; it picks a family only when that address is used. A
# presence test (does the peer's name resolve yet?) is not a use: valkey's and redis's (15.7.2+)
# start-sentinel.sh test it with `-n` and write names (shared/charts/next/FACTS.md §9).
_CAPTURE = "ip=\"$(getent hosts \"$h.$HEADLESS\" | awk '{ print $1 }')\"\n"
_ADD = "add_known() {\n    hostname=\"$1\"\n    ip=\"$2\"\n{body}\n}\n"


@pytest.mark.parametrize("script", [
    _CAPTURE + "if [ -n \"$ip\" ]; then echo found; fi",
    _CAPTURE + "[[ -z $ip ]] && exit 1",
    # handed to one of the script's own functions, which copies it and only tests it (valkey 2.4.7-4.0.2)
    _CAPTURE + _ADD.replace("{body}", "    if [[ -n \"$hostname\" && -n \"$ip\" ]]; then\n        add \"known $hostname\"\n    fi")
    + "add_known \"$h\" \"$ip\"",
    # a function that would use it, but nothing calls it (redis 23.1.1's add_known_sentinel_public_ip)
    _CAPTURE + "unused() {\n    echo \"sentinel known-sentinel m $ip 26379\"\n}\n[ -n \"$ip\" ] || exit 1",
    "until getent hosts \"$name\" | awk '{ print $1 }' | grep -q .; do sleep 1; done",
    "getent hosts \"$name\" | awk '{ print $1 }' > /dev/null || exit 1",
    "if [ -n \"$(getent hosts \"$name\" | awk '{ print $1 }')\" ]; then echo ok; fi",
])
def test_presence_tests_are_not_a_hit(script):
    assert hits([configmap(**{"start.sh": f"#!/bin/bash\n{script}\n"})], RULE) == []


@pytest.mark.parametrize("script", [
    _CAPTURE + "echo \"sentinel known-replica m $ip 6379\" >> sentinel.conf",
    _CAPTURE + "if [ -n \"$ip\" ]; then connect \"$ip\"; fi",
    _CAPTURE + "[[ \"$ip\" != \"$MASTER\" ]] && echo replica",
    _CAPTURE + "peer=\"$ip\"\nredis-cli -h \"$peer\" ping",
    # passed on to a function that writes it into the config (redis 15.3.3's add_known_sentinel)
    _CAPTURE + _ADD.replace("{body}", "    echo \"sentinel known-sentinel m $ip 26379\" >> s.conf") + "add_known \"$h\" \"$ip\"",
    _CAPTURE + _ADD.replace("{body}", "    shift\n    echo \"$2\"") + "add_known \"$h\" \"$ip\"",
    # exported: every command started after it reads it from the environment
    "export PEER_IP=\"$(getent hosts \"$h\" | awk '{ print $1 }')\"\nexec server",
    _CAPTURE + "export ip",
    # only stderr is thrown away: the address is printed
    "getent hosts \"$name\" | awk '{ print $1 }' 2>/dev/null",
    # `grep .` prints the address: valkey's get_full_hostname answers with it when useHostnames is false
    "get_full_hostname() {\n    until getent hosts \"$1\" | awk '{ print $1; exit }' | grep .; do sleep 5; done\n}",
])
def test_a_used_address_is_a_hit(script):
    [hit] = hits([configmap(**{"start.sh": f"#!/bin/bash\n{script}\n"})], RULE)
    assert "getent hosts" in hit.message


def test_an_unclosed_quote_is_read_in_linear_time():
    # An argument list that never closes its quote once made the call parser backtrack exponentially.
    script = _CAPTURE + _ADD.replace("{body}", "    [ -n \"$2\" ]") + "add_known \"" + "$ipa" * 5000 + "$ip\n"
    [hit] = hits([configmap(**{"start.sh": f"#!/bin/bash\n{script}"})], RULE)
    assert "getent hosts" in hit.message


def test_valkey_sentinel_scripts():
    """valkey's sentinel scripts test the captured address for presence and announce names: quiet. With
    useHostnames=false every get_full_hostname answers the first `getent hosts` address: flagged."""
    for archive in ("valkey-2.4.7", "valkey-4.0.2"):
        assert hits(chart(archive, "sentinel.enabled=true"), RULE) == []
        found = hits(chart(archive, "sentinel.enabled=true", "useHostnames=false"), RULE)
        assert [h.finding.path for h in found] == [
            "data.start-node.sh", "data.start-sentinel.sh", "data.prestop-sentinel.sh", "data.prestop-valkey.sh"]
        assert all("grep ." in h.finding.found and "getent hosts" in h.message for h in found)


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
    # 15.7.2 on: the captured address is only tested for presence, names are announced
    assert hits(chart("redis-15.7.6", "sentinel.enabled=true"), RULE) == []
    assert hits(chart("redis-23.1.1", "sentinel.enabled=true"), RULE) == []
    # mongodb's version regex and zookeeper's `hostname -s` stay quiet
    assert hits(chart("mongodb-10.30.12"), RULE) == hits(chart("zookeeper-7.5.4"), RULE) == []
