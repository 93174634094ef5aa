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
