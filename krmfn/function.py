"""Function mode: one ResourceList in, the same objects out with the plan applied, and results."""
from __future__ import annotations

import sys
import traceback

from krmfn import plan as plan_mod
from krmfn import services
from krmfn.sdk import resourcelist
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import ERROR, Result, has_errors


def transform(rl: resourcelist.ResourceList) -> None:
    """Apply the plan in the functionConfig to the ResourceList's objects, adding results."""
    try:
        plan = plan_mod.from_function_config(rl.function_config)
    except plan_mod.PlanError as e:
        fc = rl.function_config if isinstance(rl.function_config, dict) else None
        rl.results.extend(Result(f"invalid plan: {m}", ERROR, fc, p or None) for p, m in e.problems)
        return
    objs = rl.objects()
    for index, item in enumerate(rl.items):
        if not isinstance(item, dict):
            rl.results.append(Result(f"items[{index}] is {type(item).__name__}, not an object: passed through untouched"))
        elif not item.get("kind") or not isinstance(item.get("metadata"), dict) or not item["metadata"].get("name"):
            missing = [f for f in ("kind", "metadata.name") if not _get(item, f)]
            rl.results.append(Result(f"items[{index}] lacks {', '.join(missing)}: passed through untouched", ERROR))
    rl.results.extend(services.inject([o for o in objs if o.get("kind") and _get(o, "metadata.name")], plan))


def _get(obj: dict, dotted: str):
    for part in dotted.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def run(data: bytes, out=None, err=None) -> int:
    """The whole function: never raises, always writes what it can, returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        rl = resourcelist.parse(data)
    except InputError as e:
        rl = e.parsed
        result = Result(f"cannot read input: {e}")
        if rl is None:
            # Nothing to hand back but the verdict; kpt still shows a structured result.
            rl = resourcelist.ResourceList(
                doc={"apiVersion": resourcelist.API_VERSIONS[0], "kind": "ResourceList", "items": []}
            )
        rl.results.append(result)
        return _finish(rl, out, err)
    try:
        transform(rl)
    except Exception as e:  # noqa: BLE001 - a crash must still produce a ResourceList and a result
        where = traceback.extract_tb(e.__traceback__)[-1]
        rl.results.append(
            Result(f"internal error {type(e).__name__}: {e} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}); "
                   "please report it")
        )
    return _finish(rl, out, err)


def _finish(rl: resourcelist.ResourceList, out, err) -> int:
    try:
        text = rl.serialize()
    except Exception as e:  # noqa: BLE001
        err.write(f"krmfn: error: cannot write output: {type(e).__name__}: {e}\n")
        return 1
    out.write(text)
    for r in rl.results:
        if r.severity in ("error", "warning"):
            err.write(r.line() + "\n")
    return 1 if has_errors(rl.results) else 0
