"""Values where they live: fill adapters' values overlays into the GitOps objects that carry a chart's values.

Flux HelmRelease, Argo CD Application and kustomize Kustomization (helmCharts) each name a
chart, a version, a release and a namespace, and hold Helm values. krmfn writes the adapter's
overlay for that chart version into those values, so the delivery tool renders the chart
right itself. Values the user wrote always win: a different value at the same path is kept
and reported, never overwritten.
"""
from __future__ import annotations

from krmfn.adapters import engine, values as values_path
from krmfn.adapters.catalog import Catalog
from krmfn.plan import IPv6Plan
from krmfn.sdk import objects, paths
from krmfn.sdk.results import ERROR, INFO, WARNING, Result
from krmfn.values_sinks import argocd, flux, kustomize, postrender
from krmfn.values_sinks.merge import fill as fill_values, leaves, obstacle, overlaps, set_path
from krmfn.values_sinks.sink import Sink

_READERS = {
    (flux.GROUP, "HelmRelease"): flux.sinks,
    (argocd.GROUP, "Application"): argocd.sinks,
    (kustomize.GROUP, "Kustomization"): kustomize.sinks,
}


def apply(items: list, plan: IPv6Plan, catalog: Catalog) -> list[Result]:
    """Fill every values sink among ``items``; objects of other kinds are not looked at.

    ``items`` is the whole ResourceList, local-config objects included: in a kpt package the
    kustomization.yaml that holds helmCharts is local config by convention.
    """
    components = plan.component_entries()
    results: list[Result] = []
    for obj in items:
        reader = _READERS.get((objects.group(obj), objects.kind(obj))) if isinstance(obj, dict) else None
        name = objects.metadata(obj).get("name") if reader else None
        if not (isinstance(name, str) and name):
            continue  # other kinds; malformed items the function reports and passes through
        for found in reader(obj, items):
            if isinstance(found, Result):
                results.append(found)
            else:
                results.extend(fill(found, plan, catalog, components))
    return results


def fill(sink: Sink, plan: IPv6Plan, catalog: Catalog, components: list[dict] | None) -> list[Result]:
    comp = catalog.for_chart(sink.chart)
    if comp is None:
        why = f"no adapter for chart {sink.chart} (adapters: {', '.join(catalog.names())})"
        return [Result(f"{why}: {sink.at} left untouched", INFO, sink.obj, sink.at)]
    chosen = engine.chosen(comp, sink.release, components)
    if chosen is None:
        return []  # the plan lists components and this release is not one of them
    blocked = obstacle(sink.obj, paths.parse(sink.at))
    if blocked is not None:
        # `spec.source.helm: x` leaves nowhere to put valuesObject without replacing what the user wrote.
        where = paths.format(blocked[0])
        return [Result(f"{where} is a {type(blocked[1]).__name__}, not a map: {sink.at} left untouched",
                       WARNING, sink.obj, where)]
    current = paths.get(sink.obj, sink.at)
    if current is not None and not isinstance(current, dict):
        why = f"{sink.at} is a {type(current).__name__}, not a map of values: left untouched"
        return [Result(why, WARNING, sink.obj, sink.at)]
    try:
        composed = values_path.compose(comp, sink.version, plan, sink.release, sink.namespace,
                                       chosen.get("options"), current or {})
    except values_path.NotCovered as e:
        return [Result(f"{e}: {sink.at} left untouched", WARNING, sink.obj, sink.at)]
    except engine.OptionError as e:
        return [Result(str(e), ERROR, path="spec.components")]
    results = []
    unproven = comp.unproven(sink.version)
    if unproven:
        results.append(Result(unproven, WARNING, sink.obj, sink.at))
    overlay = composed.overlay
    values = current if current is not None else {}
    outcome = fill_values(values, overlay, composed.written)
    if current is None and values:
        paths.set(sink.obj, sink.at, values)

    results.append(_summary(sink, comp.name, plan, outcome))
    if sink.post_renderers:
        results.extend(postrender.write(sink, composed, values, plan))
    # What an adapter cannot fix by values, it says; the function and values paths say it too.
    results.extend(Result(w, WARNING, sink.obj, sink.at) for w in composed.warnings())
    base = paths.parse(sink.at)
    for path, mine, ours in outcome.conflicts:
        results.append(Result(
            f"your value {_show(mine)} differs from the {comp.name} adapter's {_show(ours)}: yours is kept",
            WARNING, sink.obj, paths.format(base + paths.parse(path)), current=mine, proposed=ours,
        ))
    written = outcome.added + outcome.edited
    if written:
        for where in sink.shadowed:
            results.append(Result(
                f"values in {where} are not read, and krmfn's values in {sink.at} take precedence over them: "
                f"check they do not set {', '.join(written)}",
                WARNING, sink.obj, sink.at,
            ))
    ours = leaves(overlay)
    for where, name in sink.overriding:
        if name is None:
            results.append(Result(
                f"values in {where} are not read and take precedence over {sink.at}: "
                f"check they do not undo {', '.join(paths.format(leaf) for leaf in ours)}",
                WARNING, sink.obj, where,
            ))
            continue
        hit = [paths.format(leaf) for leaf in ours if overlaps(leaf, set_path(name))]
        if hit:
            results.append(Result(
                f"parameter {name} takes precedence over krmfn's {', '.join(hit)} in {sink.at}",
                WARNING, sink.obj, where,
            ))
    return results


def _summary(sink: Sink, name: str, plan: IPv6Plan, outcome) -> Result:
    what = []
    if outcome.added:
        what.append(f"set {', '.join(outcome.added)}")
    if outcome.edited:
        what.append(f"edited your {', '.join(outcome.edited)}")
    if outcome.conflicts:
        what.append(f"kept {len(outcome.conflicts)} value(s) of yours")
    return Result(
        f"{name} adapter on release {sink.release} ({sink.chart} {sink.version}, {plan.mode}) "
        f"in {sink.at}: {'; '.join(what) or 'values already follow the plan'}",
        INFO, sink.obj, sink.at,
    )


def _show(value) -> str:
    # Config texts run to pages; a result line names the value, current/proposed carry it whole.
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
