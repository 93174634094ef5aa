import pytest

from audit_support import (DUAL_IPV4, DUAL_IPV6, IPV4, IPV6, chart, configmap, container, env, hits,
                           workload)

RULE = "ipv4-wildcard-bind"

MY_CNF = """\
[mysqld]
default_authentication_plugin=mysql_native_password
skip-name-resolve
port=3306
bind-address=0.0.0.0
max_allowed_packet=16M
"""


@pytest.mark.parametrize("key, text, proposed", [
    ("my.cnf", MY_CNF, MY_CNF.replace("bind-address=0.0.0.0", "bind-address=*")),
    ("redis.conf", "port 6379\nbind 0.0.0.0\n", "port 6379\nbind * -::*\n"),
    ("rabbitmq.conf", "management.tcp.ip = 0.0.0.0\n", "management.tcp.ip = ::\n"),
    ("elasticsearch.yml", "network:\n  host: 0.0.0.0\n", 'network:\n  host: "::"\n'),
    ("server.conf", 'listen_addresses = "0.0.0.0:9000"\n', 'listen_addresses = "[::]:9000"\n'),
    ("bind-address", "0.0.0.0", "::"),
])
def test_config_files_fixed_mechanically(key, text, proposed):
    [hit] = hits([configmap(**{key: text})], RULE)
    assert (hit.severity, hit.finding.path) == ("error", f"data.{key}")
    assert hit.finding.current == text
    assert hit.finding.proposed == proposed


def test_found_names_the_line():
    [hit] = hits([configmap(**{"my.cnf": MY_CNF})], RULE)
    assert hit.finding.found == "line 5: bind-address=0.0.0.0"
    assert "bind-address=*" in hit.finding.fix


def test_mongod_bind_ip_has_no_mechanical_fix():
    [hit] = hits([configmap(**{"mongodb.conf": "net:\n  port: 27017\n  bindIp: 0.0.0.0\n"})], RULE)
    assert hit.finding.path == "data.mongodb.conf"
    assert "bindIpAll: true" in hit.finding.fix and "ipv6: true" in hit.finding.fix
    assert hit.result().to_dict()["field"] == {"path": "data.mongodb.conf"}


def test_nginx_listen_needs_an_ipv6_twin():
    [hit] = hits([configmap(**{"nginx.conf": "server {\n  listen 0.0.0.0:80 default_server;\n}\n"})], RULE)
    assert "listen [::]:PORT" in hit.finding.fix


@pytest.mark.parametrize("field, value, path, proposed", [
    ("args", ["--bind=0.0.0.0"], "args[0]", "--bind=::"),
    ("args", ["--web.listen-address", "0.0.0.0:9216"], "args[1]", "[::]:9216"),
    ("command", ["/bin/sh", "-c", "exec server --host 0.0.0.0 --port 80"], "command[2]",
     "exec server --host :: --port 80"),
    ("env", env(LISTEN_URLS="http://0.0.0.0:2379,http://0.0.0.0:2380"), "env[0].value",
     "http://[::]:2379,http://[::]:2380"),
    ("env", env(APP_BIND_ADDRESS="0.0.0.0"), "env[0].value", "::"),
])
def test_container_strings(field, value, path, proposed):
    [hit] = hits([workload(container(**{field: value}))], RULE)
    assert hit.finding.path == f"spec.template.spec.containers[0].{path}"
    assert hit.finding.proposed == proposed


def test_init_containers_are_read():
    obj = workload(container(), init=[container("init", args=["--listen=0.0.0.0:8080"])])
    [hit] = hits([obj], RULE)
    assert hit.finding.path == "spec.template.spec.initContainers[0].args[0]"


def test_image_validated_variables_get_the_config_fix():
    [hit] = hits([workload(container(env=env(ELASTICSEARCH_BIND_ADDRESS="0.0.0.0")))], RULE)
    assert hit.finding.found == "ELASTICSEARCH_BIND_ADDRESS=0.0.0.0"
    assert "network.bind_host" in hit.finding.fix
    assert hit.result().to_dict()["field"] == {"path": "spec.template.spec.containers[0].env[0].value"}


def test_go_servers_are_info():
    etcd = container("etcd", "docker.io/bitnami/etcd:3.5.0-debian-10-r24",
                     env=env(ETCD_LISTEN_CLIENT_URLS="http://0.0.0.0:2379"))
    [hit] = hits([workload(etcd)], RULE)
    assert hit.severity == "info"
    assert "Go program" in hit.finding.fix
    assert hit.finding.proposed == "http://[::]:2379"


@pytest.mark.parametrize("plan, severity", [(IPV6, "error"), (DUAL_IPV6, "error"), (DUAL_IPV4, "warning")])
def test_severity_follows_the_primary_family(plan, severity):
    [hit] = hits([configmap(**{"my.cnf": MY_CNF})], RULE, plan)
    assert hit.severity == severity


def test_silent_on_ipv4_single_stack():
    assert hits([configmap(**{"my.cnf": MY_CNF})], RULE, IPV4) == []


@pytest.mark.parametrize("key, text", [
    ("my.cnf", "[mysqld]\n# bind-address=0.0.0.0\n;bind-address=0.0.0.0\nbind-address=*\n"),
    ("redis.conf", "# bind 0.0.0.0\n  # bind 0.0.0.0\nbind 0.0.0.0 ::\n"),
    ("redis.conf", "bind * -::*\n"),
    ("rabbitmq.conf", "#management.tcp.ip = 0.0.0.0\nmanagement.tcp.ip = ::\n"),
    ("mongodb.conf", "net:\n  bindIp: 0.0.0.0,::\n  ipv6: true\n"),
    ("nginx.conf", "listen 0.0.0.0:80;\nlisten [::]:80;\n"),
    ("ingress", "0.0.0.0/0"),
    ("proxy-real-ip-cidr", "0.0.0.0/0"),
    ("elasticsearch.yml", "network.publish_host: 0.0.0.0\n"),
    ("NOTES.txt", "bind 0.0.0.0\nbind-address=0.0.0.0\n"),
    ("motd", "listening on 0.0.0.0 and friends\n"),
])
def test_not_a_hit(key, text):
    assert hits([configmap(**{key: text})], RULE) == []


def test_annotations_and_unrelated_env_are_not_read():
    obj = workload(container(env=env(ALLOWED_RANGE="0.0.0.0/0", PEER="0.0.0.0")))
    obj["metadata"]["annotations"] = {"example": "bind 0.0.0.0"}
    assert hits([obj], RULE) == []


def test_mysql_charts(request):
    found = hits(chart("mysql-6.14.12"), RULE)
    assert [(h.obj["metadata"]["name"], h.finding.path) for h in found] == [
        ("rel-mysql-master", "data.my.cnf"), ("rel-mysql-slave", "data.my.cnf")]
    assert all("bind-address=*" in h.finding.proposed and "0.0.0.0" not in h.finding.proposed for h in found)
