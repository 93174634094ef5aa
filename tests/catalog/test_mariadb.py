"""mariadb adapter: bind-address=* in the primary's and every replica's my.cnf, the rest of each text kept, on both
paths; only the pods whose my.cnf changed roll.

The chart's primary text already says `*` (a verified no-op); its secondary text says 0.0.0.0 in every archive
(21.0.8, 22.0.0, 23.0.1), so a replication render changes exactly one line of one ConfigMap and one pod template.
"""
import copy
import difflib
import tarfile

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, values
from krmfn.sdk import paths, yaml12
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("mariadb")
ARCHIVES = charts.chart_archives("mariadb")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
KEYS = {"primary": "primary.configuration", "secondary": "secondary.configuration"}
ANNOTATION = "krmfn.dev/mariadb-bind-address"
REPLICATION = {"architecture": "replication"}

version = charts.version_of


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def values_text(archive: str) -> str:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        return tgz.extractfile("mariadb/values.yaml").read().decode()


def component(obj: dict) -> str | None:
    return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def my_cnfs(objs: list[dict]) -> dict[str, str]:
    """role (component label) -> my.cnf text."""
    return {component(o): o["data"]["my.cnf"] for o in objs if o["kind"] == "ConfigMap" and "my.cnf" in o.get("data", {})}


def statefulsets(objs: list[dict]) -> dict[str, dict]:
    return {component(o): o for o in objs if o["kind"] == "StatefulSet"}


def binds(text: str) -> list[str]:
    return [line.split("=", 1)[1].strip() for line in text.splitlines()
            if line.strip().startswith(("bind-address", "bind_address"))]


def delta(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


def render(archive: str, extra: dict | None = None) -> list[dict]:
    return charts.render(archive, charts.merge(charts.repeatable(archive), extra or {}))


def function(objs: list[dict], mode: str = "ipv6") -> list[dict]:
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output["items"]


def without_services(objs: list[dict]) -> list[dict]:
    """Everything but the Services, whose families the injector sets whatever the adapter does."""
    return [o for o in objs if o["kind"] != "Service"]


# ---------------------------------------------------------------- what the catalog says of the archives


@pytest.mark.parametrize("archive", ARCHIVES)
def test_defaults_are_the_charts_text_and_only_the_secondary_says_0_0_0_0(archive):
    chart = yaml12.load(values_text(archive))
    b = COMP.binding(version(archive))
    for role, key in KEYS.items():
        [at] = b.places[f"{role}-my.cnf"].values
        assert at.path == key and at.defaults == []
        assert at.default_for(version(archive)) == paths.get(chart, key)
    assert binds(paths.get(chart, KEYS["primary"])) == ["*"]
    assert binds(paths.get(chart, KEYS["secondary"])) == ["0.0.0.0"]


# values.yaml lines the range's why cites: (line in 21.0.8 and 22.0.0, line in 23.0.1, text there).
CITED = [
    (122, 122, "architecture: standalone"),
    (302, 302, "  configuration: |-"),  # primary.configuration
    (313, 313, "    bind-address=*"),
    (753, 779, "  configuration: |-"),  # secondary.configuration, after 23.0.1's 26 added lines
    (763, 789, "    bind-address=0.0.0.0"),
]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_values_lines_the_range_cites(archive):
    lines = values_text(archive).splitlines()
    why = " ".join(COMP.binding(version(archive)).range.why.split())
    newest = version(archive) == "23.0.1"
    for old, new, text in CITED:
        at = new if newest else old
        assert lines[at - 1] == text, (archive, at)
        assert str(at) in why
    # 23.0.1's shift: 26 lines of primary.initContainerSecurityContext (486-511), before the secondary section.
    assert all(new - old == 26 for old, new, _ in CITED if old > 511) and "486-511" in why
    block = [i + 1 for i, line in enumerate(lines) if line.startswith("  ## MariaDB primary init container security")]
    assert block == ([486] if newest else [])
    if newest:
        assert lines[498] == "  initContainerSecurityContext:" and lines[511].startswith("  ## MariaDB primary container's")


# Template lines the range's why cites, the same in every archive: (file, line, text the line holds).
TEMPLATE_CITED = [
    ("primary/configmap.yaml", 14, "app.kubernetes.io/component: primary"),
    ("primary/configmap.yaml", 20, ".Values.primary.configuration"),
    ("secondary/configmap.yaml", 14, "app.kubernetes.io/component: secondary"),
    ("secondary/configmap.yaml", 20, ".Values.secondary.configuration"),
    ("_helpers.tpl", 104, 'define "mariadb.primary.createConfigmap"'),
    ("_helpers.tpl", 105, "not .Values.primary.existingConfigmap"),
    ("_helpers.tpl", 125, 'define "mariadb.secondary.createConfigmap"'),
    ("_helpers.tpl", 126, 'eq .Values.architecture "replication"'),
    ("primary/statefulset.yaml", 33, "checksum/configuration"),
    ("secondary/statefulset.yaml", 35, "checksum/configuration"),
    ("primary/statefulset.yaml", 308, "mountPath: /opt/bitnami/mariadb/conf/my.cnf"),
    ("secondary/statefulset.yaml", 291, "mountPath: /opt/bitnami/mariadb/conf/my.cnf"),
    ("primary/statefulset.yaml", 413, 'include "mariadb.primary.configmapName"'),
    ("secondary/statefulset.yaml", 394, 'include "mariadb.secondary.configmapName"'),
]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_template_lines_the_range_cites(archive):
    with tarfile.open(charts.archive_path(archive)) as tgz:
        for name, line, text in TEMPLATE_CITED:
            lines = tgz.extractfile(f"mariadb/templates/{name}").read().decode().splitlines()
            assert text in lines[line - 1], (archive, name, line)


# ---------------------------------------------------------------- function path


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_replication_changes_one_line_of_the_secondary_and_rolls_only_its_pods(archive, mode):
    objs = render(archive, REPLICATION)
    out = function(objs, mode)
    before, after = my_cnfs(objs), my_cnfs(out)
    assert sorted(before) == sorted(after) == ["primary", "secondary"]
    assert after["primary"] == before["primary"]
    assert delta(before["secondary"], after["secondary"]) == ["- bind-address=0.0.0.0", "+ bind-address=*"]
    sts_before, sts_after = statefulsets(objs), statefulsets(out)
    assert sts_after["primary"] == sts_before["primary"]
    rolled = copy.deepcopy(sts_after["secondary"])
    assert rolled["spec"]["template"]["metadata"]["annotations"].pop(ANNOTATION) == "*"
    assert rolled == sts_before["secondary"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_standalone_render_changes_nothing(archive, mode):
    objs = render(archive)
    assert list(my_cnfs(objs)) == ["primary"]
    assert without_services(function(objs, mode)) == without_services(objs)
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan(mode))
    [said] = [r["message"] for r in output["results"] if "mariadb adapter on release" in r["message"]]
    assert "primary-bind-all-addresses (already holds)" in said, said


# A user's own texts: a replica's with 0.0.0.0 in the other spelling and spacing, one saying `::` (IPv6 only on
# MariaDB 10.6+), one without a bind line, and one already saying `*`.
USER_CNF = "[mysqld]\nport=3306\nbind_address = 0.0.0.0\nmax_connections=500\n\n[client]\nport=3306"
USER_CNF_V6ONLY = "[mysqld]\nport=3306\nbind-address=::\nmax_connections=500"
USER_CNF_NO_BIND = "# tuned by the DBA\n[mysqld]\nport={{ .Values.secondary.containerPorts.mysql }}\nmax_connections=500"
USER_CNF_READY = "[mysqld]\nport=3306\nbind-address=*\nmax_connections=500"
FIXED = [
    (USER_CNF, USER_CNF.replace("bind_address = 0.0.0.0", "bind_address = *")),
    (USER_CNF_V6ONLY, USER_CNF_V6ONLY.replace("bind-address=::", "bind-address=*")),
    (USER_CNF_NO_BIND, USER_CNF_NO_BIND.replace("[mysqld]", "[mysqld]\nbind-address=*")),
]


def rendered_text(text: str) -> str:
    """What the chart's tpl makes of a user's text (the only template in these is the secondary port)."""
    return text.replace("{{ .Values.secondary.containerPorts.mysql }}", "3306")


@pytest.mark.parametrize("text,expected", FIXED, ids=["0.0.0.0", "v6only", "no-bind-line"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_fixes_a_users_secondary_configuration(archive, text, expected):
    objs = render(archive, {**REPLICATION, "secondary": {"configuration": text}})
    out = function(objs)
    assert my_cnfs(objs)["secondary"] == rendered_text(text)
    assert my_cnfs(out)["secondary"] == rendered_text(expected)
    assert statefulsets(out)["secondary"]["spec"]["template"]["metadata"]["annotations"][ANNOTATION] == "*"
    assert statefulsets(out)["primary"] == statefulsets(objs)["primary"]


@pytest.mark.parametrize("text,expected", FIXED, ids=["0.0.0.0", "v6only", "no-bind-line"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_path_fixes_a_users_secondary_configuration(archive, text, expected):
    user = charts.merge(charts.repeatable(archive), {**REPLICATION, "secondary": {"configuration": text}})
    overlay, rendered, failures = values_path(archive, "ipv6", user)
    assert not failures, failures
    # Only the user's text, with only the bind line changed (the primary's chart text already says `*`).
    assert overlay == {"secondary": {"configuration": expected}}
    assert my_cnfs(rendered)["secondary"] == rendered_text(expected)
    before, after = statefulsets(charts.render(archive, user)), statefulsets(rendered)
    assert after["primary"] == before["primary"]
    checksum = "checksum/configuration"
    assert (after["secondary"]["spec"]["template"]["metadata"]["annotations"][checksum]
            != before["secondary"]["spec"]["template"]["metadata"]["annotations"][checksum])


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_users_text_saying_star_is_left_byte_identical(archive):
    user = {**REPLICATION, "primary": {"configuration": USER_CNF_READY}, "secondary": {"configuration": USER_CNF_READY}}
    objs = render(archive, user)
    assert without_services(function(objs)) == without_services(objs)
    overlay, rendered, failures = values_path(archive, "dual-ipv6", charts.merge(charts.repeatable(archive), user))
    assert not failures and overlay == {}
    assert my_cnfs(rendered) == {"primary": USER_CNF_READY, "secondary": USER_CNF_READY}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_users_primary_text_saying_0_0_0_0_rolls_the_primary_too(archive):
    objs = render(archive, {**REPLICATION, "primary": {"configuration": USER_CNF}})
    out = function(objs)
    assert my_cnfs(out)["primary"] == USER_CNF.replace("bind_address = 0.0.0.0", "bind_address = *")
    for role in ("primary", "secondary"):
        assert statefulsets(out)[role]["spec"]["template"]["metadata"]["annotations"][ANNOTATION] == "*", role


# ---------------------------------------------------------------- checks


@pytest.mark.parametrize("archive", ARCHIVES)
def test_checks_fail_on_the_charts_secondary_and_on_v6_only(archive):
    composed = values.compose(COMP, version(archive), plan("ipv6"))
    objs = render(archive, REPLICATION)
    [fail] = composed.check(objs)
    assert component(fail.resource) == "secondary" and "says bind-address 0.0.0.0" in fail.message
    assert fail.message.startswith("mariadb/secondary-bind-all-addresses check failed")
    # `::` passes mysql's check but not this one: on MariaDB it drops IPv4 (and 127.0.0.1).
    v6only = copy.deepcopy(function(objs))
    primary = next(o for o in v6only if o["kind"] == "ConfigMap" and component(o) == "primary")
    primary["data"]["my.cnf"] = primary["data"]["my.cnf"].replace("bind-address=*", "bind-address=::")
    [fail] = composed.check(v6only)
    assert component(fail.resource) == "primary" and "says bind-address ::" in fail.message


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_primary_existing_configmap_is_one_clear_error(archive):
    objs = render(archive, {"primary": {"existingConfigmap": "my-own-cnf"}})
    rc, output, stderr = run_function(objs, charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1, errors
    assert errors[0].startswith("mariadb/primary-bind-all-addresses")
    assert "existingConfigmap" in errors[0] and "bind-address=*" in errors[0]
    assert "Traceback" not in stderr
