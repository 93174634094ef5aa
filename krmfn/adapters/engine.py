"""The function path: each detected chart instance's objects edited by its adapter's intents.

The values path (krmfn.adapters.values) makes the same intents true through Helm values; both
end in the intents' checks (krmfn.adapters.checks), so the proof is the same whichever way a
team delivers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from krmfn.adapters import access, checks, ops
from krmfn.adapters.detect import Instance, instances
from krmfn.sdk import objects, paths
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import ERROR, INFO, WARNING, Result

if TYPE_CHECKING:
    # Types only: the pydantic models are built when a catalog file is read, not on every start.
    from krmfn.adapters.catalog import Catalog, Component
    from krmfn.adapters.layout import Binding
    from krmfn.adapters.model import Condition, Intent, Place
    from krmfn.plan import IPv6Plan


class OptionError(ValueError):
    pass


def resolve_options(comp: Component, given: dict | None) -> dict:
    spec = comp.adapter.spec
    given = given or {}
    unknown = sorted(set(given) - set(spec.options))
    if unknown:
        allowed = ", ".join(spec.options) or "none"
        raise OptionError(f"unknown option(s) {', '.join(unknown)} for adapter {comp.name}; allowed: {allowed}")
    out = {}
    for name, opt in spec.options.items():
        value = given.get(name, opt.default)
        if value not in opt.enum:
            raise OptionError(f"option {name}={value!r} for adapter {comp.name}: allowed {opt.enum}")
        out[name] = value
    return out


def environment(plan: IPv6Plan, chart: str, version: str, release: str, namespace: str, fullname: str,
                options: dict) -> dict:
    primary = plan.primary
    return {
        "release": release,
        "namespace": namespace,
        "chart": chart,
        "version": version,  # with {chart}: the helm.sh/chart label that makes created objects the instance's
        "fullname": fullname,
        "primary": primary,
        "families": plan.families,
        "policy": plan.policy,
        # The primary family's wildcard and loopback, for listeners and local probes.
        "wildcard": "::" if primary == "IPv6" else "0.0.0.0",
        "loopback": "::1" if primary == "IPv6" else "127.0.0.1",
        **{f"option.{k}": v for k, v in options.items()},
    }


def holds(cond: Condition | None, options: dict, fact) -> bool:
    """Whether the condition holds; `fact(name)` reads a fact for this path."""
    if cond is None:
        return True
    for name, allowed in (cond.option or {}).items():
        if options.get(name) not in allowed:
            return False
    for name, floor in (cond.factAbove or {}).items():
        if not fact(name) > floor:
            return False
    return cond.any is None or any(holds(c, options, fact) for c in cond.any)


def intents(comp: Component, b: Binding, plan: IPv6Plan, options: dict, fact) -> list[Intent]:
    """The intents that apply to this chart line, mode, options and facts, in catalog order."""
    return [i for i in comp.adapter.spec.intents
            if plan.mode in i.modes and b.active(i) and holds(i.when, options, fact)]


def chosen(comp: Component, release: str, components: list[dict] | None) -> dict | None:
    """The plan's entry for this release: every detected adapter by default, or only those listed."""
    if components is None:
        return {}
    return next((e for e in components if e["adapter"] == comp.name and e.get("release") in (None, release)), None)


@dataclass
class Applied:
    """One instance an adapter worked on: what the checks run over after the other steps."""

    comp: Component
    binding: Binding
    inst: Instance
    intents: list[Intent]
    env: dict
    options: dict


@dataclass
class Outcome:
    results: list[Result] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    decided: set[tuple[str, str, str]] = field(default_factory=set)  # identities of Services whose families an adapter set
    applied: list[Applied] = field(default_factory=list)


def _anchor(inst: Instance) -> dict:
    for kind in ("StatefulSet", "Deployment", "DaemonSet"):
        for o in inst.objects:
            if o.get("kind") == kind:
                return o
    return inst.objects[0]


def apply(objs: list[dict], plan: IPv6Plan, catalog: Catalog, components: list[dict] | None) -> Outcome:
    """Edit each detected instance's objects with its adapter's intents for the plan's mode."""
    out = Outcome()
    existing = {objects.identity(o) for o in objs}
    for inst in instances(objs, catalog.subcharts):
        comp = catalog.for_chart(inst.chart)
        where = f"release {inst.release} ({inst.chart} {inst.version})"
        if comp is None:
            out.results.append(Result(f"no adapter for {where}: only Service families and the audit apply "
                                      f"(adapters: {', '.join(catalog.names())})", INFO, _anchor(inst)))
            continue
        entry = chosen(comp, inst.release, components)
        if entry is None:
            continue
        unproven = comp.unproven(inst.version)
        if unproven:
            out.results.append(Result(f"{where}: {unproven}; the audit still runs", WARNING, _anchor(inst)))
        b = comp.binding(inst.version)
        if b is None:
            continue
        try:
            opts = resolve_options(comp, entry.get("options"))
        except OptionError as e:
            out.results.append(Result(str(e), ERROR, path="spec.components"))
            continue
        _instance(comp, b, inst, plan, opts, out, existing)
    return out


def _instance(comp: Component, b: Binding, inst: Instance, plan: IPv6Plan, opts: dict, out: Outcome,
              existing: set) -> None:
    fullname, problem = _fullname(b, inst, comp.chart)
    if problem:
        out.results.append(Result(f"{comp.name}: {problem}", ERROR, _anchor(inst)))
        return
    env = environment(plan, inst.chart, inst.version, inst.release, inst.namespace, fullname, opts)
    active = intents(comp, b, plan, opts, lambda name: _fact(b, name, inst, comp.chart, env))
    proven, summary = [], []
    for intent in active:
        if not b.edits(intent):
            proven.append(intent)
            summary.append(f"{intent.id} (no edit for this chart line)")
            continue
        changed, complete, found = _apply_intent(comp, b, intent, inst, env, out, existing)
        # An intent that found nothing to edit is already an error; its checks would only repeat it.
        if complete:
            proven.append(intent)
        if not any("function" in e.on for e in intent.edits):
            summary.append(f"{intent.id} (checks only)")
        else:
            said = f"{changed} field(s) changed" if changed else "already holds" if found else "nothing rendered to edit"
            summary.append(f"{intent.id} ({said})")
        if intent.warn:
            out.results.append(Result(f"{comp.name}: {' '.join(ops.expand(intent.warn, env).split())}", WARNING, _anchor(inst)))
    out.applied.append(Applied(comp, b, inst, proven, env, opts))
    out.results.append(Result(
        f"{comp.name} adapter on release {inst.release} ({inst.chart} {inst.version}, range {b.versions}, "
        f"{plan.mode}): {', '.join(summary) or 'nothing applies'}",
        INFO, _anchor(inst),
    ))


def _fullname(b: Binding, inst: Instance, chart: str) -> tuple[str, str | None]:
    """The chart's fullname, read off the object the range names (never re-derived from the release)."""
    if b.fullname is None:
        return "", None
    found = access.select(inst.objects, b.fullname, chart)
    if not found:
        return "", f"no {access.describe(b.fullname)} in release {inst.release}: cannot tell the chart's fullname"
    name = objects.name(found[0])
    if b.fullname.suffix and not name.endswith(b.fullname.suffix):
        return "", f"{objects.display_name(found[0])} does not end in {b.fullname.suffix!r}: cannot tell the chart's fullname"
    return name[: len(name) - len(b.fullname.suffix)] if b.fullname.suffix else name, None


def _fact(b: Binding, name: str, inst: Instance, chart: str, env: dict | None = None) -> int:
    fact = b.facts[name]
    place = b.places[fact.at]
    path = ops.expand(place.path, env) if env else place.path
    objs = access.select(inst.objects, place, chart)
    if fact.count:
        return sum(access.exists(o, path) for o in objs)
    # Facts are numbers in object fields (spec.replicas): never a Secret's data, so nothing to decode.
    nums = [v for v in (paths.get(o, path) for o in objs) if isinstance(v, int) and not isinstance(v, bool)]
    return max(nums) if nums else fact.default


def targets(place: Place, inst: Instance, chart: str, env: dict, out: Outcome, existing: set) -> list[dict]:
    """The place's objects, the one it creates when there is none and it says how."""
    found = access.select(inst.objects, place, chart)
    if found or place.create is None:
        return found
    obj = ops.expand(place.create, env)
    md = obj.setdefault("metadata", {})
    if inst.namespace:
        md.setdefault("namespace", inst.namespace)
    ident = objects.identity(obj)
    if ident in existing:
        return []
    existing.add(ident)
    out.created.append(obj)
    inst.objects.append(obj)
    return [obj]


def _apply_intent(comp: Component, b: Binding, intent: Intent, inst: Instance, env: dict, out: Outcome,
                  existing: set) -> tuple[int, bool, bool]:
    """Apply one intent's edits to an instance: (fields changed, whether every required place was there,
    whether any object was there to edit)."""
    changed, complete, found = 0, True, False
    for edit in intent.edits:
        if "function" not in edit.on:
            continue
        place = b.places[edit.at]
        if not place.kind:
            continue  # a values-only place
        objs = targets(place, inst, comp.chart, env, out, existing)
        found = found or bool(objs)
        if not objs and not place.optional:
            complete = False
            out.results.append(_missing(comp, intent, place, inst))
        for obj in objs:
            changed += _edit(obj, access.join(ops.expand(place.path, env), edit.path), edit, env, comp, intent, out)
            if intent.familyFields:
                out.decided.add(objects.identity(obj))
    if changed and intent.restart:
        place = b.places[intent.restart.at]
        for obj in access.select(inst.objects, place, comp.chart):
            path = access.join(ops.expand(place.path, env), f"[{intent.restart.annotation}]")
            if access.get(obj, path) != intent.restart.value:
                access.put(obj, path, intent.restart.value)
                changed += 1
    return changed, complete, found


def _edit(obj: dict, path: str, edit, env: dict, comp: Component, intent: Intent, out: Outcome) -> int:
    try:
        before = access.get(obj, path)
        after = ops.apply(before, edit, env)
        if after == before:
            return 0
        access.put(obj, path, after)
        return 1
    except (ValueError, InputError) as e:  # an undecodable Secret value, a text that is not YAML, a scalar where a map belongs
        out.results.append(Result(f"{comp.name}/{intent.id}: left {path} alone: {e}", ERROR, obj, path))
        return 0


def _missing(comp: Component, intent: Intent, place: Place, inst: Instance) -> Result:
    why = f"; expected because {' '.join(place.expected.split())}" if place.expected else ""
    return Result(
        f"{comp.name}/{intent.id}: no {access.describe(place)} in release {inst.release} "
        f"({inst.chart} {inst.version}){why}",
        ERROR, _anchor(inst),
    )


def verify(outcome: Outcome) -> list[Result]:
    """The function path's proof: every applied intent's checks over the final objects."""
    results = []
    for a in outcome.applied:
        results.extend(checks.run(a.comp, a.binding, a.intents, a.inst.objects, a.env, "function"))
    return results
