"""The catalog as data: every file loads, every range names real evidence, every default is the chart's own
text, the README's table is generated from it, and the loader refuses what does not fit."""
from __future__ import annotations

import copy
import tarfile
from pathlib import Path

import pytest

from krmfn.adapters import catalog, describe, layout
from krmfn.adapters.catalog import CatalogError
from krmfn.sdk import paths, yaml12
from tests import charts

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = catalog.all_builtin()


def test_every_file_is_named_after_its_chart_and_adapter():
    assert [c.name for c in COMPONENTS] == catalog.builtin_names()
    assert all(c.name == c.chart for c in COMPONENTS)


def test_every_chart_archive_has_an_adapter_and_every_evidence_archive_exists():
    archives = set(charts.archives())
    assert {a.rsplit("-", 1)[0] for a in archives} <= {c.chart for c in COMPONENTS}
    for comp in COMPONENTS:
        for b in comp.bindings:
            missing = set(b.range.evidence) - archives
            assert not missing, f"{comp.name} {b.versions}: no archive {missing}"


def test_every_archive_is_covered_and_proven_by_its_range():
    """Each archive in ../shared lies in exactly one range, and that range names it as evidence."""
    for archive in charts.archives():
        chart, version = archive.rsplit("-", 1)
        comp = catalog.builtin(chart)
        b = comp.binding(version)
        assert b is not None, f"{archive}: {comp.unproven(version)}"
        assert archive in b.range.evidence, f"{archive} is in {b.versions} but not among its evidence"


def _chart_values(archive: str) -> dict:
    with tarfile.open(charts.archive_path(archive)) as tgz:
        chart = archive.rsplit("-", 1)[0]
        return yaml12.load(tgz.extractfile(f"{chart}/values.yaml").read().decode())


@pytest.mark.parametrize("comp", COMPONENTS, ids=[c.name for c in COMPONENTS])
def test_values_defaults_are_the_charts_own_text(comp):
    """A default an edit starts from is the chart's value byte for byte, in every evidence archive."""
    compared = 0
    for b in comp.bindings:
        for name, place in b.places.items():
            for at in place.values:
                if not isinstance(at.default, str) or not at.default:
                    continue
                for archive in b.range.evidence:
                    chart_value = paths.get(_chart_values(archive), at.path)
                    assert chart_value == at.default, f"{archive} {at.path} differs from the {b.versions} default"
                    compared += 1
    texts = sum(1 for b in comp.bindings for p in b.places.values() for at in p.values if isinstance(at.default, str) and at.default)
    assert compared >= texts


def test_readme_table_is_generated_from_the_catalog():
    readme = (ROOT / "README.md").read_text()
    assert describe.markdown(COMPONENTS) in readme, "run `krmfn catalog --markdown` and paste it into README.md"


# ---------------------------------------------------------------- the loader refuses


# A small adapter of its own, so that these tests do not move when the catalog does.
ZK = {
    "apiVersion": "krmfn.dev/v1alpha2", "kind": "Adapter", "metadata": {"name": "zk"},
    "spec": {
        "summary": "s", "chart": "zookeeper",
        "intents": [{
            "id": "all-ips", "why": "w", "when": {"factAbove": {"replicas": 1}},
            "edits": [{"at": "zoo-env", "setEnv": {"name": "ZOO_LISTEN_ALLIPS_ENABLED", "value": "yes"}}],
            "checks": [{"at": "zoo-env", "envOnce": "ZOO_LISTEN_ALLIPS_ENABLED"}],
        }],
        "ranges": [{
            "versions": ">=7.0.0 <8.0.0", "evidence": ["zookeeper-7.5.4"], "why": "w",
            "places": {
                "zoo-env": {"kind": ["StatefulSet"], "path": "spec.template.spec.containers[name=zookeeper].env"},
                "zoo.cfg": {"kind": ["ConfigMap"], "has": "data[zoo.cfg]", "path": "data[zoo.cfg]", "values": ["config"]},
                "replicas": {"kind": ["StatefulSet"], "path": "spec.replicas"},
            },
            "facts": {"replicas": {"at": "replicas", "values": "replicaCount", "default": 1}},
        }],
    },
}


def _doc() -> dict:
    return copy.deepcopy(ZK)


def _refused(doc: dict, words: str) -> None:
    with pytest.raises(CatalogError) as err:
        catalog.parse(doc, "test")
    assert words in str(err.value), str(err.value)


def _two_ranges(doc: dict, second: str) -> dict:
    extra = copy.deepcopy(doc["spec"]["ranges"][0])
    extra.update(versions=second, evidence=[f"{doc['spec']['chart']}-{second.split()[0].lstrip('>=')}"])
    doc["spec"]["ranges"].append(extra)
    return doc


def test_overlapping_ranges_are_refused():
    _refused(_two_ranges(_doc(), ">=7.9.0 <9.0.0"), "overlaps")


def test_a_gap_between_ranges_is_refused():
    _refused(_two_ranges(_doc(), ">=8.1.0 <9.0.0"), "gap between")


def test_evidence_outside_its_range_is_refused():
    doc = _doc()
    doc["spec"]["ranges"][0]["evidence"] = ["zookeeper-9.0.0"]
    _refused(doc, "evidence zookeeper-9.0.0 is not a zookeeper archive inside")


def test_a_range_without_evidence_is_refused():
    doc = _doc()
    doc["spec"]["ranges"][0]["evidence"] = []
    _refused(doc, "evidence")


def test_an_unbound_place_is_refused():
    doc = _doc()
    del doc["spec"]["ranges"][0]["places"]["zoo-env"]
    _refused(doc, "uses place(s) zoo-env")


def test_a_mode_nobody_speaks_for_is_refused():
    doc = _doc()
    for intent in doc["spec"]["intents"]:
        intent["modes"] = ["ipv6", "dual-ipv6"]
    _refused(doc, "nothing says what mode dual-ipv4 needs")


def test_an_unknown_placeholder_is_refused():
    doc = _doc()
    doc["spec"]["intents"][0]["warn"] = "see {nope}"
    _refused(doc, "unknown placeholder {nope}")


def test_fullname_without_an_object_to_read_it_from_is_refused():
    doc = _doc()
    doc["spec"]["intents"][0]["edits"][0]["setEnv"]["value"] = "{fullname}-0"
    _refused(doc, "the range names no `fullname` object")
    doc["spec"]["ranges"][0]["fullname"] = {"kind": ["StatefulSet"]}
    catalog.parse(doc, "test")


def test_a_bad_regex_in_a_check_is_refused():
    doc = _doc()
    doc["spec"]["intents"][0]["checks"][0]["matches"] = "("
    _refused(doc, "checks")


def test_the_old_schema_is_refused_with_the_way_forward():
    doc = _doc()
    doc["apiVersion"] = "krmfn.dev/v1alpha1"
    _refused(doc, "no longer read: write krmfn.dev/v1alpha2")


def test_a_range_inherits_places_and_restates_only_what_differs():
    doc = _two_ranges(_doc(), ">=8.0.0 <9.0.0")
    second = doc["spec"]["ranges"][1]
    second["places"] = {"zoo.cfg": {"kind": ["ConfigMap"], "has": "data[zoo.cfg]", "path": "data[zoo.cfg]",
                                    "values": ["configuration"]}}
    second.pop("facts")
    comp = catalog.parse(doc, "test")
    first, then = comp.bindings
    assert then.places["zoo.cfg"].values[0].path == "configuration"
    assert then.places["zoo-env"] == first.places["zoo-env"] and then.facts == first.facts
    assert isinstance(then, layout.Binding) and comp.binding("8.4.0") is then
