"""Running krmfn in function mode over a chart render, and a readable account of what it changed."""
from __future__ import annotations

import io

from krmfn.function import run
from krmfn.sdk import diff, objects, yaml12
from tests import charts


def run_function(items: list[dict], function_config: dict) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run(yaml12.dump(charts.resource_list(items, function_config)).encode(), out, err)
    return rc, yaml12.load(out.getvalue()), err.getvalue()


def account(before: list[dict], output: dict) -> str:
    """The results and the per-object changes, small enough to review in a snapshot."""
    changed, created = diff.changes(before, output["items"])
    doc = {
        "results": [f"{r['severity']}: {r['message']}" for r in output.get("results", [])],
        "changed": {objects.display_name(o): patch for o, patch in changed},
        "created": created,
    }
    return yaml12.dump(doc)
