"""Flux HelmRelease post-renderers: what a chart has no value for, as kustomize patches.

helm-controller runs no KRM function, so for a HelmRelease the values overlay is all function
mode's adapters can deliver, and Service families and the intents that exist only on rendered
objects (redis-cluster's single-family headless Service) would never happen. Flux's own answer is
`spec.postRenderers[].kustomize.patches`: helm-controller applies them to the release's manifests
only, after Helm renders them. krmfn writes one such post-renderer per release:

1. every Service of the release gets the plan's families (what the Service injector does to a
   render), unless a values key could make one an ExternalName Service;
2. Services whose families the user's values set stay as the injector keeps them: a patch puts
   their values back, on the object the catalog names;
3. each intent edit on the `postRender` path, on the object its place names: a `set`, or an
   edit of text the place says the chart renders (etcd's listen URLs keep the chart's scheme and
   port); where the release's values change that text, the edit is left out and the HelmRelease
   says so, naming the key.

Patches apply in that order. krmfn's post-renderer goes first in the list, so the user's own
post-renderers run after it and their explicit values win (krmfn warns where they set families),
and theirs are never dropped or reordered. Every patch krmfn writes starts with MARK: that is how
a second run finds and replaces its own entry, and only that.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Iterator

from krmfn.adapters import access, ops
from krmfn.hydrate import quote_re2
from krmfn.sdk import paths, yaml12
from krmfn.sdk.results import INFO, WARNING, Result

if TYPE_CHECKING:
    from krmfn.adapters.values import Composed
    from krmfn.plan import IPv6Plan
    from krmfn.values_sinks.sink import Sink

MARK = "# krmfn.dev/post-renderer"
AT = "spec.postRenderers"
FAMILY_FIELDS = ("ipFamilyPolicy", "ipFamilies")
# The kinds a catalog place names a post-renderer patch on; a strategic-merge patch says its type.
API_VERSIONS = {"Service": "v1", "ConfigMap": "v1", "Secret": "v1", "StatefulSet": "apps/v1",
                "Deployment": "apps/v1", "DaemonSet": "apps/v1"}


def write(sink: Sink, composed: Composed, values: dict, plan: IPv6Plan) -> list[Result]:
    """Put krmfn's post-renderer for this release into the HelmRelease; the results say what and why."""
    results: list[Result] = []
    made = [*_families(sink, values, plan, results), *_kept_families(composed, values, plan, results, sink),
            *_intent_patches(composed, values, results, sink)]
    results += _merge(sink.obj, [patch for _, patch in made])
    if made:
        what = ", ".join(dict.fromkeys(w for w, _ in made))
        results.append(Result(f"{len(made)} kustomize patch(es) for release {sink.release} ({what})",
                              INFO, sink.obj, AT))
    return results


def _patch(what: str, kind: str, body: dict, name: str | None = None) -> tuple[str, dict]:
    """(what the patch is for, the patch): the first line of its text says the former too, for people."""
    group, _, version = API_VERSIONS[kind].rpartition("/")
    doc = {"apiVersion": API_VERSIONS[kind], "kind": kind,
           # With a target, kustomize patches every object it selects, whatever name the patch says.
           "metadata": {"name": name or "any"}, **body}
    target = {"group": group, "version": version, "kind": kind} if group else {"version": version, "kind": kind}
    if name:
        target["name"] = quote_re2(name)  # kustomize reads it as an anchored regex
    return what, {"patch": f"{MARK}: {what}\n{yaml12.dump(doc)}", "target": target}


def _families(sink: Sink, values: dict, plan: IPv6Plan, results: list[Result]) -> Iterator[tuple[str, dict]]:
    external = [p for p, v in _leaves(values) if v == "ExternalName"]
    if external:
        # No chart template in ../shared says ExternalName (a test holds every archive to that): only a
        # `type` value can make one, and the API server refuses families on it.
        results.append(Result(
            f"{', '.join(external)} may make an ExternalName Service, which must carry no IP families, and a "
            "post-renderer patch cannot tell it from the others: no Service families patch for release "
            f"{sink.release}; set the families on its other Services yourself", WARNING, sink.obj,
            f"{sink.at}.{external[0]}"))
        return
    exclude = [s for s in plan.spec.services.exclude
               if s.kind in (None, "Service") and s.namespace in (None, sink.namespace)]
    if exclude:
        results.append(Result(
            f"the plan's services.exclude may name Services of release {sink.release}, and a post-renderer patch "
            "cannot leave out objects it does not know: no Service families patch for this release", WARNING,
            sink.obj, AT))
        return
    yield _patch("Service families", "Service", {"spec": {"ipFamilyPolicy": plan.policy, "ipFamilies": list(plan.families)}})


def _kept_families(composed: Composed, values: dict, plan: IPv6Plan, results: list[Result],
                   sink: Sink) -> list[tuple[str, dict]]:
    """The injector keeps families a Service already has (unless services.override): so do the patches."""
    if plan.spec.services.override:
        return []
    b, out = composed.binding, []
    for intent in composed.intents:
        if not (intent.familyFields and b.edits(intent)):
            continue
        for name in dict.fromkeys(e.at for e in intent.edits if "values" in e.on):
            place = b.places[name]
            for at in place.values:
                mine = {f: paths.get(values, access.join(at.path, f)) for f in FAMILY_FIELDS}
                mine = {f: v for f, v in mine.items() if v is not None}
                if not mine or mine == {"ipFamilyPolicy": plan.policy, "ipFamilies": plan.families}:
                    continue
                if not place.named:
                    results.append(Result(
                        f"{at.path} sets Service families the post-renderer's families patch overrides (the "
                        "catalog does not name that Service): move them to the plan", WARNING, sink.obj,
                        f"{sink.at}.{at.path}"))
                    continue
                out.append(_patch(f"{intent.id}: your {at.path} families kept", place.kind[0], {"spec": mine},
                                  ops.expand(place.named, composed.env)))
    return out


def _intent_patches(composed: Composed, values: dict, results: list[Result], sink: Sink) -> list[tuple[str, dict]]:
    """One patch per intent and object: its edits' fields merged into one strategic-merge body.

    Edits of one field follow each other as on the function path: each starts from what the one
    before made of it (a flag merged into JAVA_OPTS_APPEND, then another)."""
    b, env = composed.binding, composed.env
    bodies: dict[tuple[str, str, str], dict] = {}
    fields: dict[tuple[str, str], Any] = {}
    for intent in composed.intents:
        if not b.edits(intent):
            continue
        for edit in intent.edits:
            if "postRender" not in edit.on:
                continue
            place = b.places[edit.at]
            name, path = ops.expand(place.named, env), ops.expand(access.join(place.path, edit.path), env)
            value = _value(composed, intent.id, edit, place, fields.get((name, path)), values, results, sink)
            if value is None:
                continue
            fields[(name, path)] = value
            body = _nest(paths.parse(path), value)
            key = (intent.id, place.kind[0], name)
            bodies[key] = _together(bodies[key], body) if key in bodies else body
    return [_patch(what, kind, body, name) for (what, kind, name), body in bodies.items()]


def _value(composed: Composed, intent: str, edit, place, before: Any, values: dict, results: list[Result],
           sink: Sink) -> Any:
    """What the edit makes of the field: a `set` value, or the edit applied to what the chart renders there.

    None: no patch, because the chart renders no such field, or this range's values already make the
    text right (the place has values and says nothing of the render), or the release's values change
    the rendered text (said)."""
    if edit.set is not None:
        return ops.expand(copy.deepcopy(edit.set), composed.env)
    rendered = place.rendered
    if rendered is None or (rendered.when and not paths.get(values, rendered.when)):
        return None
    changed = [k for k in rendered.unless if paths.get(values, k) is not None]
    if changed:
        results.append(Result(
            f"{composed.comp.name} {intent} is not in the post-renderer: {', '.join(changed)} change(s) what the chart "
            f"renders at {edit.at}, which a patch cannot read; the field keeps the chart's value",
            WARNING, sink.obj, f"{sink.at}.{changed[0]}"))
        return None
    start = before if before is not None else ops.expand(rendered.default, composed.env)
    return ops.apply(start, edit, composed.env)


def _together(a: Any, b: Any) -> Any:
    """Two patch bodies as one: maps key by key, list entries by the merge key _nest put first (name=...)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **{k: _together(a[k], v) if k in a else v for k, v in b.items()}}
    if isinstance(a, list) and isinstance(b, list):
        out = list(a)
        for item in b:
            key = next(iter(item.items()))
            at = next((i for i, have in enumerate(out) if next(iter(have.items())) == key), None)
            if at is None:
                out.append(item)
            else:
                out[at] = _together(out[at], item)
        return out
    return b


def _nest(steps: tuple, value: Any) -> Any:
    """The strategic-merge patch that sets one field: list entries by their merge key (name=...)."""
    for step in reversed(steps):
        if isinstance(step, paths.Key):
            value = {step.name: value}
        elif isinstance(step, paths.Select) and isinstance(value, dict):
            value = [{step.field: step.value, **value}]
        else:
            raise ValueError(f"a post-renderer patch cannot address {paths.format(steps)}: list entries by position")
    return value


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, node


def is_ours(entry: Any) -> bool:
    patches = paths.get(entry, "kustomize.patches") if isinstance(entry, dict) else None
    return (isinstance(patches, list) and bool(patches)
            and all(isinstance(p, dict) and str(p.get("patch", "")).startswith(MARK) for p in patches))


def _merge(obj: dict, patches: list[dict]) -> list[Result]:
    """krmfn's entry first, replaced in place on a re-run; the user's entries kept in their order."""
    spec = obj["spec"]
    current = spec.get("postRenderers")
    if current is not None and not isinstance(current, list):
        return [Result(f"{AT} is a {type(current).__name__}, not a list: left untouched, and the Service families "
                       "and rendered-object fixes are not delivered", WARNING, obj, AT)]
    theirs = [e for e in current or [] if not is_ours(e)]
    ours = [{"kustomize": {"patches": patches}}] if patches else []
    results = [
        Result(f"your post-renderer sets Service {', '.join(fields)}: it runs after krmfn's, so yours is kept",
               WARNING, obj, f"{AT}[{len(ours) + i}].kustomize.patches[{j}]")
        for i, e in enumerate(theirs) for j, fields in _family_patches(e)
    ]
    if ours or theirs:
        spec["postRenderers"] = ours + theirs
    else:
        spec.pop("postRenderers", None)
    return results


def _family_patches(entry: Any) -> Iterator[tuple[int, list[str]]]:
    """The user's patches that set Service families: a strategic-merge patch's spec, or JSON6902 ops on them."""
    for j, p in enumerate(paths.get(entry, "kustomize.patches") or [] if isinstance(entry, dict) else []):
        try:
            doc = yaml12.load(str(p.get("patch", ""))) if isinstance(p, dict) else None
        except Exception:  # noqa: BLE001 - an unreadable patch of theirs is theirs to fix; Flux will say so
            continue
        if isinstance(doc, dict):
            spec = doc.get("spec")
            touched = set(spec) if isinstance(spec, dict) else set()
        elif isinstance(doc, list):
            touched = set()
            for op in doc:
                where = str(op.get("path", "")) if isinstance(op, dict) else ""
                value = op.get("value") if isinstance(op, dict) else None
                touched |= {where.rpartition("/")[2]}
                if where == "/spec" and isinstance(value, dict):
                    touched |= set(value)
        else:
            continue
        fields = [f for f in FAMILY_FIELDS if f in touched]
        if fields:
            yield j, fields
