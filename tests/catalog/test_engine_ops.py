"""Engine pieces a catalog file relies on, one behaviour each."""
import pytest

from krmfn.adapters import access, catalog, describe
from krmfn.adapters.detect import instances
from krmfn.adapters.model import OPS, Select

# NOTE (rabbitmq session, 01:17 UTC): this file held two tests of other sessions that the rabbitmq session
# overwrote by mistake. The two below are rebuilt from their pytest node ids (same names and parameter ids)
# and from the engine code they exercise (detect.instances, Select.nameSuffix/lacksNameSuffix); their
# owners should check them against what they wrote.


def _obj(kind: str, name: str, chart: str, namespace: str | None, release: str = "rel") -> dict:
    md = {"name": name, "labels": {"helm.sh/chart": chart, "app.kubernetes.io/instance": release}}
    if namespace is not None:
        md["namespace"] = namespace
    return {"apiVersion": "v1", "kind": kind, "metadata": md}


@pytest.mark.parametrize(("parent_ns", "child_ns", "joins"), [
    (None, None, True), (None, "default", True), ("default", None, True), ("default", "default", True),
    ("team-a", "team-b", False),
])
def test_a_subchart_joins_its_parent_unless_both_name_different_namespaces(parent_ns, child_ns, joins):
    # (elasticsearch session) elasticsearch 17.x renders no namespace at all; its kibana 9.x namespaces only
    # its ServiceAccount: the child's ConfigMap names none, its ServiceAccount names child_ns.
    objs = [_obj("StatefulSet", "rel-elasticsearch-master", "elasticsearch-17.9.29", parent_ns),
            _obj("ConfigMap", "rel-kibana-conf", "kibana-9.3.17", None),
            _obj("ServiceAccount", "rel-kibana", "kibana-9.3.17", child_ns)]
    found = instances(objs, lambda chart, version: ["kibana"] if chart == "elasticsearch" else [])
    if joins:
        [inst] = found
        assert inst.chart == "elasticsearch" and len(inst.objects) == 3
        assert inst.namespace == (parent_ns or "")  # the parent keeps its own: no namespace is invented
    else:
        assert sorted(i.chart for i in found) == ["elasticsearch", "kibana"]


@pytest.mark.parametrize("fullname", ["internal-controller", "orders-db", "rel-demo-controller"])
def test_name_suffix_tells_a_service_from_its_internal_twin(fullname):
    objs = [_obj("Service", fullname, "ingress-nginx-4.15.1", "default"),
            _obj("Service", f"{fullname}-internal", "ingress-nginx-4.15.1", "default")]
    twin = access.select(objs, Select(kind=["Service"], nameSuffix="-internal"), "ingress-nginx")
    main = access.select(objs, Select(kind=["Service"], lacksNameSuffix="-internal"), "ingress-nginx")
    assert [o["metadata"]["name"] for o in twin] == [f"{fullname}-internal"]
    assert [o["metadata"]["name"] for o in main] == [fullname]


def test_catalog_description_names_every_edits_op():
    """`krmfn catalog NAME` names each edit's op, whichever of model.OPS it is (ensureText included)."""
    for comp in catalog.all_builtin():
        text = describe.full(comp)
        for intent in comp.adapter.spec.intents:
            for edit in intent.edits:
                [op] = [k for k in OPS if getattr(edit, k) is not None]
                assert f"{op} at {edit.at}" in text


# ---------------------------------------------------------------- zookeeper/etcd session: ensureLine.unlessEmpty,
# count facts over texts (values path)

from krmfn.adapters import ops, semver, values  # noqa: E402
from krmfn.adapters.layout import Binding  # noqa: E402
from krmfn.adapters.model import Edit, Fact, Line  # noqa: E402


def test_ensure_line_unless_empty_leaves_an_empty_text_empty():
    """zookeeper's `configuration: ""` means no zoo.cfg at all: one line would replace the generated file."""
    spec = Line(key="quorumListenOnAllIPs", value="true", unlessEmpty=True)
    assert ops.ensure_line("", spec) == ""
    assert ops.ensure_line("\n", spec) == "\n"
    assert ops.ensure_line("tickTime=2000", spec) == "tickTime=2000\nquorumListenOnAllIPs=true"
    assert ops.ensure_line("quorumListenOnAllIPs=false\n", spec) == "quorumListenOnAllIPs=true\n"


def test_ensure_line_without_unless_empty_still_fills_an_empty_text():
    spec = Line(key="management.tcp.ip", value="::", sep=" = ")
    assert ops.ensure_line("", spec) == "management.tcp.ip = ::"
    edit = Edit(at="x", ensureLine=spec)
    assert ops.apply("", edit, {}) == "management.tcp.ip = ::"
    assert ops.apply(None, edit, {}) is None  # no text: nothing to edit, as before


def _binding(fact: Fact) -> Binding:
    low, high = semver.bounds(">=1.0.0")
    return Binding(range=None, low=low, high=high, facts={"f": fact})


def test_a_count_fact_counts_a_non_empty_text_on_the_values_path():
    """Helm's `if .Values.existingConfigmap`: a name counts 1, an empty text 0."""
    b = _binding(Fact(at="p", values="existingConfigmap", default=0, count=True))
    assert values._fact(b, "f", {"existingConfigmap": "my-zk"}) == 1
    assert values._fact(b, "f", {"existingConfigmap": ""}) == 0
    assert values._fact(b, "f", {}) == 0


def test_a_count_fact_still_counts_flags_and_a_plain_fact_ignores_texts():
    b = _binding(Fact(at="p", values="sentinel.enabled", default=0, count=True))
    assert values._fact(b, "f", {"sentinel": {"enabled": True}}) == 1
    assert values._fact(b, "f", {"sentinel": {"enabled": False}}) == 0
    plain = _binding(Fact(at="p", values="replicaCount", default=1))
    assert values._fact(plain, "f", {"replicaCount": "3"}) == 1
    assert values._fact(plain, "f", {"replicaCount": 3}) == 3


# ---------------------------------------------------------------- mysql/mongodb session: ValuesAt.defaults, the
# chart's default at versions inside a range that have no archive of their own (mysql 8.0.0-8.5.4, 8.9.0-8.9.4,
# 9.1.4-9.3.2)

import copy  # noqa: E402

from krmfn import plan as _plan_mod  # noqa: E402
from krmfn.adapters import catalog as _catalog, values as _values  # noqa: E402
from krmfn.adapters.catalog import CatalogError  # noqa: E402
from tests import charts as _charts  # noqa: E402

_VD_NEW = "[srv]\nbind=0.0.0.0\nlog=/new"
_VD_OLD = "[srv]\nbind=0.0.0.0\nlog=/old"
_VD_DEMO = {
    "apiVersion": "krmfn.dev/v1alpha2",
    "kind": "Adapter",
    "metadata": {"name": "demo"},
    "spec": {
        "summary": "demo",
        "chart": "demo",
        "intents": [{
            "id": "bind",
            "why": "demo",
            "edits": [{"at": "conf", "ensureLine": {"key": "bind", "value": "*", "section": "srv"}}],
            "checks": [{"at": "conf", "line": {"key": "bind", "values": ["*"]}}],
        }],
        "ranges": [{
            "versions": ">=1.0.0",
            "evidence": ["demo-1.5.0"],
            "why": "demo",
            "places": {"conf": {
                "kind": ["ConfigMap"], "path": "data[srv.conf]",
                "values": [{"path": "conf", "default": _VD_NEW,
                            "defaults": [{"versions": ">=1.0.0 <1.2.0", "default": _VD_OLD}]}],
            }},
        }],
    },
}


def _vd_overlay(version: str, user: dict | None = None) -> dict:
    comp = _catalog.parse(copy.deepcopy(_VD_DEMO), "test")
    return _values.compose(comp, version, _plan_mod.from_dict(_charts.plan("ipv6")), user=user).overlay


def test_values_default_follows_the_chart_version_inside_a_range():
    old, new = _VD_OLD.replace("bind=0.0.0.0", "bind=*"), _VD_NEW.replace("bind=0.0.0.0", "bind=*")
    assert _vd_overlay("1.0.0") == {"conf": old}
    assert _vd_overlay("1.1.9") == {"conf": old}
    assert _vd_overlay("1.2.0") == {"conf": new}
    assert _vd_overlay("1.5.0") == {"conf": new}


def test_a_users_value_still_wins_over_every_versioned_default():
    mine = "[srv]\nbind=0.0.0.0\nmine=1"
    assert _vd_overlay("1.1.0", {"conf": mine}) == {"conf": mine.replace("bind=0.0.0.0", "bind=*")}


def test_default_for_without_versioned_defaults_is_default():
    comp = _catalog.parse(copy.deepcopy(_VD_DEMO), "test")
    at = comp.bindings[0].places["conf"].values[0]
    assert at.default_for("1.1.0") == _VD_OLD and at.default_for("2.0.0") == _VD_NEW
    assert at.model_copy(update={"defaults": []}).default_for("1.1.0") == _VD_NEW


@pytest.mark.parametrize(("rng", "versions", "words"), [
    (">=1.0.0", ">=0.9.0 <1.2.0", "is not inside >=1.0.0"),
    (">=1.0.0 <2.0.0", ">=1.8.0", "is not inside >=1.0.0 <2.0.0"),
    (">=1.0.0", ">=1.4.0 <1.6.0", "holds evidence demo-1.5.0"),
    (">=1.0.0", "not a range", "versions"),
])
def test_a_versioned_default_outside_its_range_or_over_evidence_is_refused(rng, versions, words):
    doc = copy.deepcopy(_VD_DEMO)
    doc["spec"]["ranges"][0]["versions"] = rng
    doc["spec"]["ranges"][0]["places"]["conf"]["values"][0]["defaults"][0]["versions"] = versions
    with pytest.raises(CatalogError) as err:
        _catalog.parse(doc, "test")
    assert words in str(err.value), str(err.value)


# (mariadb-galera session) ensureLine `option`: one option of Galera's wsrep_provider_options list is set, the
# user's other options (gcache.size) stay; without a line, one is added under the section, quoted.
@pytest.mark.parametrize(("text", "want"), [
    ("[galera]\nwsrep_on=ON", '[galera]\nwsrep_provider_options="gmcast.listen_addr=tcp://[::]:4567"\nwsrep_on=ON'),
    ('[galera]\nwsrep_provider_options="gcache.size=2G"',
     '[galera]\nwsrep_provider_options="gcache.size=2G;gmcast.listen_addr=tcp://[::]:4567"'),
    ("[galera]\nwsrep_provider_options = 'gmcast.listen_addr=tcp://0.0.0.0:4567; gcache.size=2G'",
     "[galera]\nwsrep_provider_options = 'gmcast.listen_addr=tcp://[::]:4567; gcache.size=2G'"),
    ("[galera]\nwsrep_provider_options=evs.suspect_timeout=PT10S;",
     "[galera]\nwsrep_provider_options=evs.suspect_timeout=PT10S;gmcast.listen_addr=tcp://[::]:4567"),
])
def test_ensure_line_option_sets_one_option_of_a_list(text, want):
    from krmfn.adapters import ops
    from krmfn.adapters.model import Line

    spec = Line(key="wsrep_provider_options", option="gmcast.listen_addr", value="tcp://[::]:4567", section="galera")
    assert ops.ensure_line(text, spec) == want
    assert ops.ensure_line(want, spec) == want  # a second run changes nothing


# (postgresql session) twinRules: pg_hba.conf / pool_hba.conf rules paired for the other family, and its check.
_HBA = "local all all trust\nhost  all  all  0.0.0.0/0  md5  # apps\nhost replication repl 0.0.0.0/0 md5\nhost all all 10.0.0.0/8 md5"


def _twin():
    from krmfn.adapters.model import Twin

    return Twin.model_validate({"from": "0.0.0.0/0", "to": "::/0"})


def test_twin_rules_follow_each_rule_and_keep_the_rest_line_for_line():
    from krmfn.adapters import ops

    out = ops.twin_rules(_HBA, _twin())
    assert out.split("\n") == ["local all all trust", "host  all  all  0.0.0.0/0  md5  # apps",
                               "host  all  all  ::/0       md5  # apps", "host replication repl 0.0.0.0/0 md5",
                               "host replication repl ::/0      md5", "host all all 10.0.0.0/8 md5"]
    assert ops.twin_rules(out, _twin()) == out  # a rule's twin is never added twice
    assert ops.missing_twins(_HBA, "0.0.0.0/0", "::/0") == [2, 3] and ops.missing_twins(out, "0.0.0.0/0", "::/0") == []


def test_twin_rules_check_names_the_lines_without_a_twin():
    from krmfn.adapters import checks
    from krmfn.adapters.model import Check

    chk = Check.model_validate({"at": "hba", "twinRules": {"from": "0.0.0.0/0", "to": "::/0"}})
    assert checks.failure(chk, _HBA, {}) == "has host rule(s) for 0.0.0.0/0 without the same rule for ::/0 (line 2, 3)"
    assert checks.failure(chk, "host all all all md5", {}) is None


@pytest.mark.parametrize("current, extra, want", [
    # A -Dname=value is one setting: the new value replaces the old in place, never a second spelling.
    ("-Xss2m -Djava.net.preferIPv6Addresses=false -Dx=1", "-Djava.net.preferIPv6Addresses=true",
     "-Xss2m -Djava.net.preferIPv6Addresses=true -Dx=1"),
    # A repeat later in the text would win in the JVM (the last -D wins): it goes.
    ("-Da=1 -Db=2 -Da=3", "-Da=9", "-Da=9 -Db=2"),
    ("--listen=0.0.0.0 --x", "--listen=::", "--listen=:: --x"),
    ("-Dgroups.dns.query=a.svc", "-Dgroups.dns.query.x=1", "-Dgroups.dns.query=a.svc -Dgroups.dns.query.x=1"),
    ("", "-Da=1 -Db=2", "-Da=1 -Db=2"),
    # Erlang's flag-and-words groups are keyed as before.
    ("-kernel inetrc '/a' -proto_dist inet_tcp", "-proto_dist inet6_tcp", "-kernel inetrc '/a' -proto_dist inet6_tcp"),
])
def test_merge_args_keys_a_property_by_its_name(current, extra, want):
    from krmfn.adapters import ops

    assert ops.merge_args(current, extra) == want
    assert ops.merge_args(want, extra) == want  # each setting once: merging again changes nothing


def test_a_fact_with_value_is_counts_only_that_word_on_the_values_path():
    """(postgresql session) architecture: replication adds read replicas; standalone, said or not, adds none."""
    from krmfn import plan as plan_mod
    from krmfn.adapters import catalog as catalog_mod, values as values_mod
    from tests import charts

    comp = catalog_mod.builtin("postgresql")
    plan = plan_mod.from_dict(charts.plan("ipv6"))

    def warned(user):
        return [w for w in values_mod.compose(comp, "17.1.0", plan, user=user).warnings() if "read replicas" in w]
    assert warned({"architecture": "replication"})
    assert not warned({"architecture": "standalone"}) and not warned({})
