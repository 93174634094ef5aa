import pytest

from audit_support import DUAL_IPV4, DUAL_IPV6, chart, container, env, hits, workload

RULE = "erlang-dist"
RABBIT = "docker.io/bitnami/rabbitmq:3.9.11-debian-10-r0"
INETRC = "-kernel inetrc '/etc/rabbitmq/erl_inetrc' -proto_dist inet6_tcp"


def rabbit(**values):
    return container("rabbitmq", RABBIT, env=env(RABBITMQ_NODE_NAME="rabbit@$(MY_POD_NAME)", **values))


def headless(families=None):
    spec = {"clusterIP": "None", "selector": {"app": "app"}}
    if families:
        spec["ipFamilies"] = families
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "app-headless", "namespace": "default"},
            "spec": spec}


def test_ipv6_only_without_inet6_dist():
    [hit] = hits([workload(rabbit())], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env"
    assert "RABBITMQ_CTL_ERL_ARGS" in hit.finding.fix


@pytest.mark.parametrize("plan", [DUAL_IPV4, DUAL_IPV6])
def test_dual_stack_keeps_inet_tcp(plan):
    assert hits([workload(rabbit())], RULE, plan) == []


def test_server_without_cli():
    [hit] = hits([workload(rabbit(RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=INETRC))], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env"
    assert hit.finding.proposed[-1] == {"name": "RABBITMQ_CTL_ERL_ARGS", "value": "-proto_dist inet6_tcp"}


def test_cli_variable_without_inet6():
    c = rabbit(RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=INETRC, RABBITMQ_CTL_ERL_ARGS="+P 1048576")
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env[2].value"
    assert hit.finding.proposed == "+P 1048576 -proto_dist inet6_tcp"


def test_without_inetrc():
    c = rabbit(RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-proto_dist inet6_tcp", RABBITMQ_CTL_ERL_ARGS="-proto_dist inet6_tcp")
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env[1].value"
    assert "inetrc" in hit.message


def test_headless_service_without_ipv6():
    c = rabbit(RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=INETRC, RABBITMQ_CTL_ERL_ARGS="-proto_dist inet6_tcp")
    objs = [workload(c, serviceName="app-headless"), headless(["IPv4"])]
    [hit] = hits(objs, RULE, DUAL_IPV4)
    assert hit.finding.path == "spec.serviceName"
    assert hits([workload(c, serviceName="app-headless"), headless()], RULE, DUAL_IPV4) != []
    assert hits([workload(c, serviceName="app-headless"), headless()], RULE, DUAL_IPV6) == []


def test_complete_setup():
    c = rabbit(RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=INETRC, RABBITMQ_CTL_ERL_ARGS="-proto_dist inet6_tcp")
    assert hits([workload(c, serviceName="app-headless"), headless(["IPv6"])], RULE) == []


def test_not_rabbitmq():
    assert hits([workload(container("redis", "docker.io/bitnami/redis:6.2.5"))], RULE) == []


def test_rabbitmq_chart():
    [hit] = hits(chart("rabbitmq-8.24.12"), RULE)
    assert hit.obj["kind"] == "StatefulSet"
    fixed = chart("rabbitmq-8.24.12", "extraEnvVars[0].name=RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                  f"extraEnvVars[0].value={INETRC}", "extraEnvVars[1].name=RABBITMQ_CTL_ERL_ARGS",
                  "extraEnvVars[1].value=-proto_dist inet6_tcp")
    assert hits(fixed, RULE) == []


def test_an_init_container_of_the_image_runs_no_node():
    """rabbitmq 14.0.2+'s prepare-plugins-dir copies plugin files with the RabbitMQ image and starts no Erlang."""
    init = container("prepare-plugins-dir", RABBIT, command=["/bin/bash", "-ec", "cp -r /opt/plugins /plugins"])
    c = rabbit(RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=INETRC, RABBITMQ_CTL_ERL_ARGS="-proto_dist inet6_tcp")
    assert hits([workload(c, init=[init])], RULE) == []
    # The main container still answers for itself.
    [hit] = hits([workload(rabbit(), init=[init])], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env"


def test_the_newest_chart_before_krmfn_is_flagged_once_per_workload_not_for_its_init_container():
    objs = chart("rabbitmq-16.0.16")
    assert any(c.get("name") == "prepare-plugins-dir"
               for o in objs if o["kind"] == "StatefulSet" for c in o["spec"]["template"]["spec"]["initContainers"])
    found = hits(objs, RULE)
    assert [h.finding.path for h in found] == ["spec.template.spec.containers[0].env"]
