"""mysql adapter: bind-address=* in every my.cnf, with nothing else of the config lost, on both paths."""
import difflib
import tarfile

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, engine
from krmfn.sdk import paths, yaml12
from tests import charts
from tests.chartrun import run_function

ADAPTER = catalog.by_name("mysql")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]

# archive -> the values keys whose text becomes a my.cnf, by layout.
CONFIG_KEYS = {
    "mysql-6.14.12": ["master.config", "slave.config"],
    "mysql-7.1.0": ["master.config", "slave.config"],
    "mysql-8.8.18": ["primary.configuration", "secondary.configuration"],
}

# Renders beyond the proof-test variants: replication off / standalone, where only one my.cnf exists.
EXTRA = {
    "mysql-6.14.12": {"replication": {"enabled": False}},
    "mysql-7.1.0": {"replication": {"enabled": False}},
    "mysql-8.8.18": {"architecture": "standalone"},
}


def chart_values(archive: str) -> dict:
    with tarfile.open(charts.CHARTS / f"{archive}.tgz") as tgz:
        return yaml12.load(tgz.extractfile("mysql/values.yaml").read().decode())


def catalog_default(version: str, key: str) -> str:
    for change in ADAPTER.spec.changes:
        if change.when and engine.holds(change.when, ADAPTER, version, {}, engine.Facts(values={}), {}):
            for op in change.values:
                if op.path == key:
                    return op.default
    raise AssertionError(f"no catalog default for {key} in {version}")


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def repeatable(archive: str) -> dict:
    return next(c.values for c in charts.cases() if c.archive == archive and c.variant == "default")


def my_cnfs(objs: list[dict]) -> dict[str, str]:
    return {o["metadata"]["name"]: o["data"]["my.cnf"] for o in objs if o["kind"] == "ConfigMap" and "my.cnf" in o.get("data", {})}


def only_bind_line_changed(before: str, after: str) -> None:
    delta = [l for l in difflib.ndiff(before.splitlines(), after.splitlines()) if l[:1] in "+-"]
    assert delta == ["- bind-address=0.0.0.0", "+ bind-address=*"], delta


@pytest.mark.parametrize("archive", sorted(CONFIG_KEYS))
def test_catalog_defaults_are_the_charts_text_byte_for_byte(archive):
    values = chart_values(archive)
    version = archive.rsplit("-", 1)[1]
    for key in CONFIG_KEYS[archive]:
        assert catalog_default(version, key) == paths.get(values, key), key


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", sorted(CONFIG_KEYS))
def test_function_path_changes_only_the_bind_line(archive, mode):
    for values in (repeatable(archive), charts.merge(repeatable(archive), EXTRA[archive])):
        before = my_cnfs(charts.render(archive, values))
        rc, output, _ = run_function(charts.render(archive, values), charts.plan(mode))
        assert rc == 0, output.get("results")
        after = my_cnfs(output["items"])
        assert after.keys() == before.keys() and after
        for name in before:
            only_bind_line_changed(before[name], after[name])


@pytest.mark.parametrize("archive", sorted(CONFIG_KEYS))
def test_values_path_with_one_my_cnf_passes_checks(archive):
    """Replication off (6.x/7.x) or standalone (8.x): one ConfigMap, the other role's config is inert."""
    version = archive.rsplit("-", 1)[1]
    user = charts.merge(repeatable(archive), EXTRA[archive])
    changes, env = engine.values_changes(ADAPTER, version, plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None, user)
    overlay = engine.values_overlay(ADAPTER, version, plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None, user)
    rendered = charts.render(archive, charts.merge(user, overlay))
    assert not engine.run_checks(ADAPTER, changes, rendered, env, "values")
    before, after = my_cnfs(charts.render(archive, user)), my_cnfs(rendered)
    assert len(after) == 1 and after.keys() == before.keys()
    for name in before:
        only_bind_line_changed(before[name].strip("\n"), after[name].strip("\n"))


@pytest.mark.parametrize("archive", sorted(CONFIG_KEYS))
def test_checks_fail_on_the_unpatched_render(archive):
    version = archive.rsplit("-", 1)[1]
    changes, env = engine.values_changes(ADAPTER, version, plan("ipv6"), charts.RELEASE, charts.NAMESPACE)
    objs = charts.render(archive, repeatable(archive))
    config_checks = [c for ch in changes for c in ch.checks if c.target.kind == "ConfigMap"]
    assert config_checks
    for chk in config_checks:
        assert engine.check(chk, objs, env), chk


USER_CNF = """[mysqld]
port=3306
bind_address = 0.0.0.0
max_connections=500

[client]
port=3306"""

USER_CNF_NO_BIND = """# tuned by the DBA
[mysqld]
port=3306
max_connections=500"""


@pytest.mark.parametrize(
    "archive,key",
    [("mysql-6.14.12", "master.config"), ("mysql-7.1.0", "slave.config"), ("mysql-8.8.18", "primary.configuration")],
)
def test_values_path_edits_the_users_own_config(archive, key):
    version = archive.rsplit("-", 1)[1]
    for text, expected in (
        (USER_CNF, USER_CNF.replace("bind_address = 0.0.0.0", "bind_address = *")),
        (USER_CNF_NO_BIND, USER_CNF_NO_BIND.replace("[mysqld]", "[mysqld]\nbind-address=*")),
    ):
        user = {}
        paths.set(user, key, text)
        overlay = engine.values_overlay(ADAPTER, version, plan("dual-ipv4"), user_values=user)
        assert paths.get(overlay, key) == expected


def test_function_path_edits_a_users_config_without_bind_line():
    values = charts.merge(repeatable("mysql-8.8.18"), {"primary": {"configuration": USER_CNF_NO_BIND}})
    rc, output, _ = run_function(charts.render("mysql-8.8.18", values), charts.plan("ipv6"))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    assert my_cnfs(output["items"])["rel-mysql"].strip("\n") == USER_CNF_NO_BIND.replace("[mysqld]", "[mysqld]\nbind-address=*")


@pytest.mark.parametrize("archive", sorted(CONFIG_KEYS))
def test_function_path_rolls_every_mysql_pod_once(archive):
    """The pods must pick up the edited my.cnf: each StatefulSet's pod template changes."""
    values = charts.merge(repeatable(archive), {"replication": {"enabled": True}, "architecture": "replication"})
    rc, output, _ = run_function(charts.render(archive, values), charts.plan("dual-ipv6"))
    sets = [o for o in output["items"] if o["kind"] == "StatefulSet"]
    assert rc == 0 and len(sets) == 2
    for sts in sets:
        assert sts["spec"]["template"]["metadata"]["annotations"]["krmfn.dev/mysql-bind-address"] == "*"


def test_an_existing_configmap_is_one_clear_error_naming_the_fix():
    user = charts.merge(charts.repeatable("mysql-8.8.18"), {"primary": {"existingConfigmap": "my-own-cnf"}})
    rc, output, stderr = run_function(charts.render("mysql-8.8.18", user), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1, errors
    assert "existingConfigmap" in errors[0] and "bind-address=*" in errors[0]
    assert "Traceback" not in stderr
