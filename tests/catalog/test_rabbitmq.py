"""rabbitmq adapter: listeners on ::, and inet6 Erlang distribution merged into the chart's own variables,
for every archive of the chart (rabbitmq.conf in a ConfigMap before 10.1.0, in a Secret from then on)."""
import base64
import re
import tarfile
from collections import Counter

import pytest

from krmfn import plan as plan_mod
from krmfn.adapters import catalog, checks, values
from krmfn.adapters.semver import Version
from krmfn.sdk import diff, objects, paths, yaml12
from tests import chartrun, charts
from tests.chartrun import run_function

COMP = catalog.builtin("rabbitmq")
PINNED = "rabbitmq-8.24.12"
ARCHIVES = charts.chart_archives("rabbitmq")
NEWEST = charts.newest("rabbitmq")
# One archive per range (its first evidence) for behaviour that is the same template in every range.
PER_RANGE = [b.range.evidence[0] for b in COMP.bindings]
INETRC = "-kernel inetrc '/opt/bitnami/rabbitmq/inetrc/erl_inetrc'"
CONF_KEY = "rabbitmq.conf"


version = charts.version_of


base = charts.repeatable


def cluster(archive: str) -> dict:
    return next(c.values for c in charts.cases() if c.archive == archive and c.variant == "cluster")


def chart_values(archive: str) -> dict:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        return yaml12.load(tgz.extractfile("rabbitmq/values.yaml").read().decode())


def plan(mode: str):
    return plan_mod.from_dict(charts.plan(mode))


def statefulset(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "StatefulSet")


def rabbitmq_env(objs: list[dict]) -> list[dict]:
    return paths.get(statefulset(objs), "spec.template.spec.containers[name=rabbitmq].env")


def env_value(objs: list[dict], name: str) -> str | None:
    return next((e.get("value") for e in rabbitmq_env(objs) if e["name"] == name), None)


def config_object(objs: list[dict]) -> dict:
    """The object the StatefulSet's `configuration` volume mounts (found by reference, not by kind)."""
    volume = paths.get(statefulset(objs), "spec.template.spec.volumes[name=configuration]")
    if "configMap" in volume:
        kind, name = "ConfigMap", volume["configMap"]["name"]
    elif "secret" in volume:
        kind, name = "Secret", volume["secret"]["secretName"]
    else:  # projected (11.3.0+): the Secret source that carries rabbitmq.conf
        kind = "Secret"
        name = next(s["secret"]["name"] for s in volume["projected"]["sources"] if "secret" in s)
    return next(o for o in objs if o["kind"] == kind and objects.name(o) == name)


def rabbitmq_conf(objs: list[dict]) -> str:
    obj = config_object(objs)
    raw = obj["data"][CONF_KEY]
    return base64.b64decode(raw, validate=True).decode() if obj["kind"] == "Secret" else raw


def values_path(archive: str, mode: str, user: dict, options: dict | None = None, **kw) -> list[dict]:
    _, rendered, failures = chartrun.values_path(archive, mode, user, options, **kw)
    assert not failures, failures
    return rendered


def function_output(archive: str, mode: str, user: dict, options: dict | None = None) -> dict:
    spec = {"components": [{"adapter": "rabbitmq", "options": options}]} if options else {}
    rc, output, _ = run_function(charts.render(archive, user), charts.plan(mode, **spec))
    errors = [r["message"] for r in output.get("results", []) if r["severity"] == "error"]
    assert rc == 0 and not errors, errors
    return output


def function_path(archive: str, mode: str, user: dict, options: dict | None = None) -> list[dict]:
    return function_output(archive, mode, user, options)["items"]


BOTH = pytest.mark.parametrize("deliver", [values_path, function_path], ids=["values", "function"])


def added_lines(before: str) -> list[str]:
    """What the listeners intent adds to a chart's rabbitmq.conf: prometheus only beside the chart's port line."""
    return ["management.tcp.ip = ::"] + (["prometheus.tcp.ip = ::"] if "prometheus.tcp.port" in before else [])


# ---------------------------------------------------------------- what each range binds


@pytest.mark.parametrize("archive", ARCHIVES)
def test_extra_configuration_defaults_are_the_charts_text_byte_for_byte(archive):
    b = COMP.binding(version(archive))
    written = [at for name in ("rabbitmq.conf", "prometheus-with-metrics", "prometheus-always")
               for at in b.places[name].values]
    assert {at.path for at in written} == {"extraConfiguration"}
    # rabbitmq.conf and exactly one of the two prometheus places start from the chart's text.
    assert len(written) == 2
    assert all(at.default == chart_values(archive)["extraConfiguration"] for at in written)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_range_binds_rabbitmq_conf_where_the_chart_keeps_it(archive):
    """ConfigMap before 10.1.0, Secret from then on: the kind the StatefulSet's volume names in the render."""
    objs = charts.render(archive, base(archive))
    place = COMP.binding(version(archive)).places["rabbitmq.conf"]
    assert place.kind == [config_object(objs)["kind"]]
    holders = [o for o in objs if CONF_KEY in (o.get("data") or {})]
    assert holders == [config_object(objs)]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_the_chart_writes_prometheus_port_with_metrics_before_14_0_1_and_always_after(archive):
    """The fact the values path's two prometheus places rest on (values.yaml, 14.0.1 bitnami/charts#25135)."""
    always = Version.parse(version(archive)) >= Version.parse("14.0.1")
    b = COMP.binding(version(archive))
    assert bool(b.places["prometheus-always"].values) is always
    assert bool(b.places["prometheus-with-metrics"].values) is not always
    assert ("prometheus.tcp.port" in rabbitmq_conf(charts.render(archive, base(archive)))) is always
    assert "prometheus.tcp.port" in rabbitmq_conf(charts.render(archive, charts.merge(base(archive), {"metrics": {"enabled": True}})))


# ---------------------------------------------------------------- listeners


@BOTH
@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv4", "dual-ipv6"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_listeners_on_any_family_and_the_chart_config_kept(archive, deliver, mode):
    before = rabbitmq_conf(charts.render(archive, base(archive)))
    after = rabbitmq_conf(deliver(archive, mode, base(archive)))
    added = added_lines(before)
    if deliver is function_path:
        assert after == before + "\n" + "\n".join(added)
    else:  # extraConfiguration sits inside the chart's text: the added lines land there
        assert Counter(after.split("\n")) - Counter(before.split("\n")) == Counter(added)
        assert [line for line in after.split("\n") if line not in added] == before.split("\n")


@BOTH
@pytest.mark.parametrize("archive", ARCHIVES)
def test_prometheus_listener_only_beside_the_charts_port(archive, deliver):
    for user in (base(archive), charts.merge(base(archive), {"metrics": {"enabled": True}})):
        before = rabbitmq_conf(charts.render(archive, user))
        conf = rabbitmq_conf(deliver(archive, "ipv6", user))
        listeners = re.findall(r"(?m)^prometheus\.tcp\.\w+ = .*$", conf)
        ports = re.findall(r"(?m)^prometheus\.tcp\.port = .*$", before)
        if ports:
            assert sorted(listeners) == sorted(["prometheus.tcp.ip = ::", *ports])
        else:
            assert "prometheus" not in conf


@BOTH
@pytest.mark.parametrize("archive", PER_RANGE)
def test_an_ipv4_management_address_of_the_user_is_replaced_not_doubled(archive, deliver):
    user = charts.merge(base(archive), {"extraConfiguration": "management.tcp.ip = 0.0.0.0\nmanagement.tcp.port = 15672"})
    conf = rabbitmq_conf(deliver(archive, "ipv6", user))
    assert re.findall(r"(?m)^management\.tcp\.\w+ = .*$", conf) == ["management.tcp.ip = ::", "management.tcp.port = 15672"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_secret_held_config_changes_only_its_key_and_the_rest_stays_byte_for_byte(archive):
    """From 10.1.0 rabbitmq.conf is base64 in a Secret: only data[rabbitmq.conf] changes, and decodes to the edit."""
    user = charts.merge(cluster(archive), {"advancedConfiguration": "[{rabbit, [{log_levels, [{connection, info}]}]}]."})
    before = charts.render(archive, user)
    after = function_path(archive, "ipv6", user)
    conf = config_object(before)
    changed = {objects.display_name(o): patch for o, patch in diff.changes(before, after)[0]}
    config_patch = changed[objects.display_name(conf)]
    assert config_patch == [{"op": "replace", "path": f"/data/{CONF_KEY}", "value": config_object(after)["data"][CONF_KEY]}]
    new = config_object(after)
    assert {k: v for k, v in new.items() if k != "data"} == {k: v for k, v in conf.items() if k != "data"}
    assert {k: v for k, v in new["data"].items() if k != CONF_KEY} == {k: v for k, v in conf["data"].items() if k != CONF_KEY}
    assert "advanced.config" in new["data"]
    old_text = rabbitmq_conf(before)
    assert rabbitmq_conf(after) == old_text + "\n" + "\n".join(added_lines(old_text))
    if conf["kind"] == "Secret":
        assert new["data"][CONF_KEY] == base64.b64encode(rabbitmq_conf(after).encode()).decode()
    # No other Secret (the auth one) is touched.
    assert not [name for name in changed if name.startswith("Secret ") and name != objects.display_name(conf)]


# ---------------------------------------------------------------- Erlang distribution


@BOTH
@pytest.mark.parametrize(
    "schedulers, expected",
    [
        ({"maxAvailableSchedulers": 2, "onlineSchedulers": 1}, "+S 2:1"),
        ({"maxAvailableSchedulers": "4", "onlineSchedulers": "2"}, "+S 4:2"),
    ],
    ids=["ints", "strings"],
)
@pytest.mark.parametrize("archive", PER_RANGE)
def test_chart_scheduler_args_and_inet6_args_share_one_variable(archive, deliver, schedulers, expected):
    objs = deliver(archive, "ipv6", charts.merge(cluster(archive), schedulers))
    names = Counter(e["name"] for e in rabbitmq_env(objs))
    assert names["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] == 1 and names["RABBITMQ_CTL_ERL_ARGS"] == 1
    args = env_value(objs, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    assert args.startswith(expected), args
    assert f"{INETRC} -proto_dist inet6_tcp" in args
    assert env_value(objs, "RABBITMQ_CTL_ERL_ARGS") == "-proto_dist inet6_tcp"


@pytest.mark.parametrize("archive", PER_RANGE)
def test_values_path_fills_a_missing_online_count_the_chart_cannot_render_without(archive):
    user = charts.merge(cluster(archive), {"maxAvailableSchedulers": 2})
    # `value: +S 2:` is not YAML: the chart alone fails here (8.24.12 templates/statefulset.yaml:167).
    with pytest.raises(RuntimeError, match="mapping values are not allowed"):
        charts.render(archive, user)
    args = env_value(values_path(archive, "ipv6", user), "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    assert args == f"+S 2:0 {INETRC} -proto_dist inet6_tcp"


@pytest.mark.parametrize("archive", PER_RANGE)
def test_values_path_without_schedulers_asks_erl_for_its_default_schedulers(archive):
    args = env_value(values_path(archive, "ipv6", cluster(archive)), "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
    assert args == f"+S 0:0 {INETRC} -proto_dist inet6_tcp"


@BOTH
@pytest.mark.parametrize("archive", ARCHIVES)
def test_inetrc_configmap_is_mounted_and_no_env_name_repeats(archive, deliver):
    objs = deliver(archive, "ipv6", cluster(archive))
    sts = statefulset(objs)
    fullname = objects.name(sts)
    cm = next(o for o in objs if o["kind"] == "ConfigMap" and objects.name(o) == f"{fullname}-erl-inetrc")
    assert cm["data"] == {"erl_inetrc": "{inet6, true}.\n"}
    assert cm["metadata"]["labels"]["helm.sh/chart"] == archive  # detected as part of the release
    assert objects.namespace(cm) == objects.namespace(sts)
    assert paths.get(sts, "spec.template.spec.volumes[name=erl-inetrc]") == {
        "name": "erl-inetrc", "configMap": {"name": f"{fullname}-erl-inetrc"}}
    mount = paths.get(sts, "spec.template.spec.containers[name=rabbitmq].volumeMounts[name=erl-inetrc]")
    assert mount == {"name": "erl-inetrc", "mountPath": "/opt/bitnami/rabbitmq/inetrc", "readOnly": True}
    assert max(Counter(e["name"] for e in rabbitmq_env(objs)).values()) == 1


@pytest.mark.parametrize("archive", ARCHIVES)
def test_init_containers_run_no_erlang_and_are_left_alone(archive):
    """14.0.2+ always renders prepare-plugins-dir (a `cp`): only the container named rabbitmq gets ERL arguments."""
    user = cluster(archive)
    before = paths.get(statefulset(charts.render(archive, user)), "spec.template.spec.initContainers") or []
    for objs in (values_path(archive, "ipv6", user), function_path(archive, "ipv6", user)):
        assert (paths.get(statefulset(objs), "spec.template.spec.initContainers") or []) == before
    names = [c["name"] for c in before]
    assert ("prepare-plugins-dir" in names) is (Version.parse(version(archive)) >= Version.parse("14.0.2"))
    for c in before:
        assert not any(re.search(r"\b(erl|rabbitmq-server|rabbitmqctl|rabbitmq-diagnostics)\b", str(a))
                       for a in (c.get("command") or []) + (c.get("args") or [])), c["name"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_inetrc_configmap_goes_where_the_chart_puts_its_objects(archive):
    """The extraDeploy ConfigMap names the namespace the way the chart's own objects do: `.Release.Namespace`
    before 9.0.0, common.names.namespace (which follows namespaceOverride) from 9.0.0 on."""
    has_override = "namespaceOverride" in chart_values(archive)
    b = COMP.binding(version(archive))
    assert bool(b.places["extra-deploy-common-namespace"].values) is has_override
    assert bool(b.places["extra-deploy"].values) is not has_override
    with tarfile.open(charts.archive_path(archive)) as tgz:
        sts_template = tgz.extractfile("rabbitmq/templates/statefulset.yaml").read().decode()
    chart_namespace = re.search(r"(?m)^  namespace: (\{\{.*\}\})", sts_template).group(1)
    for release_ns, user in [("team-a", cluster(archive))] + (
            [(charts.NAMESPACE, charts.merge(cluster(archive), {"namespaceOverride": "ns2"}))] if has_override else []):
        overlay, rendered, failures = chartrun.values_path(archive, "ipv6", user, namespace=release_ns)
        assert not failures, failures
        [item] = overlay["extraDeploy"]
        # The same template the chart's StatefulSet uses (less its `| quote`).
        assert chart_namespace.replace(" | quote", "") == item["metadata"]["namespace"]
        sts = statefulset(rendered)
        cm = next(o for o in rendered if objects.name(o) == f"{objects.name(sts)}-erl-inetrc")
        assert objects.namespace(sts) == objects.namespace(cm) == user.get("namespaceOverride", release_ns)


def test_the_namespace_helper_is_missing_before_the_range_that_uses_it():
    """Why the ranges before 9.0.0 write no namespace: 8.24.12 (common 1.10.3) cannot render the helper."""
    item = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": '{{ include "common.names.namespace" . }}'}}
    with pytest.raises(RuntimeError, match="common.names.namespace"):
        charts.render(PINNED, charts.merge(base(PINNED), {"extraDeploy": [item]}))


@pytest.mark.parametrize("archive", PER_RANGE)
def test_values_path_keeps_the_users_lists(archive):
    user = charts.merge(cluster(archive), {
        "extraEnvVars": [{"name": "FOO", "value": "bar"}],
        "extraVolumes": [{"name": "extras", "emptyDir": {}}],
        "extraVolumeMounts": [{"name": "extras", "mountPath": "/extras"}],
        "extraDeploy": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine"}, "data": {"a": "b"}}],
    })
    objs = values_path(archive, "ipv6", user)
    assert env_value(objs, "FOO") == "bar"
    sts = statefulset(objs)
    assert {v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]} >= {"extras", "erl-inetrc"}
    mounts = paths.get(sts, "spec.template.spec.containers[name=rabbitmq].volumeMounts")
    assert {m["name"] for m in mounts} >= {"extras", "erl-inetrc"}
    assert {o["metadata"]["name"] for o in objs if o["kind"] == "ConfigMap"} >= {"mine", "rel-rabbitmq-erl-inetrc"}


@pytest.mark.parametrize("archive", PER_RANGE)
def test_values_overlay_fed_back_as_user_values_is_stable(archive):
    first = values.compose(COMP, version(archive), plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None,
                           cluster(archive)).overlay
    fed = charts.merge(cluster(archive), first)
    again = values.compose(COMP, version(archive), plan("ipv6"), charts.RELEASE, charts.NAMESPACE, None, fed).overlay
    # Nothing more to add: what a second run writes is already in the values, so Helm's merge changes nothing.
    assert charts.merge(fed, again) == fed


@pytest.mark.parametrize("mode", ["ipv6", "dual-ipv6"])
@pytest.mark.parametrize("archive", PER_RANGE)
def test_function_path_run_twice_changes_nothing_more(archive, mode):
    options = {"clustering": "ipv6"}
    once = function_path(archive, mode, cluster(archive), options)
    rc, output, _ = run_function(once, charts.plan(mode, components=[{"adapter": "rabbitmq", "options": options}]))
    assert rc == 0 and output["items"] == once


@pytest.mark.parametrize(
    "mode, options, variant, inet6",
    [
        ("ipv6", None, "default", True),  # one replica too: its CLI reaches it by an IPv6-only FQDN
        ("ipv6", None, "cluster", True),
        ("ipv6", {"clustering": "ipv6"}, "cluster", True),
        ("dual-ipv6", None, "cluster", False),
        ("dual-ipv6", {"clustering": "ipv6"}, "cluster", True),
        ("dual-ipv4", None, "cluster", False),
        ("dual-ipv4", {"clustering": "ipv6"}, "cluster", False),  # IPv4 primary: distribution stays IPv4
    ],
)
@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_distribution_family_follows_mode_and_option(archive, mode, options, variant, inet6):
    user = base(archive) if variant == "default" else cluster(archive)
    for objs in (values_path(archive, mode, user, options), function_path(archive, mode, user, options)):
        assert ("inet6_tcp" in (env_value(objs, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS") or "")) is inet6
        assert (env_value(objs, "RABBITMQ_CTL_ERL_ARGS") is not None) is inet6


@pytest.mark.parametrize("archive", [PINNED, NEWEST])
def test_clustering_ipv4_on_an_ipv6_only_plan_changes_nothing_and_the_audit_says_so(archive):
    objs = values_path(archive, "ipv6", cluster(archive), {"clustering": "ipv4"})
    assert env_value(objs, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS") is None
    spec = {"components": [{"adapter": "rabbitmq", "options": {"clustering": "ipv4"}}]}
    rc, output, _ = run_function(charts.render(archive, cluster(archive)), charts.plan("ipv6", **spec))
    errors = [r for r in output.get("results", []) if r["severity"] == "error"]
    # One finding, on the container that runs RabbitMQ (not on an init container that runs no Erlang).
    assert rc == 1 and len(errors) == 1 and errors[0]["message"].startswith("[erlang-dist]"), errors
    assert errors[0]["field"]["path"] == "spec.template.spec.containers[0].env"


# ---------------------------------------------------------------- the checks prove something


def _check_results(archive: str, objs: list[dict]) -> dict[tuple[str, str, int], list[str]]:
    """(intent, place, check index) -> failure messages, for every check of the ipv6 intents (function path)."""
    composed = values.compose(COMP, version(archive), plan("ipv6"), charts.RELEASE, charts.NAMESPACE)
    out = {}
    for intent in composed.intents:
        for n, chk in enumerate(intent.checks):
            one = intent.model_copy(update={"checks": [chk]})
            out[(intent.id, chk.at, n)] = [r.message for r in checks.run(COMP, composed.binding, [one], objs,
                                                                           composed.env, "function")]
    return out


@pytest.mark.parametrize("archive", ARCHIVES)
def test_checks_fail_on_the_unpatched_render(archive):
    objs = charts.render(archive, charts.merge(cluster(archive), {"metrics": {"enabled": True}}))
    results = _check_results(archive, objs)
    assert {i for i, _, _ in results} == {"listeners-any-family", "erlang-distribution-ipv6"}
    passing = [key for key, failed in results.items() if not failed]
    # Only the guard against what this render lacks (RABBITMQ_MANAGEMENT_BIND_IP) passes; it fails below.
    assert passing == [("listeners-any-family", "rabbitmq-env", 2)]
    bind_ip = charts.render(archive, charts.merge(base(archive), {
        "extraEnvVars": [{"name": "RABBITMQ_MANAGEMENT_BIND_IP", "value": "::"}]}))
    assert _check_results(archive, bind_ip)[("listeners-any-family", "rabbitmq-env", 2)]
    # A second, IPv4 management address fails the line check even beside `::`.
    second = charts.render(archive, charts.merge(base(archive), {
        "extraConfiguration": "management.tcp.ip = ::\nmanagement.tcp.ip = 0.0.0.0"}))
    assert _check_results(archive, second)[("listeners-any-family", "rabbitmq.conf", 0)]
    # Without metrics, the prometheus check fails exactly where the chart writes the port anyway (14.0.1+).
    plain = _check_results(archive, charts.render(archive, cluster(archive)))
    assert bool(plain[("listeners-any-family", "rabbitmq.conf", 1)]) is (
        "prometheus.tcp.port" in rabbitmq_conf(charts.render(archive, cluster(archive))))


@pytest.mark.parametrize("archive", PER_RANGE)
def test_a_second_definition_from_the_users_extra_env_vars_is_reported(archive):
    user = charts.merge(cluster(archive), {"extraEnvVars": [{"name": "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "value": "+sbwt none"}]})
    _, _, failures = chartrun.values_path(archive, "ipv6", user)
    assert len(failures) == 1 and "defines RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS 2 times" in failures[0], failures
