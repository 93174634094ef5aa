"""Function mode: one ResourceList in, the same objects out with the plan applied, and results."""
from __future__ import annotations

import sys
import traceback

from krmfn import plan as plan_mod
from krmfn import services
from krmfn.sdk import resourcelist
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import ERROR, Result, has_errors


def _well_formed(rl: resourcelist.ResourceList) -> list[dict]:
    """The objects the transforms may touch; anything else is reported and passed through."""
    out = []
    local = set(map(id, rl.items)) - set(map(id, rl.objects()))
    for index, item in enumerate(rl.items):
        if not isinstance(item, dict):
            rl.results.append(Result(f"items[{index}] is {type(item).__name__}, not an object: passed through untouched"))
            continue
        md = item.get("metadata")
        missing = [f for f, ok in (("kind", item.get("kind")), ("metadata.name", isinstance(md, dict) and md.get("name"))) if not ok]
        if missing:
            rl.results.append(Result(f"items[{index}] lacks {', '.join(missing)}: passed through untouched"))
        elif id(item) not in local:
            out.append(item)
    return out


def transform(rl: resourcelist.ResourceList) -> None:
    """Apply the plan in the functionConfig to the ResourceList's objects, adding results."""
    fc = rl.function_config if isinstance(rl.function_config, dict) else None
    try:
        plan = plan_mod.from_function_config(rl.function_config)
    except plan_mod.PlanError as e:
        rl.results.extend(Result(f"invalid plan: {m}", ERROR, fc, p or None) for p, m in e.problems)
        return
    objs = _well_formed(rl)

    from krmfn.adapters import catalog, engine

    try:
        adapters = catalog.with_inline(plan.spec.adapters)
    except catalog.CatalogError as e:
        rl.results.extend(Result(f"invalid adapter: {m}", ERROR, fc, f"{e.where}.{p}" if p else e.where) for p, m in e.problems)
        return
    components = [c.model_dump() for c in plan.spec.components] if plan.spec.components is not None else None
    outcome = engine.apply(objs, plan, adapters, components)
    rl.items.extend(outcome.created)
    rl.results.extend(outcome.results)
    rl.results.extend(services.inject(objs + outcome.created, plan, outcome.decided))
    rl.results.extend(engine.verify(outcome))


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
