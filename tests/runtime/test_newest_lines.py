"""The newest line of each runnable chart (../shared/charts/versions/) on the real servers: the
place for it, not the proof yet.

krmfn's catalog covers the pinned versions only; covering what users run today is the catalog
redesign ("The charts people run"). Until an adapter covers the newest version of a chart, its
case here skips and says so; once one does, it fails, so that the proof is written here (with the
pinned chart's test as the model) instead of being forgotten.
"""
from __future__ import annotations

import pytest

from krmfn.adapters import catalog
from tests import charts

VERSIONS = charts.CHARTS / "versions"
# What each newest line must show, as the issue asks; the pinned test it extends.
NEWEST = {
    "mysql": "IPv6-ready by itself (bind-address=* since 9.3.3): BEFORE accepted on IPv6, krmfn a no-op (test_mariadb.py)",
    "rabbitmq": "BEFORE does not boot or refuses 15672 over IPv6; AFTER clusters over IPv6 (test_rabbitmq.py)",
    "redis": "replica and sentinel quorum over IPv6 with announce-hostnames (test_redis.py)",
    "zookeeper": "ensemble quorum over IPv6 with krmfn's output (test_zookeeper.py)",
    "etcd": "cluster quorum over IPv6 with krmfn's output (test_etcd.py)",
}


def newest(chart: str) -> str:
    """The newest archive of chart in versions/ (redis-cluster is another chart than redis)."""
    found = [p.name.removesuffix(".tgz") for p in VERSIONS.glob(f"{chart}-[0-9]*.tgz")]
    return max(found, key=lambda a: tuple(int(x) for x in a.rsplit("-", 1)[1].split(".")))


@pytest.mark.parametrize("chart", NEWEST)
def test_newest_line(chart):
    archive = newest(chart)
    version = archive.rsplit("-", 1)[1]
    if catalog.for_chart(chart, version) is None:
        pytest.skip(f"{archive}: no adapter covers it yet (catalog redesign pending); to prove: {NEWEST[chart]}")
    pytest.fail(f"krmfn now covers {archive}: run it on the real server here: {NEWEST[chart]}")
