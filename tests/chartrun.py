"""Running krmfn in function mode over a chart render, and a readable account of what it changed."""
from __future__ import annotations

import base64
import copy
import io

from krmfn.function import run
from krmfn.sdk import diff, objects, yaml12
from tests import charts


def run_function(items: list[dict], function_config: dict) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run(yaml12.dump(charts.resource_list(items, function_config)).encode(), out, err)
    return rc, yaml12.load(out.getvalue()), err.getvalue()


def readable(changed: list[tuple[dict, list[dict]]]) -> dict:
    """Per-object JSON patches, a Secret's data values decoded: a snapshot is read by people, not base64."""
    out = {}
    for obj, patch in changed:
        if objects.kind(obj) == "Secret":
            patch = [{**op, "value": base64.b64decode(op["value"]).decode(), "decoded": True}
                     if op.get("path", "").startswith("/data/") and isinstance(op.get("value"), str) else op
                     for op in patch]
        out[objects.display_name(obj)] = patch
    return out


def account(before: list[dict], output: dict) -> str:
    """The results and the per-object changes, small enough to review in a snapshot."""
    changed, created = diff.changes(before, output["items"])
    doc = {
        "results": [f"{r['severity']}: {r['message']}" for r in output.get("results", [])],
        "changed": readable(changed),
        "created": created,
    }
    return yaml12.dump(doc)


def values_path(archive: str, mode: str, user: dict | None = None, options: dict | None = None,
                release: str = charts.RELEASE, namespace: str = charts.NAMESPACE):
    """`krmfn values` then `helm template -f`: (overlay, rendered objects, messages of failed checks)."""
    from krmfn import plan as plan_mod
    from krmfn.adapters import catalog, values

    plan = plan_mod.from_dict(charts.plan(mode))
    chart, version = archive.rsplit("-", 1)
    comp = catalog.builtin(chart)
    assert comp is not None, f"no adapter for {chart}"
    user = user or {}
    composed = values.compose(comp, version, plan, release, namespace, options, user)
    rendered = charts.render(archive, charts.merge(user, composed.overlay), release=release, namespace=namespace)
    return composed.overlay, rendered, [f.message for f in composed.check(rendered)]


def strip_families(objs: list[dict]) -> list[dict]:
    """The objects with every Service's family fields taken out: what a render says before the injector."""
    out = copy.deepcopy(objs)
    for o in out:
        if o["kind"] == "Service":
            o["spec"].pop("ipFamilies", None)
            o["spec"].pop("ipFamilyPolicy", None)
    return out
