"""elasticsearch adapter: my_elasticsearch.yml with bind/publish hosts, mounted as the chart itself would, in every
chart line (17.x flat templates, 18.x renamed roles, 19.21+ emptyDir config dir); the bundled Kibana's server.host,
`::` by itself up to chart 20.x (a verified no-op) and changed from 0.0.0.0 from 21.x (Kibana 11.3.0+)."""
import copy
import json

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, engine, semver
from krmfn.adapters.detect import Instance
from krmfn.adapters.model import Intent
from krmfn.sdk import paths, yaml12
from tests import chartrun, charts
from tests.chartrun import run_function

COMP = catalog.builtin("elasticsearch")
ARCHIVES = charts.chart_archives("elasticsearch")
MOUNT = "/opt/bitnami/elasticsearch/config/my_elasticsearch.yml"
FULLNAME = f"{charts.RELEASE}-elasticsearch"
KIBANA = {"global": {"kibanaEnabled": True}}
RESTART = "krmfn.dev/kibana-server-host"
NETWORK = {
    "ipv6": {"bind_host": "::", "publish_host": "_eth0:ipv6_"},
    "dual-ipv6": {"bind_host": "::", "publish_host": "_eth0:ipv6_"},
    "dual-ipv4": {"bind_host": "::"},
}


version = charts.version_of


def since(archive: str, floor: str) -> bool:
    return semver.Version.parse(version(archive)) >= semver.Version.parse(floor)


def intent(intent_id: str) -> Intent:
    return next(i for i in COMP.adapter.spec.intents if i.id == intent_id)


def kibana_edited(archive: str) -> bool:
    """Whether this chart line edits Kibana (its range is not a no-op for it)."""
    return COMP.binding(version(archive)).edits(intent("kibana-listens-any-family"))


KIBANA_EDITED = [a for a in ARCHIVES if kibana_edited(a)]
KIBANA_READY = [a for a in ARCHIVES if not kibana_edited(a)]


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def function_output(archive: str, mode: str, user: dict, **render) -> dict:
    rc, output, _ = run_function(charts.render(archive, user, **render), charts.plan(mode))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def function_path(archive: str, mode: str, user: dict) -> list[dict]:
    return function_output(archive, mode, user)["items"]


def values_path(archive: str, mode: str, user: dict) -> list[dict]:
    _, rendered, failures = chartrun.values_path(archive, mode, user)
    assert not failures, failures
    return rendered


def config_map(objs: list[dict], name: str = FULLNAME) -> dict:
    return next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == name)


def my_yml(objs: list[dict]) -> dict:
    return yaml12.load(config_map(objs)["data"]["my_elasticsearch.yml"])


def mounting(objs: list[dict]) -> dict:
    """Per StatefulSet: its volumes and the elasticsearch container's mounts, order aside."""
    def norm(items):
        return sorted(json.dumps(i, sort_keys=True) for i in items or [])

    return {
        o["metadata"]["name"]: (
            norm(o["spec"]["template"]["spec"].get("volumes")),
            norm(paths.get(o, "spec.template.spec.containers[name=elasticsearch].volumeMounts")),
        )
        for o in objs if o["kind"] == "StatefulSet"
    }


def of_chart(obj: dict, chart: str) -> bool:
    return obj["metadata"].get("labels", {}).get("helm.sh/chart", "").rsplit("-", 1)[0] == chart


def kibana_yml(objs: list[dict]) -> str:
    [cm] = [o for o in objs if o["kind"] == "ConfigMap" and of_chart(o, "kibana")]
    return cm["data"]["kibana.yml"]


def kibana_deployment(objs: list[dict]) -> dict:
    [dep] = [o for o in objs if o["kind"] == "Deployment" and of_chart(o, "kibana")]
    return dep


def adapter_said(output: dict) -> str:
    [said] = [r["message"] for r in output["results"] if "elasticsearch adapter on release" in r["message"]]
    return said


# ---------------------------------------------------------------- my_elasticsearch.yml, every chart line


@pytest.mark.parametrize("mode", list(NETWORK))
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_creates_and_mounts_what_a_render_with_extra_config_has(archive, mode):
    # The proof for `create`: the same ConfigMap, volume and mounts as the chart renders when
    # extraConfig is set (templates/configmap[-es].yaml and every role's StatefulSet), volumes: null
    # in 17.x/18.x and the emptyDir config dir of 19.21+ included.
    assert not [o for o in charts.render(archive) if o["kind"] == "ConfigMap"]
    ours = function_path(archive, mode, {})
    chart = charts.render(archive, {"extraConfig": {"network": NETWORK[mode]}})
    assert mounting(ours) == mounting(chart)
    assert my_yml(ours) == my_yml(chart) == {"network": NETWORK[mode]}
    # From 19.x the chart also labels the ConfigMap app.kubernetes.io/version (its appVersion), which krmfn
    # cannot know (the range's `why` says so); every other label and field is the chart's.
    chart_md = copy.deepcopy(config_map(chart)["metadata"])
    chart_md["labels"].pop("app.kubernetes.io/version", None)
    assert config_map(ours)["metadata"] == chart_md


@pytest.mark.parametrize("mode", list(NETWORK))
@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_chart_mounts_stay_and_my_elasticsearch_yml_is_mounted_once_without_a_clash(archive, mode):
    """19.21+: /opt/bitnami/elasticsearch/config is an emptyDir; the file mount nests in it, nothing clashes."""
    mounts_at = "spec.template.spec.containers[name=elasticsearch].volumeMounts"
    before = {o["metadata"]["name"]: o for o in charts.render(archive) if o["kind"] == "StatefulSet"}
    for sts in (o for o in function_path(archive, mode, {}) if o["kind"] == "StatefulSet"):
        mounts, was = paths.get(sts, mounts_at), paths.get(before[sts["metadata"]["name"]], mounts_at)
        assert mounts[: len(was)] == was  # the chart's mounts (the config dir's emptyDir among them) unchanged
        assert [m["mountPath"] for m in mounts].count(MOUNT) == 1
        assert len({m["mountPath"] for m in mounts}) == len(mounts)
        names = [v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]]
        assert len(set(names)) == len(names) and "config" in names
        config_dir = [m for m in mounts if m["mountPath"] == "/opt/bitnami/elasticsearch/config"]
        assert [m["name"] for m in config_dir] == (["empty-dir"] if since(archive, "19.21.0") else [])


@pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])
@pytest.mark.parametrize("mode", list(NETWORK))
@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_users_extra_config_is_merged_not_replaced(archive, deliver, mode):
    user = {"extraConfig": {"node": {"store": {"allow_mmap": False}}, "network": {"tcp": {"keep_alive": True}}}}
    objs = deliver(archive, mode, user)
    assert my_yml(objs) == {"node": {"store": {"allow_mmap": False}}, "network": {"tcp": {"keep_alive": True}, **NETWORK[mode]}}
    assert mounting(objs) == mounting(charts.render(archive, user))  # nothing mounted twice
    assert sum(o["kind"] == "ConfigMap" for o in objs) == 1


@pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_config_only_render_gains_the_my_elasticsearch_key_and_mount(archive, deliver):
    user = {"config": {"cluster": {"name": "x"}}}
    objs = deliver(archive, "ipv6", user)
    cm = config_map(objs)
    assert set(cm["data"]) == {"elasticsearch.yml", "my_elasticsearch.yml"}
    for sts in (o for o in objs if o["kind"] == "StatefulSet"):
        mounts = paths.get(sts, "spec.template.spec.containers[name=elasticsearch].volumeMounts")
        assert sum(m.get("subPath") == "my_elasticsearch.yml" for m in mounts) == 1
        assert sum(v["name"] == "config" for v in sts["spec"]["template"]["spec"]["volumes"]) == 1


@pytest.mark.parametrize("install", ["release-like-chart", "name-override", "fullname-override", "fullname-kibana"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_created_configmap_is_named_as_the_chart_names_it_however_installed(archive, install):
    """The fullname anchor (the master StatefulSet less -master) in every chart line, with every override."""
    release, extra = {
        "release-like-chart": ("elasticsearch", {}),
        "name-override": ("shop", {"nameOverride": "renamed"}),
        "fullname-override": ("shop", {"fullnameOverride": "orders-db"}),
        # 17.x renames the coordinating objects when Kibana is on; the anchor is not one of them.
        "fullname-kibana": ("shop", {"fullnameOverride": "orders-db", **KIBANA}),
    }[install]
    rc, output, _ = run_function(charts.render(archive, extra, release=release), charts.plan("ipv6"))
    assert rc == 0 and not [r for r in output["results"] if r["severity"] == "error"]
    chart = charts.render(archive, charts.merge(extra, {"extraConfig": {"network": NETWORK["ipv6"]}}), release=release)
    [want] = [o["metadata"]["name"] for o in chart if o["kind"] == "ConfigMap" and of_chart(o, "elasticsearch")]
    created = [o["metadata"]["name"] for o in output["items"] if o["kind"] == "ConfigMap" and "my_elasticsearch.yml" in o["data"]]
    assert created == [want]
    assert mounting(output["items"]) == mounting(chart)


@pytest.mark.parametrize("variant", ["default", "kibana"])
@pytest.mark.parametrize("mode", list(NETWORK))
@pytest.mark.parametrize("archive", ARCHIVES)
def test_function_path_run_twice_changes_nothing_more(archive, mode, variant):
    once = function_path(archive, mode, KIBANA if variant == "kibana" else {})
    rc, output, _ = run_function(once, charts.plan(mode))
    assert rc == 0 and output["items"] == once


# ---------------------------------------------------------------- the checks prove something


def env(archive: str, mode: str = "ipv6") -> dict:
    return engine.environment(plan(mode), "elasticsearch", version(archive), charts.RELEASE, charts.NAMESPACE,
                              FULLNAME, {})


def holding(archive: str, objs: list[dict]) -> list[tuple[str, str]]:
    """(intent, place) of every check, of every intent and mode that applies to objs, that passes on objs."""
    b = COMP.binding(version(archive))
    inst = Instance("elasticsearch", version(archive), charts.RELEASE, charts.NAMESPACE, objs)
    out = []
    for i in COMP.adapter.spec.intents:
        if not engine.holds(i.when, {}, lambda name: engine._fact(b, name, inst, COMP.chart)):
            continue  # the Kibana intent, where no Kibana is rendered
        for chk in i.checks:
            one = i.model_copy(update={"checks": [chk]})
            if not checks.run(COMP, b, [one], objs, env(archive), "function"):
                out.append((i.id, chk.at))
    return out


@pytest.mark.parametrize("archive", ARCHIVES)
def test_checks_fail_on_the_unpatched_render(archive):
    # Only the premise of the dual-ipv4 no-op holds by itself: the image's advertised FQDN; and, where the
    # Kibana subchart says :: itself, the Kibana check (the verified no-op), which fails where it says 0.0.0.0.
    premise = [("publish-primary-ipv4", "es-env")]
    assert holding(archive, charts.render(archive)) == premise
    kibana = [("kibana-listens-any-family", "kibana-config")]
    assert holding(archive, charts.render(archive, KIBANA)) == premise + ([] if kibana_edited(archive) else kibana)
    ipv6_published = charts.render(archive, {"extraConfig": {"network": {"publish_host": "_eth0:ipv6_"}}})
    no_op = intent("publish-primary-ipv4")
    b = COMP.binding(version(archive))
    assert checks.run(COMP, b, [no_op.model_copy(update={"checks": [no_op.checks[1]]})], ipv6_published, env(archive),
                      "function")


def test_the_kibana_line_check_rejects_the_ipv4_wildcard_and_a_missing_line():
    [chk] = intent("kibana-listens-any-family").checks
    assert checks.failure(chk, 'server.host: "::"\nserver.port: 5601', {}) is None
    assert "0.0.0.0" in checks.failure(chk, 'server.host: "0.0.0.0"\nserver.port: 5601', {})
    assert "no server.host line" in checks.failure(chk, "server.port: 5601", {})


# ---------------------------------------------------------------- Kibana


def test_every_chart_line_is_one_or_the_other_for_kibana():
    assert KIBANA_EDITED and KIBANA_READY
    assert all(semver.Version.parse(version(a)) < semver.Version.parse(version(b))
               for a in KIBANA_READY for b in KIBANA_EDITED)


@pytest.mark.parametrize("mode", list(NETWORK))
@pytest.mark.parametrize("archive", KIBANA_EDITED)
def test_kibana_server_host_becomes_any_family_on_both_paths_and_only_that_line(archive, mode):
    before = kibana_yml(charts.render(archive, KIBANA))
    assert 'server.host: "0.0.0.0"' in before.splitlines()
    function = function_path(archive, mode, KIBANA)
    values_ = values_path(archive, mode, KIBANA)
    want = before.replace('server.host: "0.0.0.0"', 'server.host: "::"')
    assert kibana_yml(function) == kibana_yml(values_) == want
    for objs in (function, values_):
        # The Deployment has no checksum of the ConfigMap: the annotation rolls running pods once.
        assert kibana_deployment(objs)["spec"]["template"]["metadata"]["annotations"][RESTART] == "::"


@pytest.mark.parametrize("archive", KIBANA_EDITED)
def test_the_users_kibana_configuration_is_kept(archive):
    user = charts.merge(KIBANA, {"kibana": {"configuration": {"server": {"basePath": "/kibana"}}}})
    overlay, rendered, failures = chartrun.values_path(archive, "ipv6", user)
    assert not failures, failures
    assert overlay["kibana"]["configuration"] == {"server": {"basePath": "/kibana", "host": "::"}}
    lines = kibana_yml(rendered).splitlines()
    assert 'server.basePath: "/kibana"' in lines and 'server.host: "::"' in lines


@pytest.mark.parametrize("archive", KIBANA_EDITED)
def test_a_kibana_already_on_any_family_is_left_alone_and_not_rolled(archive):
    user = charts.merge(KIBANA, {"kibana": {"configuration": {"server": {"host": "::"}}}})
    before = charts.render(archive, user)
    output = function_output(archive, "ipv6", user)
    assert kibana_yml(output["items"]) == kibana_yml(before)
    assert kibana_deployment(output["items"]) == kibana_deployment(before)
    assert "kibana-listens-any-family (already holds)" in adapter_said(output)
    overlay, _, failures = chartrun.values_path(archive, "ipv6", user)
    assert not failures and "kibana" not in overlay


@pytest.mark.parametrize("mode", list(NETWORK))
@pytest.mark.parametrize("archive", KIBANA_READY)
def test_kibana_that_listens_on_any_family_by_itself_is_a_verified_no_op(archive, mode):
    before = charts.render(archive, KIBANA)
    assert 'server.host: "::"' in kibana_yml(before).splitlines()
    output = function_output(archive, mode, KIBANA)
    kibana_objs = lambda objs: [o for o in objs if of_chart(o, "kibana") and o["kind"] != "Service"]  # noqa: E731
    assert kibana_objs(output["items"]) == kibana_objs(before)  # no edit, no restart annotation
    assert "kibana-listens-any-family (no edit for this chart line)" in adapter_said(output)
    overlay, _, failures = chartrun.values_path(archive, mode, KIBANA)
    assert not failures and "kibana" not in overlay


@pytest.mark.parametrize("archive", ARCHIVES)
def test_without_kibana_the_kibana_intent_does_not_apply(archive):
    output = function_output(archive, "ipv6", {})
    assert "kibana" not in adapter_said(output)
    overlay, _, _ = chartrun.values_path(archive, "ipv6", {})
    assert "kibana" not in overlay
