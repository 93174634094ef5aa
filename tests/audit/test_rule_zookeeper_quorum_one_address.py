import pytest

from audit_support import DUAL_IPV4, DUAL_IPV6, IPV6, chart, container, env, hits, workload

RULE = "zookeeper-quorum-one-address"


def zk(value: str = "no", replicas: int = 3) -> dict:
    return workload(container("zookeeper", env=env(ZOO_SERVERS="a:2888:3888::1", ZOO_LISTEN_ALLIPS_ENABLED=value)),
                    replicas=replicas)


@pytest.mark.parametrize("plan", [DUAL_IPV4, DUAL_IPV6])
def test_an_ensemble_on_one_address_is_flagged_on_dual_stack(plan):
    [hit] = hits([zk()], RULE, plan)
    assert hit.finding.path == "spec.template.spec.containers[0].env[1].value"
    assert (hit.finding.current, hit.finding.proposed) == ("no", "yes")


def test_single_stack_one_server_and_all_addresses_are_fine():
    assert hits([zk()], RULE, IPV6) == []
    assert hits([zk(replicas=1)], RULE, DUAL_IPV4) == []
    assert hits([zk("yes")], RULE, DUAL_IPV4) == []


@pytest.mark.parametrize("archive", ["zookeeper-7.5.4", "zookeeper-13.8.8"])
def test_the_charts_ensemble_default_is_flagged_and_krmfn_output_is_not(archive):
    from krmfn import plan as plan_mod
    from tests import charts
    from tests.chartrun import run_function

    objs = chart(archive, "replicaCount=3")
    assert len(hits(objs, RULE, DUAL_IPV4)) == 1
    _, output, _ = run_function(objs, charts.plan("dual-ipv4"))
    assert hits(output["items"], RULE, plan_mod.from_dict(charts.plan("dual-ipv4"))) == []
