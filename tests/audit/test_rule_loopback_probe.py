import pytest

from audit_support import DUAL_IPV4, IPV4, chart, configmap, container, hits, workload

RULE = "loopback-probe"


def probe(*command):
    return {"exec": {"command": list(command)}, "periodSeconds": 10}


@pytest.mark.parametrize("field, path", [
    ("livenessProbe", "livenessProbe.exec.command[2]"),
    ("readinessProbe", "readinessProbe.exec.command[2]"),
    ("startupProbe", "startupProbe.exec.command[2]"),
])
def test_exec_probes(field, path):
    c = container(**{field: probe("sh", "-c", "redis-cli -h 127.0.0.1 -p 6379 ping")})
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == f"spec.template.spec.containers[0].{path}"
    assert hit.finding.proposed == "redis-cli -h localhost -p 6379 ping"
    assert hit.severity == "warning"


def test_lifecycle_hooks():
    c = container(lifecycle={"preStop": probe("curl", "-X", "POST", "http://127.0.0.1:8080/drain")})
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].lifecycle.preStop.exec.command[3]"
    assert hit.finding.proposed == "http://localhost:8080/drain"


@pytest.mark.parametrize("action", ["httpGet", "tcpSocket"])
def test_probe_host(action):
    c = container(readinessProbe={action: {"host": "127.0.0.1", "port": 8080}})
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == f"spec.template.spec.containers[0].readinessProbe.{action}.host"
    assert "node's loopback" in hit.message


@pytest.mark.parametrize("c", [
    container(livenessProbe=probe("sh", "-c", "redis-cli -h localhost ping")),
    container(livenessProbe=probe("sh", "-c", "# was 127.0.0.1\nredis-cli -h localhost ping")),
    container(livenessProbe=probe("sh", "-c", "curl http://127.0.0.10/")),
    container(readinessProbe={"httpGet": {"path": "/healthz", "port": 10254}}),
    container(args=["--upstream=127.0.0.1:6379"]),  # not a probe: only probes and hooks are read
])
def test_not_a_hit(c):
    assert hits([workload(c)], RULE) == []


def test_scripts_run_by_hooks():
    script = "#!/bin/bash\n# stop via 127.0.0.1\nredis-cli -h 127.0.0.1 shutdown\n"
    cm = configmap("scripts", **{"prestop.sh": script, "other.sh": script})
    c = container(lifecycle={"preStop": probe("/bin/bash", "-c", "/opt/scripts/prestop.sh")},
                  volumeMounts=[{"name": "scripts", "mountPath": "/opt/scripts"}])
    sts = workload(c, name="redis", volumes=[{"name": "scripts", "configMap": {"name": "scripts"}}])
    [hit] = hits([cm, sts], RULE)
    assert (hit.obj["metadata"]["name"], hit.finding.path) == ("scripts", "data.prestop.sh")
    assert "StatefulSet default/redis preStop" in hit.message
    assert hit.finding.found == "line 3: redis-cli -h 127.0.0.1 shutdown"
    assert hit.finding.proposed == script.replace("-h 127.0.0.1", "-h localhost")


def test_script_found_through_items_and_sub_path():
    cm = configmap("health", **{"ping-redis": "redis-cli -h 127.0.0.1 ping\n"})
    c = container(livenessProbe=probe("sh", "-c", "/health/ping.sh 5"),
                  volumeMounts=[{"name": "health", "mountPath": "/health/ping.sh", "subPath": "ping.sh"}])
    vol = {"name": "health", "configMap": {"name": "health", "items": [{"key": "ping-redis", "path": "ping.sh"}]}}
    [hit] = hits([cm, workload(c, volumes=[vol])], RULE)
    assert hit.finding.path == "data.ping-redis"


def test_plans():
    objs = [workload(container(livenessProbe=probe("sh", "-c", "nc -z 127.0.0.1 80")))]
    assert [h.severity for h in hits(objs, RULE, DUAL_IPV4)] == ["warning"]
    assert hits(objs, RULE, IPV4) == []


def test_redis_sentinel_prestop_script():
    found = hits(chart("redis-15.3.3", "sentinel.enabled=true"), RULE)
    assert [(h.obj["metadata"]["name"], h.finding.path) for h in found] == [
        ("rel-redis-scripts", "data.prestop-redis.sh")]
    assert hits(chart("redis-15.3.3"), RULE) == []  # without sentinel no hook runs a script
