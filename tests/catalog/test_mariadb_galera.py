"""mariadb-galera adapter: bind_address=* and gmcast.listen_addr=tcp://[::]:4567 in my.cnf with nothing else of
the text lost, the node address from the pod IP (bracketed when IPv6); the user's own my.cnf, provider options
and node address on both paths; what cannot be fixed is said."""
import copy
import difflib
import tarfile

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, values
from krmfn.sdk import paths, yaml12
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("mariadb-galera")
ARCHIVES = charts.chart_archives("mariadb-galera")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
GMCAST = 'wsrep_provider_options="gmcast.listen_addr=tcp://[::]:4567"'
NODE_ADDRESS = {"ipv6": "[$(KRMFN_POD_IP)]", "dual-ipv6": "[$(KRMFN_POD_IP)]", "dual-ipv4": "$(KRMFN_POD_IP)"}


def chart_values(archive: str) -> dict:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        return yaml12.load(tgz.extractfile("mariadb-galera/values.yaml").read().decode())


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def my_cnf(objs: list[dict]) -> str:
    [text] = [o["data"]["my.cnf"] for o in objs if o["kind"] == "ConfigMap" and "my.cnf" in o.get("data", {})]
    return text


def container_env(objs: list[dict]) -> list[dict]:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet"]
    return next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "mariadb-galera")["env"]


def errors_of(output: dict) -> list[str]:
    return [r["message"] for r in output.get("results", []) if r["severity"] == "error"]


def delta(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


EXPECTED_DELTA = ["- bind_address=0.0.0.0", "+ bind_address=*", f"+ {GMCAST}"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_catalog_default_is_the_charts_text_byte_for_byte(archive):
    [at] = COMP.binding(charts.version_of(archive)).places["my.cnf"].values
    assert at.default_for(charts.version_of(archive)) == chart_values(archive)["mariadbConfiguration"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_changes_the_bind_line_adds_gmcast_and_the_node_address(archive, mode):
    objs = charts.render(archive, charts.repeatable(archive))
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan(mode))
    assert rc == 0 and not errors_of(output), errors_of(output)
    after = my_cnf(output["items"])
    assert delta(my_cnf(objs), after) == EXPECTED_DELTA
    assert after.index(GMCAST) > after.index("[galera]") > after.index("bind_address=*")
    env = container_env(output["items"])
    assert env[:-2] == container_env(objs)  # the chart's own variables stay as they were, in order
    assert env[-2:] == [{"name": "KRMFN_POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                        {"name": "MARIADB_GALERA_NODE_ADDRESS", "value": NODE_ADDRESS[mode]}]
    # No Service of its own: the headless one too gets the plan's families from the injector (a dual-stack one
    # was run, tests/runtime/test_galera.py).
    assert all(o["spec"]["ipFamilies"] == charts.PLANS[mode] for o in output["items"] if o["kind"] == "Service")
    # Run again over its own output: nothing changes, no variable is added twice.
    rc, again, _ = run_function(copy.deepcopy(output["items"]), charts.plan(mode))
    assert rc == 0 and again["items"] == output["items"]


def test_ipv4_plan_changes_nothing_galera_reads():
    archive = ARCHIVES[-1]
    objs = charts.render(archive, charts.repeatable(archive))
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan("ipv4"))
    assert rc == 0
    assert my_cnf(output["items"]) == my_cnf(objs) and container_env(output["items"]) == container_env(objs)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_checks_fail_on_the_charts_render(archive):
    composed = values.compose(COMP, charts.version_of(archive), plan("ipv6"))
    failed = composed.check(charts.render(archive, charts.repeatable(archive)))
    said = " ".join(r.message for r in failed)
    assert "bind_address 0.0.0.0" in said and "gmcast" in said and "MARIADB_GALERA_NODE_ADDRESS" in said, said


@pytest.mark.parametrize("mode", MODES)
def test_values_path_overlay_renders_what_the_function_path_makes(mode):
    archive = ARCHIVES[-1]
    user = charts.repeatable(archive)
    overlay, rendered, failures = values_path(archive, mode, user)
    assert not failures, failures
    assert delta(my_cnf(charts.render(archive, user)).strip("\n"), my_cnf(rendered).strip("\n")) == EXPECTED_DELTA
    assert overlay["extraEnvVars"][-1] == {"name": "MARIADB_GALERA_NODE_ADDRESS", "value": NODE_ADDRESS[mode]}
    assert container_env(rendered)[-1] == overlay["extraEnvVars"][-1]


USER_CNF = """[mysqld]
bind-address = 0.0.0.0
max_connections=800

[galera]
wsrep_on=ON
wsrep_provider_options="gcache.size=2G;gmcast.listen_addr=tcp://0.0.0.0:4567"
"""
USER_CNF_AFTER = USER_CNF.replace("bind-address = 0.0.0.0", "bind-address = *").replace(
    "tcp://0.0.0.0:4567", "tcp://[::]:4567")
USER_CNF_BARE = "[mysqld]\nmax_connections=800\n\n[galera]\nwsrep_on=ON\n"
USER_CNF_BARE_AFTER = f"[mysqld]\nbind_address=*\nmax_connections=800\n\n[galera]\n{GMCAST}\nwsrep_on=ON\n"


@pytest.mark.parametrize(("text", "want"), [(USER_CNF, USER_CNF_AFTER), (USER_CNF_BARE, USER_CNF_BARE_AFTER)])
def test_a_users_own_my_cnf_keeps_its_other_provider_options_on_both_paths(text, want):
    archive = ARCHIVES[-1]
    user = charts.merge(charts.repeatable(archive), {"mariadbConfiguration": text})
    composed = values.compose(COMP, charts.version_of(archive), plan("ipv6"), user=user)
    assert composed.overlay["mariadbConfiguration"] == want
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("ipv6"))
    assert rc == 0 and not errors_of(output), errors_of(output)
    assert my_cnf(output["items"]).strip("\n") == want.strip("\n")


def test_users_extra_env_vars_stay_and_come_first():
    archive = ARCHIVES[-1]
    mine = [{"name": "TZ", "value": "UTC"}]
    user = charts.merge(charts.repeatable(archive), {"extraEnvVars": mine})
    overlay, rendered, failures = values_path(archive, "ipv6", user)
    assert not failures, failures
    assert overlay["extraEnvVars"][0] == mine[0] and len(overlay["extraEnvVars"]) == 3


def test_a_node_address_of_the_users_own_is_one_clear_error_on_both_paths():
    archive = ARCHIVES[-1]
    user = charts.merge(charts.repeatable(archive),
                        {"extraEnvVars": [{"name": "MARIADB_GALERA_NODE_ADDRESS", "value": "fd00::5"}]})
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("ipv6"))
    assert rc == 1 and errors_of(output) and all("MARIADB_GALERA_NODE_ADDRESS" in e for e in errors_of(output))
    _, _, failures = values_path(archive, "ipv6", user)
    assert failures and all("MARIADB_GALERA_NODE_ADDRESS" in f for f in failures), failures


def test_a_configuration_configmap_is_one_clear_error_naming_it():
    archive = ARCHIVES[-1]
    user = charts.merge(charts.repeatable(archive), {"configurationConfigMap": "my-own-cnf"})
    rc, output, stderr = run_function(charts.render(archive, user), charts.plan("ipv6"))
    errors = errors_of(output)
    # One error for each intent that edits my.cnf, each naming the value and both settings to write.
    assert rc == 1 and sorted(e.split(":", 1)[0] for e in errors) == [
        "mariadb-galera/bind-all-addresses", "mariadb-galera/galera-listen-all-addresses"], errors
    assert all("configurationConfigMap" in e and "gmcast.listen_addr" in e and "bind_address=*" in e for e in errors)
    assert "Traceback" not in stderr


@pytest.mark.parametrize("tls", [False, True])
def test_tls_warns_that_the_image_replaces_the_provider_options(tls):
    archive = ARCHIVES[-1]
    user = charts.merge(charts.repeatable(archive), {"tls": {"enabled": True, "autoGenerated": True}} if tls else {})
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("ipv6"))
    assert rc == 0
    warned = [r["message"] for r in output["results"] if r["severity"] == "warning" and "tls.enabled" in r["message"]]
    assert len(warned) == int(tls), warned
    said = values.compose(COMP, charts.version_of(archive), plan("ipv6"), user=user).warnings()
    assert sum("tls.enabled" in w for w in said) == int(tls), said
    if tls:
        assert "gmcast.listen_addr" in warned[0]
