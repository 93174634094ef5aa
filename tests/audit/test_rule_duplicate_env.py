from audit_support import chart, container, env, hits, workload

RULE = "duplicate-env"


def test_duplicate():
    c = container(env=[*env(MONGODB_ENABLE_IPV6="no", A="1"), *env(MONGODB_ENABLE_IPV6="yes")])
    [hit] = hits([workload(c)], RULE)
    assert hit.finding.path == "spec.template.spec.containers[0].env[2].name"
    assert hit.finding.found == "MONGODB_ENABLE_IPV6 at env[0] and env[2]"
    assert hit.severity == "warning"


def test_value_from_counts_too():
    c = container(env=[{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                       {"name": "POD_IP", "value": "::"}])
    assert len(hits([workload(c)], RULE)) == 1


def test_not_a_hit():
    assert hits([workload(container("a", env=env(X="1")), container("b", env=env(X="2")))], RULE) == []


def test_rabbitmq_overlay_duplicate_from_extra_env_vars():
    objs = chart("rabbitmq-8.24.12", "maxAvailableSchedulers=2", "onlineSchedulers=1",
                 "extraEnvVars[0].name=RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                 "extraEnvVars[0].value=-proto_dist inet6_tcp")
    [hit] = hits(objs, RULE)
    assert hit.finding.found.startswith("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS at env[")
