"""postgresql adapter: listen_addresses '*' and ::/0 twins of 0.0.0.0/0 pg_hba rules in the texts a user gives,
nothing invented where the chart leaves both files to the image; the read replicas and a user's own ConfigMap
said, not silent. Every archive (15.5.38, 16.7.27, 17.1.0), both paths."""
import copy
import difflib

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, values
from krmfn.sdk import paths
from tests import chartrun, charts
from tests.chartrun import run_function

COMP = catalog.builtin("postgresql")
ARCHIVES = charts.chart_archives("postgresql")
MODES = ["ipv6", "dual-ipv4", "dual-ipv6"]
KEYS = {"postgresql.conf": "primary.configuration", "pg_hba.conf": "primary.pgHbaConfiguration"}

USER_HBA = """# ours
local   all          all                      md5
host    all          all      127.0.0.1/32    md5
host    all          app      0.0.0.0/0       scram-sha-256
host    replication  repl_user 0.0.0.0/0      md5"""
USER_CONF = "max_connections = 50\nlisten_addresses = '0.0.0.0'   # IPv4 only\nshared_buffers = 32MB"


def version(archive: str) -> str:
    return charts.version_of(archive)


def compose(archive: str, mode: str = "ipv6", user: dict | None = None) -> values.Composed:
    return values.compose(COMP, version(archive), plan_mod.from_dict(charts.plan(mode)), charts.RELEASE,
                          charts.NAMESPACE, None, user or {})


def function(values_: dict, archive: str, mode: str = "ipv6") -> dict:
    rc, output, _ = run_function(charts.render(archive, values_), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def texts(objs: list[dict], key: str) -> dict[str, str]:
    return {o["metadata"]["name"]: o["data"][key] for o in objs if o["kind"] == "ConfigMap" and key in (o.get("data") or {})}


def statefulset(objs: list[dict], component: str) -> dict:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet"
             and o["metadata"]["labels"].get("app.kubernetes.io/component") == component]
    return sts


def annotations(sts: dict) -> dict:
    return sts["spec"]["template"]["metadata"].get("annotations") or {}


def added_lines(before: str, after: str) -> list[str]:
    delta = [line for line in difflib.ndiff(before.split("\n"), after.split("\n")) if line[:1] in "+-"]
    assert all(line.startswith("+ ") for line in delta), delta  # nothing of the user's text is lost or changed
    return [line[2:] for line in delta]


def users(archive: str, **primary) -> dict:
    return charts.merge(charts.repeatable(archive), {"primary": primary})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_chart_default_leaves_both_files_to_the_image_and_krmfn_adds_none(archive, mode):
    """Empty configuration / pgHbaConfiguration: the image writes listen_addresses '*' and ::/0 rules itself;
    a pg_hba.conf from krmfn would replace the image's release-dependent rules, so none is filled (why)."""
    for variant in ({}, {"architecture": "replication"}):
        user = charts.merge(charts.repeatable(archive), variant)
        objs = charts.render(archive, user)
        assert not [o for o in objs if o["kind"] == "ConfigMap"]
        items = function(user, archive, mode)["items"]
        assert [o for o in items if o["kind"] != "Service"] == [o for o in objs if o["kind"] != "Service"]
        assert compose(archive, mode, user).overlay == {}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_users_pg_hba_gets_the_ipv6_twin_of_each_any_address_rule_on_both_paths(archive):
    user = users(archive, pgHbaConfiguration=USER_HBA)
    objs = charts.render(archive, user)
    output = function(user, archive)
    [rendered_text] = texts(output["items"], "pg_hba.conf").values()
    text = rendered_text.removesuffix("\n")  # the chart's `|` block adds a newline
    assert added_lines(USER_HBA, text) == ["host    all          app      ::/0            scram-sha-256",
                                           "host    replication  repl_user ::/0           md5"]
    # The primary rolls once onto the new file; the read replicas do not mount it.
    assert annotations(statefulset(output["items"], "primary"))["krmfn.dev/postgresql-pg-hba"] == "::/0"
    assert [o for o in output["items"] if o["kind"] == "StatefulSet"] != [o for o in objs if o["kind"] == "StatefulSet"]
    overlay, rendered, failures = chartrun.values_path(archive, "dual-ipv4", user)
    assert not failures, failures
    assert overlay["primary"]["pgHbaConfiguration"] == text
    assert list(texts(rendered, "pg_hba.conf").values()) == [rendered_text]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_pg_hba_check_fails_on_ipv4_rules_alone(archive):
    user = users(archive, pgHbaConfiguration=USER_HBA)
    intent = next(i for i in COMP.adapter.spec.intents if i.id == "pg-hba-ipv6-rules")
    failed = checks.run(COMP, COMP.binding(version(archive)), [intent], charts.render(archive, user),
                        compose(archive, user=user).env, "function")
    assert [f.message for f in failed] == [
        "postgresql/pg-hba-ipv6-rules check failed: data[pg_hba.conf] has host rule(s) for 0.0.0.0/0 without the "
        "same rule for ::/0 (line 4, 5)"]


@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]])
def test_a_narrower_ipv4_range_is_left_to_the_user_and_named_by_the_audit(archive):
    """The other family's pod range is not known to krmfn: the rule stays alone, and pg-hba-no-ipv6 says so."""
    text = USER_HBA + "\nhost    all          all      10.0.0.0/8      md5"
    rc, output, _ = run_function(charts.render(archive, users(archive, pgHbaConfiguration=text)), charts.plan("ipv6"))
    [error] = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and error.startswith("[pg-hba-no-ipv6]") and "line 8: host all all 10.0.0.0/8 md5" in error, error
    [fixed] = texts(output["items"], "pg_hba.conf").values()
    assert fixed.rstrip("\n").endswith("host    all          all      10.0.0.0/8      md5") and fixed.count("::/0") == 2


@pytest.mark.parametrize(("text", "expected"), [
    (USER_CONF, USER_CONF.replace("'0.0.0.0'   # IPv4 only", "'*'")),
    ("max_connections = 50", "max_connections = 50\nlisten_addresses = '*'"),
    ("listen_addresses='*'\nport = 5432", "listen_addresses='*'\nport = 5432"),
], ids=["ipv4-only", "none", "already"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_users_postgresql_conf_listens_on_every_address(archive, text, expected):
    """'*' and never '::': the probes dial 127.0.0.1. A text without the line gets it (PostgreSQL's default is
    localhost); one saying '*' already is left alone and nothing rolls."""
    user = users(archive, configuration=text)
    items = function(user, archive)["items"]
    assert list(texts(items, "postgresql.conf").values()) == [expected + "\n"]
    rolled = "krmfn.dev/postgresql-listen-addresses" in annotations(statefulset(items, "primary"))
    assert rolled == (text != expected)
    overlay = compose(archive, user=user).overlay
    assert paths.get(overlay, "primary.configuration") == (expected if text != expected else None)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_override_conf_is_edited_only_where_it_says_listen_addresses(archive):
    user = charts.merge(charts.repeatable(archive), {
        "architecture": "replication",
        "primary": {"extendedConfiguration": "listen_addresses = 'localhost'\nwork_mem = 4MB"},
        "readReplicas": {"extendedConfiguration": "work_mem = 8MB"}})
    items = function(user, archive)["items"]
    assert sorted(texts(items, "override.conf").values()) == ["listen_addresses = '*'\nwork_mem = 4MB", "work_mem = 8MB"]
    overlay = compose(archive, user=user).overlay
    assert overlay["primary"]["extendedConfiguration"] == "listen_addresses = '*'\nwork_mem = 4MB"
    assert "extendedConfiguration" not in overlay.get("readReplicas", {})


@pytest.mark.parametrize("archive", ARCHIVES)
def test_read_replicas_pg_hba_is_said_not_silent(archive):
    """No readReplicas value for pg_hba (the read StatefulSet mounts no configuration ConfigMap): a warning."""
    cluster = charts.merge(charts.repeatable(archive), {"architecture": "replication"})
    read = statefulset(charts.render(archive, cluster), "read")
    assert "postgresql-config" not in [v["name"] for v in read["spec"]["template"]["spec"]["volumes"]]
    def warned(output):
        return [r["message"] for r in output["results"] if r["severity"] == "warning" and "read replicas" in r["message"]]
    assert len(warned(function(cluster, archive))) == 1
    assert warned(function(charts.repeatable(archive), archive)) == []
    assert [w for w in compose(archive, user=cluster).warnings() if "read replicas" in w]
    assert not compose(archive).warnings()


@pytest.mark.parametrize("archive", ARCHIVES)
def test_an_existing_configmap_is_an_error_naming_it_and_a_values_warning(archive):
    user = users(archive, existingConfigmap="my-pg-conf", pgHbaConfiguration=USER_HBA)
    rc, output, _ = run_function(charts.render(archive, user), charts.plan("ipv6"))
    errors = [r["message"] for r in output["results"] if r["severity"] == "error"]
    assert rc == 1 and len(errors) == 1 and "existing-configmap" in errors[0] and "my-pg-conf" in errors[0], errors
    [warning] = compose(archive, user=user).warnings()
    assert "primary.existingConfigmap is set" in warning and "::/0" in warning
    # The chart's own ConfigMap passes the same check.
    function(users(archive, pgHbaConfiguration=USER_HBA), archive)


@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]])
def test_release_named_like_the_chart_and_overrides_keep_the_check_right(archive):
    """The existing-configmap check reads the fullname off the primary StatefulSet, never off the release."""
    for extra in ({"fullnameOverride": "db"}, {"nameOverride": "pg", "architecture": "replication"}):
        user = charts.merge(users(archive, pgHbaConfiguration=USER_HBA), extra)
        objs = charts.render(archive, user, release="postgresql")
        rc, output, _ = run_function(copy.deepcopy(objs), charts.plan("ipv6"))
        assert rc == 0, [r["message"] for r in output["results"] if r["severity"] == "error"]
