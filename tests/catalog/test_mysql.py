"""mysql adapter: bind-address=* in every my.cnf, with nothing else of the config lost, on both paths.

Every mysql archive: 6.x/7.x (master/slave), 8.x-9.3.2 (primary/secondary, bind-address=0.0.0.0), and
9.3.3+ where the chart says bind-address=* itself (a verified no-op: nothing changes, no pod rolls).
"""
import copy
import difflib
import tarfile

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, values
from krmfn.adapters.semver import Version
from krmfn.sdk import paths, yaml12
from tests import charts
from tests.chartrun import run_function, values_path

COMP = catalog.builtin("mysql")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]


def semver_of(archive: str) -> Version:
    return Version.parse(archive.rsplit("-", 1)[1])


ARCHIVES = charts.chart_archives("mysql")


version = charts.version_of


def master_slave(archive: str) -> bool:
    return semver_of(archive).nums[0] < 8


def config_keys(archive: str) -> list[str]:
    """The values keys whose text becomes a my.cnf, by layout."""
    return ["master.config", "slave.config"] if master_slave(archive) else ["primary.configuration", "secondary.configuration"]


def one_cnf(archive: str) -> dict:
    """Replication off (6.x/7.x) or standalone (8.x+): only one my.cnf is rendered."""
    return {"replication": {"enabled": False}} if master_slave(archive) else {"architecture": "standalone"}


def replicated(archive: str) -> dict:
    return {"replication": {"enabled": True}} if master_slave(archive) else {"architecture": "replication"}


def chart_values(archive: str) -> dict:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        return yaml12.load(tgz.extractfile("mysql/values.yaml").read().decode())


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def my_cnfs(objs: list[dict]) -> dict[str, str]:
    return {o["metadata"]["name"]: o["data"]["my.cnf"] for o in objs if o["kind"] == "ConfigMap" and "my.cnf" in o.get("data", {})}


def binds(text: str) -> list[str]:
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.strip().startswith(("bind-address", "bind_address"))]


def ipv6_ready(archive: str) -> bool:
    """Whether the chart's own default render already says bind-address=* in every my.cnf."""
    cnfs = my_cnfs(charts.render(archive, charts.merge(charts.repeatable(archive), replicated(archive))))
    assert cnfs
    return all(binds(t) == ["*"] for t in cnfs.values())


def only_bind_line_changed(before: str, after: str) -> None:
    delta = [l for l in difflib.ndiff(before.splitlines(), after.splitlines()) if l[:1] in "+-"]
    assert delta == ["- bind-address=0.0.0.0", "+ bind-address=*"], delta


def test_archives_on_both_sides_of_the_ipv6_ready_line_are_tested():
    ready = [a for a in ARCHIVES if ipv6_ready(a)]
    assert ready and len(ready) < len(ARCHIVES)
    # The chart fixed it once for good (bitnami/charts#12443, 9.3.3): every archive from then on says `*`.
    assert ready == ARCHIVES[-len(ready):]
    assert all(semver_of(a) >= Version.parse("9.3.3") for a in ready)


# ---------------------------------------------------------------- defaults


@pytest.mark.parametrize("archive", ARCHIVES)
def test_catalog_defaults_are_the_charts_text_byte_for_byte(archive):
    b = COMP.binding(version(archive))
    chart = chart_values(archive)
    place = b.places["my.cnf"]
    assert [at.path for at in place.values] == config_keys(archive)
    for at in place.values:
        default = at.default_for(version(archive))
        if default is None:
            # Only where no edit needs it: the chart's text already says `*`.
            assert binds(paths.get(chart, at.path)) == ["*"], at.path
        else:
            assert default == paths.get(chart, at.path), at.path


# The texts of versions without an archive of their own (bitnami/charts history, docs in the range's why):
# each is byte for byte a text some archive has, under this key or another.
SAME_TEXT = [
    # 8.0.0-8.5.4: primary.configuration is the 6.x/7.x master.config verbatim (lib/plugin came in 8.5.5).
    ("8.0.0", "primary.configuration", "mysql-6.14.12", "master.config"),
    ("8.5.4", "primary.configuration", "mysql-7.1.0", "master.config"),
    # 8.9.0-8.9.4: slow-query lines in the primary text only; the secondary keeps the 8.8.x text.
    ("8.9.0", "secondary.configuration", "mysql-8.8.18", "secondary.configuration"),
    ("8.9.4", "primary.configuration", "mysql-8.9.6", "primary.configuration"),
    # 9.0.0-9.1.3: the 8.9.5 texts; 9.1.4-9.3.2: the secondary text is the primary's.
    ("9.0.0", "secondary.configuration", "mysql-8.9.6", "secondary.configuration"),
    ("9.1.4", "secondary.configuration", "mysql-8.9.6", "primary.configuration"),
    ("9.3.2", "secondary.configuration", "mysql-8.9.6", "primary.configuration"),
    # Either side of each boundary, for the texts the archives prove.
    ("8.4.0", "secondary.configuration", "mysql-8.8.18", "secondary.configuration"),
    ("8.5.5", "primary.configuration", "mysql-8.8.18", "primary.configuration"),
    ("8.9.0", "primary.configuration", "mysql-8.9.6", "primary.configuration"),
    ("8.9.5", "secondary.configuration", "mysql-8.9.6", "secondary.configuration"),
    ("9.1.3", "secondary.configuration", "mysql-8.9.6", "secondary.configuration"),
    ("9.3.2", "primary.configuration", "mysql-8.9.6", "primary.configuration"),
]


@pytest.mark.parametrize(("ver", "key", "archive", "same_as"), SAME_TEXT)
def test_defaults_of_versions_without_an_archive_are_texts_the_chart_had(ver, key, archive, same_as):
    b = COMP.binding(ver)
    assert f"mysql-{ver}" not in charts.archives()
    [at] = [at for at in b.places["my.cnf"].values if at.path == key]
    assert at.default_for(ver) == paths.get(chart_values(archive), same_as)
    assert binds(at.default_for(ver)) == ["0.0.0.0"]


def test_each_versioned_default_differs_from_its_ranges_default():
    """A `defaults` entry that said the same as `default` would hide a wrong boundary."""
    seen = 0
    for b in COMP.bindings:
        for at in b.places["my.cnf"].values:
            for d in at.defaults:
                assert d.default != at.default, (b.versions, at.path, d.versions)
                seen += 1
    assert seen >= 3


# ---------------------------------------------------------------- function path


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_changes_only_the_bind_line(archive, mode):
    ready = ipv6_ready(archive)
    for user in (charts.repeatable(archive), charts.merge(charts.repeatable(archive), one_cnf(archive))):
        objs = charts.render(archive, user)
        rc, output, _ = run_function(copy.deepcopy(objs), charts.plan(mode))
        assert rc == 0, output.get("results")
        before, after = my_cnfs(objs), my_cnfs(output["items"])
        assert after.keys() == before.keys() and after
        for name in before:
            if ready:
                assert after[name] == before[name]
            else:
                only_bind_line_changed(before[name], after[name])


@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_rolls_every_mysql_pod_once_and_only_when_my_cnf_changed(archive):
    """The pods must pick up an edited my.cnf; where the chart already says `*`, no pod template changes."""
    objs = charts.render(archive, charts.merge(charts.repeatable(archive), replicated(archive)))
    rc, output, _ = run_function(copy.deepcopy(objs), charts.plan("dual-ipv6"))
    assert rc == 0
    before = {o["metadata"]["name"]: o for o in objs if o["kind"] == "StatefulSet"}
    after = {o["metadata"]["name"]: o for o in output["items"] if o["kind"] == "StatefulSet"}
    assert len(after) == 2 and after.keys() == before.keys()
    for name, sts in after.items():
        if ipv6_ready(archive):
            assert sts == before[name], name
        else:
            assert sts["spec"]["template"]["metadata"]["annotations"]["krmfn.dev/mysql-bind-address"] == "*"
            rest = copy.deepcopy(sts)
            meta = rest["spec"]["template"]["metadata"]
            del meta["annotations"]["krmfn.dev/mysql-bind-address"]
            if not meta["annotations"] and "annotations" not in before[name]["spec"]["template"]["metadata"]:
                del meta["annotations"]  # 6.x/7.x render no pod annotations at all
            assert rest == before[name], name


@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_says_what_it_did(archive):
    rc, output, _ = run_function(charts.render(archive, charts.repeatable(archive)), charts.plan("ipv6"))
    [said] = [r["message"] for r in output["results"] if "mysql adapter on release" in r["message"]]
    b = COMP.binding(version(archive))
    assert f"range {b.versions}," in said
    assert ("bind-all-addresses (already holds)" in said) == ipv6_ready(archive), said


# ---------------------------------------------------------------- checks


@pytest.mark.parametrize("archive", ARCHIVES)
def test_checks_fail_where_a_my_cnf_says_0_0_0_0(archive):
    """On the unpatched render (8.x-9.3.2, 6.x/7.x) the check fails for every my.cnf; where the chart says `*`,
    it passes, and fails as soon as one my.cnf says 0.0.0.0 again."""
    composed = values.compose(COMP, version(archive), plan("ipv6"))
    objs = charts.render(archive, charts.merge(charts.repeatable(archive), replicated(archive)))
    cnfs = my_cnfs(objs)
    assert len(cnfs) == 2
    failed = [r for r in composed.check(objs)]
    if ipv6_ready(archive):
        assert failed == []
        broken = copy.deepcopy(objs)
        cm = next(o for o in broken if o["kind"] == "ConfigMap" and "my.cnf" in o.get("data", {}))
        cm["data"]["my.cnf"] = cm["data"]["my.cnf"].replace("bind-address=*", "bind-address=0.0.0.0")
        [fail] = composed.check(broken)
        assert "0.0.0.0" in fail.message and fail.resource["metadata"]["name"] == cm["metadata"]["name"]
    else:
        assert sorted(r.resource["metadata"]["name"] for r in failed) == sorted(cnfs)
        assert all("says bind-address 0.0.0.0" in r.message for r in failed)


# ---------------------------------------------------------------- values path


@pytest.mark.parametrize("archive", ARCHIVES)
def test_values_path_with_one_my_cnf_passes_checks(archive):
    """Replication off (6.x/7.x) or standalone (8.x+): one ConfigMap, the other role's config is inert."""
    user = charts.merge(charts.repeatable(archive), one_cnf(archive))
    overlay, rendered, failures = values_path(archive, "ipv6", user)
    assert not failures, failures
    before, after = my_cnfs(charts.render(archive, user)), my_cnfs(rendered)
    assert len(after) == 1 and after.keys() == before.keys()
    if ipv6_ready(archive):
        assert overlay == {} and after == before
        return
    assert sorted(k for k in config_keys(archive) if paths.get(overlay, k) is not None) == config_keys(archive)
    for name in before:
        only_bind_line_changed(before[name].strip("\n"), after[name].strip("\n"))


@pytest.mark.parametrize(("ver", "key", "archive", "same_as"), SAME_TEXT)
def test_values_path_starts_from_the_text_of_the_version_at_hand(ver, key, archive, same_as):
    """Between the archives the chart's texts changed (8.5.5, 8.9.0, 8.9.5, 9.1.4): each overlay is that
    version's own text with only the bind line changed."""
    composed = values.compose(COMP, ver, plan("dual-ipv4"))
    only_bind_line_changed(paths.get(chart_values(archive), same_as), paths.get(composed.overlay, key))


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

# 9.0.0+ renders the text through tpl: a user's template stays as it is.
USER_CNF_TEMPLATED = """[mysqld]
port={{ .Values.primary.containerPorts.mysql }}
bind-address=0.0.0.0"""


@pytest.mark.parametrize(
    "archive,key",
    [("mysql-6.14.12", "master.config"), ("mysql-7.1.0", "slave.config"), ("mysql-8.8.18", "primary.configuration"),
     ("mysql-8.9.6", "secondary.configuration"), ("mysql-9.23.0", "primary.configuration"),
     ("mysql-14.0.5", "secondary.configuration")],
)
def test_values_path_edits_the_users_own_config(archive, key):
    cases = [
        (USER_CNF, USER_CNF.replace("bind_address = 0.0.0.0", "bind_address = *")),
        (USER_CNF_NO_BIND, USER_CNF_NO_BIND.replace("[mysqld]", "[mysqld]\nbind-address=*")),
    ]
    if not master_slave(archive):
        cases.append((USER_CNF_TEMPLATED, USER_CNF_TEMPLATED.replace("=0.0.0.0", "=*")))
    for text, expected in cases:
        user = {}
        paths.set(user, key, text)
        overlay = values.compose(COMP, version(archive), plan("dual-ipv4"), user=user).overlay
        assert paths.get(overlay, key) == expected


@pytest.mark.parametrize("archive", ["mysql-8.9.6", "mysql-14.0.5"])
def test_values_path_render_of_a_users_templated_config(archive):
    user = charts.merge(charts.repeatable(archive), {"primary": {"configuration": USER_CNF_TEMPLATED}})
    overlay, rendered, failures = values_path(archive, "ipv6", user)
    assert not failures, failures
    [cnf] = my_cnfs(rendered).values()
    if semver_of(archive) >= Version.parse("9.0.0"):
        assert "port=3306" in cnf  # tpl evaluated the user's template
    assert binds(cnf) == ["*"]


@pytest.mark.parametrize("archive", ["mysql-8.8.18", "mysql-14.0.5"])
def test_function_path_edits_a_users_config_without_bind_line(archive):
    values_ = charts.merge(charts.repeatable(archive), {"primary": {"configuration": USER_CNF_NO_BIND}})
    rc, output, _ = run_function(charts.render(archive, values_), charts.plan("ipv6"))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    assert my_cnfs(output["items"])["rel-mysql"].strip("\n") == USER_CNF_NO_BIND.replace("[mysqld]", "[mysqld]\nbind-address=*")
    [sts] = [o for o in output["items"] if o["kind"] == "StatefulSet"]
    assert sts["spec"]["template"]["metadata"]["annotations"]["krmfn.dev/mysql-bind-address"] == "*"


@pytest.mark.parametrize("archive", ["mysql-8.8.18", "mysql-8.9.6", "mysql-14.0.5"])
def test_an_existing_configmap_is_one_clear_error_naming_the_fix(archive):
    user = charts.merge(charts.repeatable(archive), {"primary": {"existingConfigmap": "my-own-cnf"}})
    rc, output, stderr = run_function(charts.render(archive, user), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1, errors
    assert "existingConfigmap" in errors[0] and "bind-address=*" in errors[0]
    assert "Traceback" not in stderr
