"""Nothing lost: over generated ResourceLists, the same objects come out as went in, in the same
order, and only what the plan says changes: spec.ipFamilyPolicy and spec.ipFamilies of core
Services. Output is read by the independent YAML 1.2 reader and compared with the generated
values themselves, so neither krmfn's loader nor its dumper vouches for itself.
"""
from __future__ import annotations

import copy
import ipaddress
from collections import Counter

from hypothesis import given, settings

from .conftest import LOCAL_CONFIG, PROPERTY, encode, encodings, identity, resource_lists, run_fn, same

OWNED = ("ipFamilyPolicy", "ipFamilies")


def plan_view(fc: dict) -> dict:
    """What the generated plan asks for, read from the functionConfig as a user would."""
    if fc["kind"] == "ConfigMap":
        data = fc["data"]
        families = data["ipFamilies"].split(",")
        return {"families": families, "policy": data.get("ipFamilyPolicy"), "override": data["override"] == "true",
                "exclude": []}
    spec = fc["spec"]
    return {"families": spec["ipFamilies"], "policy": spec.get("ipFamilyPolicy"),
            "override": spec["services"]["override"], "exclude": spec["services"]["exclude"]}


def _excluded(svc: dict, exclude: list[dict]) -> bool:
    md = svc["metadata"]
    got = {"kind": svc["kind"], "name": md["name"], "namespace": md.get("namespace", "")}
    return any(all(got[k] == v for k, v in sel.items()) for sel in exclude)


def _family(ip) -> str | None:
    try:
        return f"IPv{ipaddress.ip_address(str(ip)).version}"
    except ValueError:
        return None


def _core_service(item) -> bool:
    return isinstance(item, dict) and item["apiVersion"] == "v1" and item["kind"] == "Service"


def _local(item: dict) -> bool:
    # kustomize's rule (docs/reliability.md): the annotation with any value but "false".
    annotations = item["metadata"].get("annotations", {})
    return LOCAL_CONFIG in annotations and annotations[LOCAL_CONFIG] not in ("false", False)


def twins(items: list) -> set[int]:
    """Indexes of core Services with the namespace and name of another: kustomize refuses both."""
    def key(svc: dict):
        return svc["metadata"].get("namespace") or "default", svc["metadata"]["name"]

    services = {n: key(i) for n, i in enumerate(items) if _core_service(i) and not _local(i)}
    counts = Counter(services.values())
    return {n for n, k in services.items() if counts[k] > 1}


def expected(item, view: dict, twin: bool):
    """The item as the plan leaves it: the oracle, written from the documented behaviour."""
    if not _core_service(item):
        return item
    if _local(item) or _excluded(item, view["exclude"]) or twin:
        return item
    out = copy.deepcopy(item)
    spec = out.setdefault("spec", {})
    if spec.get("type") == "ExternalName":
        # The API server rejects families on ExternalName Services: they are removed.
        for f in OWNED:
            spec.pop(f, None)
        return out
    ips = spec.get("clusterIPs")
    pinned = (isinstance(ips, list) and ips and _family(ips[0])) or _family(spec.get("clusterIP"))
    if pinned and pinned != view["families"][0]:
        return item  # an error result says why; the Service is not touched
    if any(f in spec for f in OWNED) and not view["override"]:
        return item  # the author's choice stands
    families = view["families"]
    spec["ipFamilyPolicy"] = view["policy"] or ("SingleStack" if len(families) == 1 else "PreferDualStack")
    spec["ipFamilies"] = families
    return out


@settings(PROPERTY, max_examples=200)
@given(doc=resource_lists, encoding=encodings)
def test_only_what_the_plan_says_changes(doc, encoding):
    run = run_fn(encode(doc, encoding))

    assert "internal error" not in run.err and run.rc in (0, 1), run.err
    out = run.doc
    assert [identity(i) for i in out["items"]] == [identity(i) for i in doc["items"]]
    view = plan_view(doc["functionConfig"])
    duplicated = twins(doc["items"])
    for n, (before, after) in enumerate(zip(doc["items"], out["items"])):
        assert same(after, expected(before, view, n in duplicated)), (before, after)
        if isinstance(before, dict):
            assert same(after["metadata"].get("annotations"), before["metadata"].get("annotations"))
    assert same(out["functionConfig"], doc["functionConfig"])
    # Exit 1 exactly when an error result says why.
    assert run.rc == (1 if run.results("error") else 0)
