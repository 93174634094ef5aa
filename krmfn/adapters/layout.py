"""How an adapter's ranges fit together: what a range inherits, and what the loader refuses.

A range restates only what differs from the range before: places and facts merge by name,
everything else it gives replaces the previous range's. The loader refuses ranges that overlap
or leave a gap, evidence outside its range, an intent with a place a range does not bind, a
mode no intent covers, and placeholders or options that do not exist.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from krmfn.adapters import semver

if TYPE_CHECKING:
    from krmfn.adapters.model import Adapter, Anchor, Fact, Intent, Place, Range


@dataclass
class Binding:
    """One range with everything it inherits resolved: what the engine works from."""

    range: "Range"
    low: semver.Version
    high: semver.Version | None
    places: dict[str, "Place"] = field(default_factory=dict)
    facts: dict[str, "Fact"] = field(default_factory=dict)
    fullname: "Anchor | None" = None
    subcharts: list[str] = field(default_factory=list)
    noop: dict[str, str] = field(default_factory=dict)
    skip: dict[str, str] = field(default_factory=dict)

    @property
    def versions(self) -> str:
        return self.range.versions

    def covers(self, version: str) -> bool:
        return semver.matches(version, self.range.versions)

    def active(self, intent: "Intent") -> bool:
        return intent.id not in self.skip

    def edits(self, intent: "Intent") -> bool:
        """Whether this chart line edits for the intent (a no-op range only checks)."""
        return intent.id not in self.skip and intent.id not in self.noop


def bindings(adapter: "Adapter") -> list[Binding]:
    out: list[Binding] = []
    for rng in adapter.spec.ranges:
        low, high = semver.bounds(rng.versions)
        prev = out[-1] if out else None
        given = rng.model_fields_set
        b = Binding(
            rng, low, high,
            places={**(prev.places if prev else {}), **rng.places},
            facts={**(prev.facts if prev else {}), **rng.facts},
            fullname=rng.fullname if "fullname" in given or not prev else prev.fullname,
            subcharts=rng.subcharts if "subcharts" in given or not prev else prev.subcharts,
            noop=rng.noop if "noop" in given or not prev else prev.noop,
            skip=rng.skip if "skip" in given or not prev else prev.skip,
        )
        out.append(b)
    return out


class LayoutError(ValueError):
    """What does not fit, and where in the adapter (a path below `spec`)."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where


def validate(adapter: "Adapter") -> None:
    """Raise LayoutError naming the first thing that does not fit, and where."""
    from krmfn.adapters.model import NON_IPV4, _placeholders

    spec = adapter.spec
    ids = [i.id for i in spec.intents]
    if len(set(ids)) != len(ids):
        raise LayoutError("intents", "intent ids must be unique")
    options = set(spec.options)
    for n, intent in enumerate(spec.intents):
        where = f"intents[{n}]"
        for part in (intent.edits, intent.checks, intent.warn):
            try:
                _placeholders([p.model_dump(by_alias=True) if hasattr(p, "model_dump") else p for p in part]
                              if isinstance(part, list) else part, options)
            except ValueError as e:
                raise LayoutError(where, f"{intent.id}: {e}") from None
        for cond in _conditions(intent.when):
            unknown = sorted(set(cond.option or {}) - options)
            if unknown:
                raise LayoutError(f"{where}.when", f"condition on unknown option(s) {', '.join(unknown)}")
    _ranges_fit(adapter)
    for n, b in enumerate(bindings(adapter)):
        _range_binds(adapter, b, f"ranges[{n}]")
        for m in NON_IPV4:
            if not any(m in i.modes and b.active(i) for i in spec.intents):
                raise LayoutError(f"ranges[{n}]", f"{b.versions}: nothing says what mode {m} needs "
                                  "(an intent, or an explicit no-op intent)")


def _conditions(cond):
    if cond is None:
        return []
    return [cond] + [c for sub in cond.any or [] for c in _conditions(sub)]


def _ranges_fit(adapter: "Adapter") -> None:
    spec = adapter.spec
    if not spec.ranges:
        raise LayoutError("ranges", "an adapter needs at least one version range")
    spans = [semver.bounds(r.versions) for r in spec.ranges]
    for n, ((low, high), rng) in enumerate(zip(spans, spec.ranges)):
        if high is not None and not low < high:
            raise LayoutError(f"ranges[{n}].versions", f"{rng.versions} is empty")
        if n:
            prev_high = spans[n - 1][1]
            if prev_high is None or low < prev_high:
                raise LayoutError(f"ranges[{n}].versions", f"{rng.versions} overlaps {spec.ranges[n - 1].versions} (ranges go in order)")
            if low != prev_high:
                raise LayoutError(f"ranges[{n}].versions", f"gap between {spec.ranges[n - 1].versions} and {rng.versions}")
        for ev in rng.evidence:
            chart, _, version = ev.rpartition("-")
            if chart != spec.chart or not semver.matches(version, rng.versions):
                raise LayoutError(f"ranges[{n}].evidence", f"evidence {ev} is not a {spec.chart} archive inside {rng.versions}")
        for place_name, place in rng.places.items():
            for at in place.values:
                for d in at.defaults:
                    d_low, d_high = semver.bounds(d.versions)
                    if d_low < low or (high is not None and (d_high is None or d_high > high)):
                        raise LayoutError(f"ranges[{n}].places.{place_name}.values",
                                          f"{at.path}: defaults {d.versions} is not inside {rng.versions}")
                    proven = [ev for ev in rng.evidence if semver.matches(ev.rpartition("-")[2], d.versions)]
                    if proven:
                        raise LayoutError(f"ranges[{n}].places.{place_name}.values",
                                          f"{at.path}: defaults {d.versions} holds evidence {', '.join(proven)}, "
                                          "whose text is `default`")
        for name in (*rng.noop, *rng.skip):
            if name not in {i.id for i in spec.intents}:
                raise LayoutError(f"ranges[{n}]", f"noop/skip names no intent {name!r}")


def _range_binds(adapter: "Adapter", b: Binding, where: str) -> None:
    for intent in adapter.spec.intents:
        if not b.active(intent):
            continue
        needed = {c.at for c in intent.checks}
        if b.edits(intent):
            needed |= intent.places()
        missing = sorted(needed - set(b.places))
        if missing:
            raise LayoutError(f"{where}.places", f"{b.versions}: intent {intent.id} uses place(s) {', '.join(missing)}, "
                              "which this range does not bind (bind them, or say `noop`/`skip` for the intent)")
        if b.edits(intent):
            _post_renderable(intent, b, where)
        for cond in _conditions(intent.when):
            for fact in cond.factAbove or {}:
                if fact not in b.facts:
                    raise LayoutError(f"{where}.facts", f"{b.versions}: intent {intent.id} needs fact {fact!r}, "
                                      "which this range does not define")
    from krmfn.adapters.model import _placeholders

    for name, place in b.places.items():
        try:  # a place's path and name may name the instance ({fullname}): nothing else the input could choose
            _placeholders(place.path, set(adapter.spec.options))
            _placeholders(place.named, set(adapter.spec.options))
        except ValueError as e:
            raise LayoutError(f"{where}.places.{name}.path", f"{b.versions}: {e}") from None
    if b.fullname is None:
        used = [i.id for i in adapter.spec.intents if b.active(i) and "{fullname}" in i.model_dump_json()]
        # `named` is not read off the render: a post-renderer has none, and takes {fullname} from the values.
        used += [n for n, p in b.places.items() if "{fullname}" in p.model_dump_json(exclude={"named"})]
        if used:
            raise LayoutError(f"{where}.fullname", f"{b.versions}: {', '.join(used)} use(s) {{fullname}}, but the range "
                              "names no `fullname` object to read it from")
    for name, fact in b.facts.items():
        if fact.at not in b.places:
            raise LayoutError(f"{where}.facts", f"{b.versions}: fact {name} reads place {fact.at!r}, which this range does not bind")


def _post_renderable(intent: "Intent", b: Binding, where: str) -> None:
    """A post-renderer patch sees no render to read: it can only set a field of an object it names."""
    for n, edit in enumerate(intent.edits):
        if "postRender" not in edit.on:
            continue
        place = b.places[edit.at]
        if edit.set is None and place.rendered is None and not place.values:
            raise LayoutError(f"{where}.places.{edit.at}", f"{b.versions}: intent {intent.id} edits[{n}] is on postRender, "
                              "which can only `set` a value, unless the place says what the chart renders there "
                              "(`rendered`) or this range's values make the edit (`values`)")
        if edit.set is None and place.rendered is None:
            continue  # the values make the text right here: no patch, nothing to name
        if not place.named or len(place.kind) != 1:
            raise LayoutError(f"{where}.places.{edit.at}", f"{b.versions}: intent {intent.id} edits[{n}] is on postRender, "
                              "so the place needs one kind and `named` (the object's name as the chart's templates give it)")
