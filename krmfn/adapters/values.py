"""The values path: an adapter's intents as a Helm values overlay, for one chart version.

`compose` is the one entry point: `krmfn values`, the values sinks (HelmRelease, Application,
helmCharts), `krmfn render` and the tests all call it, so they cannot drift apart.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from krmfn.adapters import access, checks, ops
from krmfn.adapters.catalog import Component
from krmfn.adapters.engine import environment, intents, resolve_options
from krmfn.adapters.layout import Binding
from krmfn.adapters.model import Intent
from krmfn.plan import IPv6Plan
from krmfn.sdk import paths
from krmfn.sdk.results import Result


class NotCovered(ValueError):
    """No range of the adapter covers the chart version."""


@dataclass
class Written:
    path: str
    whole: bool  # an edit of a text or list the user may have: it replaces theirs; else set, merged key by key


@dataclass
class Composed:
    comp: Component
    binding: Binding
    overlay: dict
    intents: list[Intent]
    env: dict
    written: list[Written] = field(default_factory=list)

    def warnings(self) -> list[str]:
        return [f"{self.comp.name}: {' '.join(ops.expand(i.warn, self.env).split())}" for i in self.intents if i.warn]

    def check(self, rendered: list[dict]) -> list[Result]:
        """The intents' values-path checks over `helm template` with this overlay."""
        return checks.run(self.comp, self.binding, self.intents, rendered, self.env, "values")


def helm_fullname(release: str, chart: str, user: dict) -> str:
    """The name bitnami's `common.names.fullname` (Helm's starter) gives, from the user's values."""
    override = user.get("fullnameOverride")
    if override:
        return str(override)[:63].rstrip("-")
    name = str(user.get("nameOverride") or chart)
    full = release if name in release else f"{release}-{name}"
    return full[:63].rstrip("-")


def compose(comp: Component, version: str, plan: IPv6Plan, release: str = "release", namespace: str = "default",
            options: dict | None = None, user: dict | None = None) -> Composed:
    """The overlay that makes this release of the chart follow the plan (raises NotCovered, OptionError)."""
    b = comp.binding(version)
    if b is None:
        raise NotCovered(comp.unproven(version) or f"no range covers {comp.chart} {version}")
    user = user if isinstance(user, dict) else {}
    opts = resolve_options(comp, options)
    env = environment(plan, comp.chart, version, release, namespace, helm_fullname(release, comp.chart, user), opts)
    active = intents(comp, b, plan, opts, lambda name: _fact(b, name, user))
    out = Composed(comp, b, {}, active, env)
    for intent in active:
        if b.edits(intent):
            _intent(out, intent, user)
    return out


def _fact(b: Binding, name: str, user: dict) -> int:
    fact = b.facts[name]
    value = paths.get(user, fact.values)
    if fact.valueIs is not None and value is not None:
        return int(str(value) == fact.valueIs)  # a chart's mode switch: only one of its words counts
    if fact.count and isinstance(value, bool):
        return int(value)
    if fact.count and isinstance(value, str):
        return int(bool(value))  # Helm's `if`: a text counts when it is not empty (existingConfigmap: NAME)
    return value if isinstance(value, int) and not isinstance(value, bool) else fact.default


def _start(out: Composed, user: dict, path: str, default: Any) -> Any:
    """What an edit at path starts from: the overlay so far, else the user's value, else the chart's default."""
    ours = paths.get(out.overlay, path)
    if ours is not None:
        return ours
    mine = paths.get(user, path)
    if isinstance(mine, int) and not isinstance(mine, bool):
        return str(mine)  # Helm's toString: `maxAvailableSchedulers: 2` is the text "2"
    return copy.deepcopy(mine) if mine is not None else ops.expand(copy.deepcopy(default), out.env)


def _intent(out: Composed, intent: Intent, user: dict) -> None:
    b, changed = out.binding, False
    for edit in intent.edits:
        if "values" not in edit.on:
            continue
        for at in b.places[edit.at].values:
            path = access.join(at.path, edit.path)
            chart_default = at.default_for(out.env["version"])
            default = chart_default if edit.path is None else paths.get(chart_default, edit.path) if isinstance(chart_default, dict) else None
            _seed_lists(out.overlay, user, path)
            before = _start(out, user, path, default)
            after = ops.apply(before, edit, out.env)
            if edit.set is not None:
                paths.set(out.overlay, path, after)
                out.written.append(Written(path, whole=False))
            elif after != before:
                paths.set(out.overlay, path, after)
                out.written.append(Written(path, whole=True))
                changed = True
    if changed and intent.restart:
        # Charts without a config checksum on the pod template need this to roll running pods.
        for at in b.places[intent.restart.at].values:
            path = access.join(at.path, f"[{intent.restart.annotation}]")
            paths.set(out.overlay, path, intent.restart.value)
            out.written.append(Written(path, whole=False))


def _seed_lists(overlay: dict, user: dict, path: str) -> None:
    """Lists on the way to path start as the user's: Helm replaces a list, it never merges one."""
    steps = paths.parse(path)
    for i in range(1, len(steps)):
        if isinstance(steps[i], (paths.Select, paths.Index)):
            prefix = paths.format(steps[:i])
            mine = paths.get(user, prefix)
            if isinstance(mine, list) and paths.get(overlay, prefix) is None:
                paths.set(overlay, prefix, copy.deepcopy(mine))
