"""postgresql-ha adapter: the PostgreSQL nodes and pgpool listen on '*' and admit IPv6 in the texts a user gives;
nothing invented where the images write their own files; pgpool's image side and a user's own ConfigMaps said.
Every archive (14.3.10, 15.3.17, 16.3.4), both paths."""
import difflib

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, semver, values
from tests import chartrun, charts
from tests.chartrun import run_function

COMP = catalog.builtin("postgresql-ha")
ARCHIVES = charts.chart_archives("postgresql-ha")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
HBA = "local all all trust\nhost all all 0.0.0.0/0 md5\nhost repmgr repmgr 0.0.0.0/0 md5\nhost replication all 0.0.0.0/0 md5"
TWINS = ["host all all ::/0      md5", "host repmgr repmgr ::/0      md5", "host replication all ::/0      md5"]


def since_16(archive: str) -> bool:
    return semver.Version.parse(charts.version_of(archive)) >= semver.Version.parse("16.0.0")


def compose(archive: str, user: dict, mode: str = "ipv6") -> values.Composed:
    return values.compose(COMP, charts.version_of(archive), plan_mod.from_dict(charts.plan(mode)), charts.RELEASE,
                          charts.NAMESPACE, None, user)


def function(archive: str, user: dict, mode: str = "ipv6") -> dict:
    rc, output, _ = run_function(charts.render(archive, user), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def text(objs: list[dict], key: str) -> str:
    [found] = [o["data"][key] for o in objs if o["kind"] == "ConfigMap" and key in (o.get("data") or {})]
    return found


def added(before: str, after: str) -> list[str]:
    delta = [line for line in difflib.ndiff(before.split("\n"), after.split("\n")) if line[:1] in "+-"]
    assert all(line.startswith("+ ") for line in delta), delta
    return [line[2:] for line in delta]


def user(archive: str, **parts) -> dict:
    return charts.merge(charts.repeatable(archive), parts)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_images_files_are_left_alone_and_pgpool_image_side_is_said(archive, mode):
    for variant in ({}, {"witness": {"create": True}, "pgpool": {"replicaCount": 2}}):
        values_ = charts.merge(charts.repeatable(archive), variant)
        objs = charts.render(archive, values_)
        assert not [o for o in objs if o["kind"] == "ConfigMap" and {"postgresql.conf", "pg_hba.conf", "pgpool.conf",
                                                                      "pool_hba.conf"} & set(o.get("data") or {})]
        output = function(archive, values_, mode)
        assert [o for o in output["items"] if o["kind"] != "Service"] == [o for o in objs if o["kind"] != "Service"]
        warnings = [r["message"] for r in output["results"] if r["severity"] == "warning" and "pgpool's listen" in r["message"]]
        assert len(warnings) == 1
        composed = compose(archive, values_, mode)
        assert composed.overlay == {} and [w for w in composed.warnings() if "pgpool's listen" in w]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_nodes_pg_hba_and_postgresql_conf_of_a_user(archive):
    values_ = user(archive, postgresql={"pgHbaConfiguration": HBA, "configuration": "listen_addresses = '0.0.0.0'"})
    items = function(archive, values_)["items"]
    assert added(HBA, text(items, "pg_hba.conf")) == TWINS
    assert text(items, "postgresql.conf") == "listen_addresses = '*'"
    [sts] = [o for o in items if o["kind"] == "StatefulSet" and o["metadata"]["name"].endswith("-postgresql")]
    assert {"krmfn.dev/postgresql-pg-hba", "krmfn.dev/postgresql-listen-addresses"} <= set(
        sts["spec"]["template"]["metadata"]["annotations"])
    overlay, rendered, failures = chartrun.values_path(archive, "dual-ipv6", values_)
    assert not failures, failures
    assert overlay["postgresql"]["pgHbaConfiguration"] == text(items, "pg_hba.conf") == text(rendered, "pg_hba.conf")


@pytest.mark.parametrize("archive", ARCHIVES)
def test_pgpool_conf_is_edited_only_where_it_says_listen_addresses(archive):
    """The image appends pgpool.configuration to its own pgpool.conf (listen_addresses '*'): only a line of the
    user's can narrow it."""
    for conf, expected in (("listen_addresses = 'localhost'\nnum_init_children = 32", "listen_addresses = '*'\nnum_init_children = 32"),
                           ("num_init_children = 32", "num_init_children = 32")):
        values_ = user(archive, pgpool={"configuration": conf})
        assert text(function(archive, values_)["items"], "pgpool.conf") == expected
        overlay = compose(archive, values_).overlay
        assert overlay.get("pgpool", {}).get("configuration") == (expected if conf != expected else None)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_pool_hba_twins_from_16(archive):
    values_ = user(archive, pgpool={"poolHbaConfiguration": "host all all 0.0.0.0/0 scram-sha-256"})
    objs = charts.render(archive, values_)
    overlay = compose(archive, values_).overlay
    if not since_16(archive):
        # No such value before 16.0.0: nothing rendered, nothing written (the intent is skipped there).
        assert not [o for o in objs if o["kind"] == "ConfigMap" and "pool_hba.conf" in (o.get("data") or {})]
        assert "poolHbaConfiguration" not in overlay.get("pgpool", {})
        return
    assert text(function(archive, values_)["items"], "pool_hba.conf") == \
        "host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0      scram-sha-256"
    assert overlay["pgpool"]["poolHbaConfiguration"] == "host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0      scram-sha-256"


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_users_own_configmap_is_said(archive):
    values_ = user(archive, postgresql={"configurationCM": "my-pg"})
    rc, output, _ = run_function(charts.render(archive, values_), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1 and "existing-configmap" in errors[0] and "'my-pg'" in errors[0], errors
    for part in ({"postgresql": {"configurationCM": "my-pg"}}, {"pgpool": {"configurationCM": "my-pool"}}):
        assert [w for w in compose(archive, part).warnings() if "configurationCM is set" in w]
    assert not [w for w in compose(archive, {}).warnings() if "configurationCM is set" in w]


@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]])
def test_release_named_like_the_chart_and_overrides(archive):
    for extra in ({"fullnameOverride": "db"}, {"nameOverride": "ha", "witness": {"create": True}}):
        values_ = charts.merge(user(archive, postgresql={"pgHbaConfiguration": HBA}), extra)
        rc, output, _ = run_function(charts.render(archive, values_, release="postgresql-ha"), charts.plan("ipv6"))
        assert rc == 0, [r["message"] for r in output["results"] if r["severity"] == "error"]
        assert added(HBA, text(output["items"], "pg_hba.conf")) == TWINS
