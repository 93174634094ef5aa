"""The newest line of each runnable chart (../shared/charts/versions/) on the real servers, through
the same harness and the same functions as the pinned archives' tests, so that what is proven for
the pinned archive is proven the same way for what users run today:

- mysql: the newest archive, IPv6-ready by itself since 9.3.3 (bind-address=*), and the newest 8.x
  line, which still renders 0.0.0.0; whether BEFORE must be accepted over IPv6 is read off krmfn's
  output (krmfn changed no my.cnf: the catalog says the chart already holds), so the server judges
  the catalog's claim;
- rabbitmq: BEFORE does not boot or refuses the management port over IPv6 (beside krmfn's output
  with `-kernel inetrc` dropped, which must fail); AFTER boots, answers AMQP and the management API
  over IPv6, passes the chart's probes and clusters 2 nodes over IPv6;
- redis + sentinel (the scripts announce host names since 15.7.2), zookeeper (3 servers) and
  etcd (3 members): quorum over IPv6.

Each case first asserts that a catalog range covers the archive and lists it as evidence: a newest
line the catalog stops covering fails here instead of quietly running an unproven version.
"""
from __future__ import annotations

import pytest

from krmfn.adapters import catalog
from krmfn.adapters.semver import Version
from tests import charts
from tests.runtime import pods
from tests.runtime import test_etcd as etcd_case
from tests.runtime import test_mariadb as mariadb_case
from tests.runtime import test_rabbitmq as rabbitmq_case
from tests.runtime import test_redis as redis_case
from tests.runtime import test_zookeeper as zookeeper_case
from tests.runtime.test_mariadb import system_tables  # noqa: F401 (the fixture, shared with the pinned test)


def newest_of_major(chart: str, major: int) -> str:
    """The newest archive of one major line of chart."""
    return max((a for a in charts.archives() if a.rsplit("-", 1)[0] == chart
                and Version.parse(a.rsplit("-", 1)[1]).nums[0] == major),
               key=lambda a: Version.parse(a.rsplit("-", 1)[1]))


def covered(archive: str) -> None:
    chart, version = archive.rsplit("-", 1)
    comp = catalog.builtin(chart)
    binding = comp and comp.binding(version)
    assert binding is not None, f"no {chart} adapter range covers {archive}"
    assert archive in binding.range.evidence, f"{archive} is not evidence of {chart}'s range {binding.versions}"


MYSQL = [charts.newest("mysql"), newest_of_major("mysql", 8)]


def mycnf_unchanged(archive: str) -> bool:
    """Whether krmfn's output keeps every my.cnf of the cluster render as the chart wrote it."""
    stage = {s: mariadb_case.mycnf_pods(pods.objects(archive, "cluster", s, mariadb_case.PLAN), "::")
             for s in pods.STAGES}
    return [mariadb_case.mycnf(p) for p in stage["before"]] == [mariadb_case.mycnf(p) for p in stage["after"]]


@pytest.mark.parametrize("stage", pods.STAGES)
@pytest.mark.parametrize("archive", MYSQL)
def test_mariadb(net, system_tables, tmp_path, proven, archive, stage):  # noqa: F811
    covered(archive)
    # IPv6-ready by itself exactly when krmfn found nothing to change: then the chart's own my.cnf
    # must already be accepted over IPv6; otherwise it must be refused, as on the pinned lines.
    ready = mycnf_unchanged(archive)
    mariadb_case.each_role(net, system_tables, tmp_path, proven, archive, stage, ipv6=ready or stage == "after")


def test_mysql_lines_differ():
    """The two mysql cases are the two kinds the issue asks for: one IPv6-ready, one not."""
    assert [mycnf_unchanged(a) for a in MYSQL] == [True, False], MYSQL


RABBITMQ = charts.newest("rabbitmq")


def test_rabbitmq_ipv6_only_before_and_broken(net, tmp_path, proven):
    covered(RABBITMQ)
    rabbitmq_case.test_ipv6_only_before_and_broken(net, tmp_path, proven, RABBITMQ)


def test_rabbitmq_ipv6_only_after(net, tmp_path, proven):
    covered(RABBITMQ)
    rabbitmq_case.test_ipv6_only_after(net, tmp_path, proven, RABBITMQ)


def test_redis_replica_and_sentinel_quorum(net, tmp_path, proven):
    archive = charts.newest("redis")
    covered(archive)
    redis_case.test_replica_and_sentinel_quorum(net, tmp_path, proven, archive)


@pytest.mark.parametrize("stage", pods.STAGES)
def test_zookeeper_ensemble_quorum(net, tmp_path, proven, stage):
    archive = charts.newest("zookeeper")
    covered(archive)
    zookeeper_case.test_ensemble_quorum(net, tmp_path, proven, archive, stage)


@pytest.mark.parametrize("stage", pods.STAGES)
def test_etcd_cluster_quorum(net, tmp_path, proven, stage):
    archive = charts.newest("etcd")
    covered(archive)
    etcd_case.test_cluster_quorum(net, tmp_path, proven, archive, stage)
