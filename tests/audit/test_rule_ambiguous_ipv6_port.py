import pytest

from audit_support import IPV4, chart, configmap, container, env, hits, workload
from krmfn.audit.context import UNSET
from tests import charts

RULE = "ambiguous-ipv6-port"


@pytest.mark.parametrize("value, address, port", [
    ("2001:db8::5:6379", "2001:db8::5", "6379"),  # the field notes' go-redis REDIS_ADDR
    ("fd00::1:2379", "fd00::1", "2379"),
    ("::1:6379", "::1", "6379"),
    ("::ffff:10.0.0.1:6379", "::ffff:10.0.0.1", "6379"),
])
def test_env_value(value, address, port):
    [hit] = hits([workload(container(env=env(REDIS_ADDR=value)))], RULE)
    assert hit.severity == "warning"
    assert hit.finding.path == "spec.template.spec.containers[0].env[0].value"
    assert hit.finding.found == f"REDIS_ADDR={value}"
    assert hit.finding.proposed == f"[{address}]:{port}"
    # The warning shows the bracketed form and says why it cannot be sure.
    assert f"`[{address}]:{port}`" in hit.finding.fix and "ambiguous" in hit.message


def test_every_address_in_a_list_is_bracketed():
    [hit] = hits([workload(container(env=env(SEEDS="2001:db8::5:6379,redis-1:6379,fd00::9:26379")))], RULE)
    assert hit.finding.proposed == "[2001:db8::5]:6379,redis-1:6379,[fd00::9]:26379"


def test_args_flag_and_split_flag():
    [joined, split] = hits([workload(container(args=["--redis-addr=2001:db8::5:6379", "--addr", "fd00::1:80"]))], RULE)
    assert (joined.finding.path, joined.finding.proposed) == (
        "spec.template.spec.containers[0].args[0]", "--redis-addr=[2001:db8::5]:6379")
    assert (split.finding.path, split.finding.proposed) == ("spec.template.spec.containers[0].args[2]", "[fd00::1]:80")


def test_config_text_lines_and_comments():
    text = "# addr 2001:db8::5:6379\naddr 2001:db8::5:6379\nslaveof 2001:db8::5 6379\n"
    [hit] = hits([configmap(**{"client.conf": text})], RULE)
    assert hit.finding.found == "line 2: addr 2001:db8::5:6379"
    # The comment stays as written; only the line a program reads changes.
    lines = text.split("\n")
    lines[1] = "addr [2001:db8::5]:6379"
    assert hit.finding.proposed == "\n".join(lines)


def test_no_mechanical_fix_where_a_yaml_value_starts():
    # `addr: [2001:db8::5]:6379` would be a YAML flow list: the fix needs quotes, so none is proposed.
    [hit] = hits([configmap(**{"app.yaml": "redis:\n  addr: 2001:db8::5:6379\n"})], RULE)
    assert hit.finding.proposed is UNSET and "quoted where the file is YAML" in hit.finding.fix


def test_fires_whatever_the_plan():
    assert len(hits([workload(container(env=env(REDIS_ADDR="2001:db8::5:6379")))], RULE, IPV4)) == 1


@pytest.mark.parametrize("name, value", [
    ("REDIS_ADDR", "2001:db8::5"),  # an address alone
    ("REDIS_ADDR", "fe80::1"),
    ("REDIS_ADDR", "::"),
    ("REDIS_ADDR", "::1"),
    ("REDIS_ADDR", "[2001:db8::5]:6379"),
    ("REDIS_ADDR", "2001:db8::5 6379"),
    ("REDIS_ADDR", "redis-master:6379"),
    ("REDIS_ADDR", "10.0.0.1:6379"),
    ("RABBITMQ_LISTENER", ":::5672"),  # no address as a whole: one reading only
    ("ZOO_SERVERS", "rel-zookeeper-0.rel-zookeeper-headless.default.svc.cluster.local:2888:3888::1"),
    ("ETCD_ADVERTISE_CLIENT_URLS", "http://fd00::1:2379"),  # unbracketed-ipv6's, as an error
    ("DSN", "root:pw@tcp(fd00::2:3306)/app"),
    ("NET", "fd00::/64"),
    ("CLOCK", "12:34:56"),
    ("POD_IP", "2001:db8:85a3::8a2e:370:7334"),  # address-only settings: brackets would be wrong
    ("HOST_IPS", "2001:db8::5:6379"),
    ("REDIS_BIND", "2001:db8::5:6379"),
])
def test_not_a_hit_in_env(name, value):
    assert hits([workload(container(env=env(**{name: value})))], RULE) == []


@pytest.mark.parametrize("text", [
    "bind ::1\n",
    "bind 2001:db8::1 ::1 2001:db8:85a3::8a2e:370:7334\n",
    "slaveof 2001:db8::5 6379\n",
    "replicaof 2001:db8::5 6379\n",
    "sentinel monitor mymaster 2001:db8::5 6379 2\n",
    "bind-address=2001:db8::5:6379\n",
    "management.tcp.ip = 2001:db8::5:6379\n",
    "net:\n  bindIp: 2001:db8::5:6379\n",
    "listeners.tcp.1 = :::5672\n",
])
def test_not_a_hit_in_config_text(text):
    assert hits([configmap(**{"app.conf": text})], RULE) == []


@pytest.mark.parametrize("args", [["--bind-address=2001:db8::5:6379"], ["--node-ip", "2001:db8::5:6379"]])
def test_not_a_hit_in_address_only_flags(args):
    assert hits([workload(container(args=args))], RULE) == []


@pytest.mark.parametrize("archive", charts.archives())
def test_no_chart_default_render_has_one(archive):
    # Helm renders address peers by DNS name; docs/audit.md's pinned counts stay as they were.
    assert hits(chart(archive), RULE) == []
