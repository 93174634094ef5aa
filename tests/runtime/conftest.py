"""Fixtures of the runtime suite: one namespace network per session, a clean slate per test.

Needs root and the servers from `make runtime-deps`. Outside CI a missing piece skips the suite;
in CI (CI=true) it fails, so an install step that stopped working cannot pass.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime import netns, table

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
# What the suite runs; `make runtime-deps` installs the packages that carry them.
NEEDED = [
    "ip", "ss", "timeout", "mariadbd", "mariadb-install-db", "mariadb",
    "/usr/lib/rabbitmq/bin/rabbitmq-server", "redis-server", "redis-cli", "java",
    "/usr/share/java/zookeeper.jar", "etcd", "etcdctl",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.runtime)
    # The README check compares against what the other runtime tests recorded, so it runs last.
    items.sort(key=lambda item: Path(item.path) == here / "test_table.py")


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    missing = [n for n in NEEDED if not (Path(n).exists() if n.startswith("/") else shutil.which(n))]
    return f"missing {', '.join(missing)}: run `make runtime-deps`" if missing else None


@pytest.fixture(scope="session")
def runtime_ready() -> None:
    if reason := _unavailable():
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the Makefile must provide it)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def network(runtime_ready) -> Iterator[netns.Network]:
    # Our PID in the names: other runs on the same machine get their own namespaces.
    net = netns.Network(f"krt{os.getpid()}")
    try:
        net.create()
        yield net
    finally:
        net.destroy()


@pytest.fixture
def net(network: netns.Network) -> Iterator[netns.Network]:
    """The session's network, emptied of processes after the test, whether it passed or not."""
    yield network
    network.stop()
    network.hosts({})


@pytest.fixture(scope="session")
def proven(runtime_ready) -> table.Proven:
    return table.Proven()
