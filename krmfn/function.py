"""Function mode: one ResourceList in, the same objects out with the plan applied, and results."""
from __future__ import annotations

import gc
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from krmfn import plan as plan_mod
from krmfn import services
from krmfn.sdk import objects, resourcelist
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import ERROR, Result, has_errors

if TYPE_CHECKING:
    from krmfn.adapters.catalog import Catalog
    from krmfn.adapters.engine import Outcome


def _well_formed(rl: resourcelist.ResourceList) -> list[dict]:
    """The objects the transforms may touch; anything else is reported and passed through."""
    out = []
    for index, item in enumerate(rl.items):
        if not isinstance(item, dict):
            rl.results.append(Result(f"items[{index}] is {type(item).__name__}, not an object: passed through untouched"))
            continue
        md = item.get("metadata")
        name = md.get("name") if isinstance(md, dict) else None
        # A kind or name that is not a string (a list, a map) would break every lookup by identity.
        missing = [f for f, v in (("kind", item.get("kind")), ("metadata.name", name)) if not (v and isinstance(v, str))]
        rl.results.extend(
            Result(f"items[{index}] lacks {f} (a non-empty string): passed through untouched", ERROR, item, f)
            for f in missing
        )
        if missing or objects.is_local_config(item):
            continue
        # Every transform edits inside spec, data or a pod template: a field there of the wrong type is an error.
        misshapen = objects.misshapen(item)
        rl.results.extend(
            Result(f"{f} must be a {want}, got {got}: items[{index}] passed through untouched", ERROR, item, f)
            for f, want, got in misshapen
        )
        if not misshapen:
            out.append(index)
    # kustomize refuses to build two objects with one id; transforming either would hide that.
    dups = objects.duplicates({i: rl.items[i] for i in out})
    rl.results.extend(
        Result(f"items[{j}] and items[{i}] are the same object, {objects.display_name(rl.items[i])} "
               f"({rl.items[i].get('apiVersion')}): kustomize refuses duplicates; both passed through untouched",
               ERROR, rl.items[i], "metadata.name")
        for i, j in dups.items()
    )
    twins = set(dups) | set(dups.values())
    return [rl.items[i] for i in out if i not in twins]


def transform(rl: resourcelist.ResourceList) -> None:
    """Apply the plan in the functionConfig to the ResourceList's objects, adding results."""
    fc = rl.function_config if isinstance(rl.function_config, dict) else None
    try:
        plan = plan_mod.from_function_config(rl.function_config)
    except plan_mod.PlanError as e:
        rl.results.extend(Result(f"invalid plan: {m}", ERROR, fc, p or None) for p, m in e.problems)
        return
    if plan_mod.is_check(fc):
        validate(rl, plan)
    else:
        apply_plan(rl, plan)


def validate(rl: resourcelist.ResourceList, plan: plan_mod.IPv6Plan) -> None:
    """The validator: the audit over the objects as they are, every rule on; no item is touched.

    `kpt fn render` throws a validator's items away, but `kpt fn eval` and kustomize keep what a
    function returns, so the items go back as they came. With no injector before it, the Service
    rules the mutator leaves to the injector (_INJECTOR_REPORTS) run here too.
    """
    objs = _well_formed(rl)
    if objs:
        from krmfn import audit

        rl.results.extend(audit.run(objs, plan))


# In function mode the injector already reports every Service it changed or kept; these audit
# rules would say the same again. `krmfn check` runs them.
_INJECTOR_REPORTS = frozenset({"service-family", "require-dual-stack", "externalname-families"})


@dataclass
class Context:
    """What the steps of one run share: each reads it and adds to it, like kio filters in a pipeline."""

    rl: resourcelist.ResourceList
    plan: plan_mod.IPv6Plan
    objs: list[dict]  # the well-formed, non-local objects the steps may edit, then the ones adapters add
    catalog: "Catalog"
    components: list[dict] | None
    outcome: "Outcome | None" = None

    def report(self, results) -> None:
        self.rl.results.extend(results)


def _adapters(ctx: Context) -> None:
    from krmfn.adapters import engine

    ctx.outcome = engine.apply(ctx.objs, ctx.plan, ctx.catalog, ctx.components)
    ctx.rl.items.extend(ctx.outcome.created)
    ctx.objs.extend(ctx.outcome.created)
    ctx.report(ctx.outcome.results)


def _values_sinks(ctx: Context) -> None:
    # The kinds krmfn.values_sinks reads; local-config items too (a kpt kustomization.yaml is one).
    if any(isinstance(o, dict) and o.get("kind") in ("HelmRelease", "Application", "Kustomization") for o in ctx.rl.items):
        from krmfn import values_sinks

        ctx.report(values_sinks.apply(ctx.rl.items, ctx.plan, ctx.catalog))


def _coredns(ctx: Context) -> None:
    if ctx.plan.spec.verify.coreDNS:
        from krmfn import coredns

        ctx.report(coredns.patch(ctx.objs, ctx.plan))


def _netpol(ctx: Context) -> None:
    if ctx.plan.spec.networkPolicies == "twin":
        from krmfn import netpol

        ctx.report(netpol.twin(ctx.objs))


def _services(ctx: Context) -> None:
    ctx.report(services.inject(ctx.objs, ctx.plan, ctx.outcome.decided))


def _checks(ctx: Context) -> None:
    from krmfn.adapters import engine

    ctx.report(engine.verify(ctx.outcome))


def _audit(ctx: Context) -> None:
    if not ctx.objs:
        return  # nothing to judge; its rule modules need not even load
    from krmfn import audit

    ctx.report(audit.run(ctx.objs, ctx.plan, skip=_INJECTOR_REPORTS))


# The order is the contract. Adapters first: they decide some Services' families (redis-cluster's
# headless one), which the injector must then leave alone, and they add objects the later steps
# must see. The injector after every other edit, so it sees each Service as it will ship. The
# checks after the injector: some read what it set (a headless Service must answer AAAA for
# rabbitmq's IPv6 distribution). The audit last: it judges the objects exactly as they leave.
STEPS = (_adapters, _values_sinks, _coredns, _netpol, _services, _checks, _audit)


def apply_plan(rl: resourcelist.ResourceList, plan: plan_mod.IPv6Plan) -> Context | None:
    """Run every step over one context: see STEPS for the order and why."""
    fc = rl.function_config if isinstance(rl.function_config, dict) else None
    from krmfn.adapters.catalog import Catalog, CatalogError

    try:
        catalog = Catalog(plan.spec.adapters)
    except CatalogError as e:
        rl.results.extend(Result(f"invalid adapter: {m}", ERROR, fc, f"{e.where}.{p}" if p else e.where) for p, m in e.problems)
        return None
    # A component must name an adapter krmfn has; nothing else is looked up by that name.
    known = catalog.names()
    unknown = [(i, c.adapter) for i, c in enumerate(plan.spec.components or []) if c.adapter not in known]
    if unknown:
        rl.results.extend(
            Result(f"invalid plan: no adapter named {name!r}; known: {', '.join(known)}", ERROR, fc,
                   f"spec.components[{i}].adapter")
            for i, name in unknown
        )
        return None
    ctx = Context(rl, plan, _well_formed(rl), catalog, plan.component_entries())
    for step in STEPS:
        step(ctx)
    return ctx


def run_stdin() -> int:
    """The function on this process's stdin and stdout."""
    from krmfn.sdk.yaml12 import MAX_INPUT_BYTES

    # One byte past the limit is enough for the size check to refuse an endless stream.
    return run(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1))


@contextmanager
def _no_full_gc():
    """No full (oldest-generation) GC pass while the function runs; thresholds restored after.

    A ResourceList is read into millions of dicts, lists and strings that all live until the
    output is written. CPython runs a full pass each time that heap grows by a quarter, and each
    pass walks all of it: on `make bench`'s 10,000 objects, 18 passes took 10 s of a 21 s run
    (when PyYAML's Node graphs were still built) and freed nothing. Young passes go on as before,
    so short-lived cycles are still collected and peak memory does not move.
    """
    before = gc.get_threshold()
    gc.set_threshold(before[0], before[1], 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run(data: bytes, out=None, err=None) -> int:
    """The whole function: never raises, always writes what it can, returns the exit code."""
    with _no_full_gc():
        return _run(data, out, err)


def _run(data: bytes, out=None, err=None) -> int:
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
