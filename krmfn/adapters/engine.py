"""The adapter engine: which adapter applies where, and what it changes, on both delivery paths.

Function path: adapters edit the rendered objects of each detected chart instance.
Values path: the same adapters write a Helm values overlay for a chart version.
Both paths end in the adapter's checks, so the proof is the same whichever way a team delivers.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from krmfn.adapters import ops, semver
from krmfn.adapters.detect import Instance, instances
from krmfn.adapters.model import Adapter, Change, Check, Condition, Target
from krmfn.plan import IPv6Plan
from krmfn.sdk import objects, paths
from krmfn.sdk.results import ERROR, INFO, WARNING, Result


def fullname(adapter: Adapter, release: str, chart: str) -> str:
    # Helm's usual `fullname`: the release alone when it already contains the chart name.
    if chart in release and "{release}-{chart}" == adapter.spec.fullname:
        return release
    return adapter.spec.fullname.format(release=release, chart=chart)


def environment(plan: IPv6Plan, release: str, namespace: str, chart: str, adapter: Adapter, options: dict,
                version: str = "") -> dict:
    primary = plan.primary
    return {
        "release": release,
        "namespace": namespace,
        "chart": chart,
        # With {chart}, the helm.sh/chart label that makes created objects part of the instance.
        "version": version,
        "fullname": fullname(adapter, release, chart),
        "primary": primary,
        "families": plan.families,
        "policy": plan.policy,
        # The primary family's wildcard and loopback, for listeners and local probes.
        "wildcard": "::" if primary == "IPv6" else "0.0.0.0",
        "loopback": "::1" if primary == "IPv6" else "127.0.0.1",
        **{f"option.{k}": v for k, v in options.items()},
    }


def select(objs: list[dict], target: Target, env: dict) -> list[dict]:
    out = []
    name_rx = re.compile(ops.expand(target.name, env)) if target.name else None
    for obj in objs:
        if not re.fullmatch(target.kind, str(obj.get("kind"))):
            continue
        if name_rx and not name_rx.fullmatch(objects.name(obj)):
            continue
        if target.component is not None:
            lab = objects.labels(obj)
            if target.component not in (lab.get("app.kubernetes.io/component"), lab.get("component")):
                continue
        if target.headless is not None:
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            if (spec.get("clusterIP") == "None") != target.headless:
                continue
        out.append(obj)
    return out


@dataclass
class Facts:
    """How facts are read: from rendered objects (function path) or from chart values (values path)."""

    objects: list[dict] | None = None
    values: dict | None = None

    def get(self, adapter: Adapter, name: str, env: dict) -> int:
        fact = adapter.spec.facts[name]
        if self.objects is not None:
            found = [paths.get(o, fact.path) for o in select(self.objects, fact.target, env)]
            if fact.count:
                return sum(v is not None for v in found)
            nums = [v for v in found if isinstance(v, int) and not isinstance(v, bool)]
            return max(nums) if nums else fact.default
        value = paths.get(self.values or {}, fact.values)
        if fact.count and isinstance(value, bool):
            return int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) else fact.default


def holds(cond: Condition | None, adapter: Adapter, version: str, options: dict, facts: Facts, env: dict) -> bool:
    if cond is None:
        return True
    if cond.versions and not semver.matches(version, cond.versions):
        return False
    for name, allowed in (cond.option or {}).items():
        if options.get(name) not in allowed:
            return False
    for name, floor in (cond.factAbove or {}).items():
        if not facts.get(adapter, name, env) > floor:
            return False
    if cond.any is not None and not any(holds(c, adapter, version, options, facts, env) for c in cond.any):
        return False
    return True


def active_changes(adapter: Adapter, version: str, plan: IPv6Plan, options: dict, facts: Facts, env: dict) -> list[Change]:
    return [
        c for c in adapter.spec.changes
        if plan.mode in c.modes and holds(c.when, adapter, version, options, facts, env)
    ]


class OptionError(ValueError):
    pass


def resolve_options(adapter: Adapter, given: dict | None) -> dict:
    given = given or {}
    unknown = sorted(set(given) - set(adapter.spec.options))
    if unknown:
        allowed = ", ".join(adapter.spec.options) or "none"
        raise OptionError(f"unknown option(s) {', '.join(unknown)} for adapter {adapter.name}; allowed: {allowed}")
    out = {}
    for name, spec in adapter.spec.options.items():
        value = given.get(name, spec.default)
        if value not in spec.enum:
            raise OptionError(f"option {name}={value!r} for adapter {adapter.name}: allowed {spec.enum}")
        out[name] = value
    return out


# ---------------------------------------------------------------- values path


def values_changes(adapter: Adapter, version: str, plan: IPv6Plan, release: str = "release",
                   namespace: str = "default", options: dict | None = None,
                   user_values: dict | None = None) -> tuple[list[Change], dict]:
    """The changes that apply to a release of this chart version, and their template environment."""
    chart = next(c.name for c in adapter.spec.charts)
    opts = resolve_options(adapter, options)
    env = environment(plan, release, namespace, chart, adapter, opts, version)
    return active_changes(adapter, version, plan, opts, Facts(values=user_values), env), env


def values_overlay(adapter: Adapter, version: str, plan: IPv6Plan, release: str = "release",
                   namespace: str = "default", options: dict | None = None, user_values: dict | None = None) -> dict:
    changes, env = values_changes(adapter, version, plan, release, namespace, options, user_values)
    overlay: dict = {}
    for change in changes:
        for op in change.values:
            path = ops.expand(op.path, env)
            _seed_lists(overlay, user_values or {}, path)
            # An edit to a text (or list) the user already supplies starts from the user's.
            mine = paths.get(user_values or {}, path)
            if isinstance(mine, int) and not isinstance(mine, bool):
                mine = str(mine)  # Helm's toString: `maxAvailableSchedulers: 2` is the text "2"
            if op.set is None and not op.delete and isinstance(mine, (str, list)) and paths.get(overlay, path) is None:
                paths.set(overlay, path, copy.deepcopy(mine))
            ops.apply(overlay, op, env)
    return overlay


def _seed_lists(overlay: dict, user: dict, path: str) -> None:
    """Lists on the way to path start as the user's: Helm replaces a list, it never merges one."""
    steps = paths.parse(path)
    for i in range(1, len(steps)):
        if isinstance(steps[i], (paths.Select, paths.Index)):
            prefix = paths.format(steps[:i])
            mine = paths.get(user, prefix)
            if isinstance(mine, list) and paths.get(overlay, prefix) is None:
                paths.set(overlay, prefix, copy.deepcopy(mine))


# ---------------------------------------------------------------- function path


@dataclass
class Outcome:
    results: list[Result] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    decided: set[int] = field(default_factory=set)  # id() of Services whose families an adapter set
    applied: list[tuple[Adapter, Instance, list[Change], dict]] = field(default_factory=list)


def _first_workload(inst: Instance) -> dict:
    for kind in ("StatefulSet", "Deployment", "DaemonSet"):
        for o in inst.objects:
            if o.get("kind") == kind:
                return o
    return inst.objects[0]


def apply(objs: list[dict], plan: IPv6Plan, adapters: list[Adapter], components: list[dict] | None) -> Outcome:
    """Edit each detected instance's objects with its adapter's changes for the plan's mode."""
    out = Outcome()
    existing = {(o.get("kind"), objects.namespace(o), objects.name(o)) for o in objs}
    for inst in instances(objs):
        adapter = next((a for a in adapters if a.supports(inst.chart, inst.version)), None)
        if adapter is None:
            continue
        entry = chosen(adapter, inst, components)
        if entry is None:
            continue
        try:
            opts = resolve_options(adapter, entry.get("options"))
        except OptionError as e:
            out.results.append(Result(str(e), ERROR, path="spec.components"))
            continue
        env = environment(plan, inst.release, inst.namespace, inst.chart, adapter, opts, inst.version)
        changes = active_changes(adapter, inst.version, plan, opts, Facts(objects=inst.objects), env)
        touched, proven = 0, []
        for change in changes:
            count, complete = _apply_change(change, adapter, inst, env, out, existing)
            touched += count
            if complete:
                proven.append(change)
        # A change that found nothing to edit is already an error; its checks would only repeat it.
        out.applied.append((adapter, inst, proven, env))
        out.results.append(
            Result(
                f"{adapter.name} adapter on release {inst.release} ({inst.chart} {inst.version}, {plan.mode}): "
                f"{', '.join(c.id for c in changes) or 'nothing to change'}; {touched} field(s) changed",
                INFO, _first_workload(inst),
            )
        )
    return out


def chosen(adapter: Adapter, inst: Instance, components: list[dict] | None) -> dict | None:
    """The plan's entry for this instance: every detected adapter by default, or only those listed."""
    if components is None:
        return {}
    for entry in components:
        if entry["adapter"] == adapter.name and entry.get("release") in (None, inst.release):
            return entry
    return None


def _apply_change(change: Change, adapter: Adapter, inst: Instance, env: dict, out: Outcome,
                  existing: set) -> tuple[int, bool]:
    """Apply one change to an instance: (fields changed, whether every required target was there)."""
    touched, complete = 0, True
    for patch in change.patches:
        targets = select(inst.objects, patch.target, env)
        if not targets and patch.require:
            complete = False
            why = ops.expand(patch.missing, env) if patch.missing else "the chart may have changed shape"
            out.results.append(
                Result(
                    f"{adapter.name}/{change.id}: no {patch.target.kind} matched {patch.target.model_dump(exclude_none=True)} "
                    f"in release {inst.release}; {' '.join(why.split())}",
                    ERROR, _first_workload(inst),
                )
            )
        for obj in targets:
            for op in patch.ops:
                if ops.apply(obj, op, env):
                    touched += 1
            if change.familyFields:
                out.decided.add(id(obj))
    for template in change.create:
        obj = ops.expand(template, env)
        md = obj.setdefault("metadata", {})
        if inst.namespace:
            md.setdefault("namespace", inst.namespace)
        ident = (obj.get("kind"), objects.namespace(obj), objects.name(obj))
        if ident not in existing:
            existing.add(ident)
            out.created.append(obj)
            inst.objects.append(obj)
            touched += 1
    if change.warn:
        out.results.append(Result(f"{adapter.name}: {ops.expand(change.warn, env)}", WARNING, _first_workload(inst)))
    return touched, complete


# ---------------------------------------------------------------- checks


def check(chk: Check, objs: list[dict], env: dict) -> list[tuple[dict | None, str, str]]:
    """Failures of one check: (object, path, what is wrong)."""
    targets = select(objs, chk.target, env)
    if not targets:
        return [(None, chk.path, f"no {chk.target.kind} matched {chk.target.model_dump(exclude_none=True)}")]
    fails = []
    path = ops.expand(chk.path, env)
    for obj in targets:
        value = paths.get(obj, path)
        if chk.absent:
            if value is not None:
                fails.append((obj, path, f"should be absent, is {value!r}"))
            continue
        if value is None:
            fails.append((obj, path, "is missing"))
            continue
        if chk.equals is not None and value != ops.expand(chk.equals, env):
            fails.append((obj, path, f"is {value!r}, expected {ops.expand(chk.equals, env)!r}"))
        if chk.matches and not re.search(ops.expand(chk.matches, env), str(value)):
            fails.append((obj, path, f"does not match {chk.matches!r}"))
        if chk.notMatches and re.search(ops.expand(chk.notMatches, env), str(value)):
            fails.append((obj, path, f"matches {chk.notMatches!r}, which it must not"))
    return fails


def run_checks(adapter: Adapter, changes: list[Change], objs: list[dict], env: dict, on: str) -> list[Result]:
    results = []
    for change in changes:
        for chk in change.checks:
            if on not in chk.on:
                continue
            for obj, path, what in check(chk, objs, env):
                results.append(Result(f"{adapter.name}/{change.id} check failed: {path} {what}", ERROR, obj, path))
    return results


def verify(outcome: Outcome) -> list[Result]:
    """The function path's proof: every applied change's checks over the final objects."""
    results = []
    for adapter, inst, changes, env in outcome.applied:
        results.extend(run_checks(adapter, changes, inst.objects, env, "function"))
    return results

