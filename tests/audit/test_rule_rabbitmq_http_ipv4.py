from audit_support import DUAL_IPV4, IPV4, chart, configmap, container, env, hits, workload

RULE = "rabbitmq-http-ipv4"


def setup(conf: str, plugins: str = "rabbitmq_management, rabbitmq_prometheus"):
    c = container("rabbitmq", "docker.io/bitnami/rabbitmq:3.9.11-debian-10-r0", env=env(RABBITMQ_PLUGINS=plugins),
                  volumeMounts=[{"name": "configuration", "mountPath": "/bitnami/rabbitmq/conf"}])
    vol = {"name": "configuration", "configMap": {"name": "rabbitmq-config"}}
    return [configmap("rabbitmq-config", **{"rabbitmq.conf": conf}), workload(c, volumes=[vol])]


def test_both_plugins():
    [hit] = hits(setup("loopback_users.guest = false\n"), RULE)
    assert hit.finding.path == "data.rabbitmq.conf"
    assert hit.finding.proposed == "loopback_users.guest = false\nmanagement.tcp.ip = ::\nprometheus.tcp.ip = ::\n"
    assert hit.severity == "warning"


def test_only_what_is_missing():
    [hit] = hits(setup("management.tcp.ip = ::\n"), RULE)
    assert hit.finding.proposed.endswith("prometheus.tcp.ip = ::\n")
    assert "rabbitmq_prometheus" in hit.finding.found


def test_not_a_hit():
    assert hits(setup("management.tcp.ip = ::\nprometheus.tcp.ip = ::\n"), RULE) == []
    assert hits(setup("x = 1\n", plugins="rabbitmq_peer_discovery_k8s"), RULE) == []
    assert hits(setup("x = 1\n"), RULE, IPV4) == []
    assert hits([configmap("rabbitmq-config", **{"rabbitmq.conf": "x = 1\n"})], RULE) == []  # nobody mounts it


def test_commented_setting_does_not_count():
    [hit] = hits(setup("# management.tcp.ip = ::\n", plugins="rabbitmq_management"), RULE, DUAL_IPV4)
    assert hit.finding.found == "rabbitmq_management enabled, no management.tcp.ip"


def test_rabbitmq_chart():
    [hit] = hits(chart("rabbitmq-8.24.12"), RULE)
    assert hit.obj["metadata"]["name"] == "rel-rabbitmq-config"
    fixed = chart("rabbitmq-8.24.12", "extraConfiguration=management.tcp.ip = ::")
    assert hits(fixed, RULE) == []


def test_management_image_tag_enables_the_plugin():
    objs = setup("x = 1\n", plugins="rabbitmq_peer_discovery_k8s")
    objs[1]["spec"]["template"]["spec"]["containers"][0]["image"] = "rabbitmq:3.9-management"
    [hit] = hits(objs, RULE)
    assert hit.finding.found == "rabbitmq_management enabled, no management.tcp.ip"


def test_rabbitmq_conf_held_in_a_secret_is_read():
    """From rabbitmq chart 10.1.0 rabbitmq.conf is a Secret key: the audit reads it decoded, as it reads a ConfigMap."""
    from audit_support import chart as render_chart

    objs = render_chart("rabbitmq-16.0.16")
    [secret] = [o for o in objs if o["kind"] == "Secret" and "rabbitmq.conf" in (o.get("data") or {})]
    found = [h for h in hits(objs, "rabbitmq-http-ipv4") if h.obj is secret]
    assert found and all(h.finding.path == "data.rabbitmq.conf" for h in found)
