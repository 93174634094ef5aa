"""An intent's checks: what must be true of the rendered objects, said over their structure.

The same checks run on the function path's output and on `helm template` with the values
overlay, so both delivery paths are proven by one statement of the intent.
"""
from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from krmfn.adapters import access, ops
from krmfn.sdk import yaml12
from krmfn.sdk.errors import InputError
from krmfn.sdk.results import ERROR, Result

if TYPE_CHECKING:
    from krmfn.adapters.model import Check, Intent


def run(comp, binding, intents: list[Intent], objs: list[dict], env: dict, on: str) -> list[Result]:
    results = []
    for intent in intents:
        for chk in intent.checks:
            if on not in chk.on:
                continue
            place = binding.places[chk.at]
            if not place.kind:
                continue  # a values-only place has nothing rendered to look at
            targets = access.select(objs, place, comp.chart)
            if not targets and not place.optional:
                results.append(Result(f"{comp.name}/{intent.id} check failed: no {access.describe(place)} to check "
                                      f"{chk.at}", ERROR))
            path = access.join(ops.expand(place.path, env), chk.path)  # a path may name {fullname}
            for obj in targets:
                try:
                    what = failure(chk, access.get(obj, path), env)
                except access.Undecodable as e:
                    what = str(e)
                if what:
                    results.append(Result(f"{comp.name}/{intent.id} check failed: {path} {what}", ERROR, obj, path))
    return results


def _show(value: Any) -> str:
    text = yaml12.dump(value).strip() if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def failure(chk: Check, value: Any, env: dict) -> str | None:
    """What is wrong with value, or None."""
    if chk.absent:
        return None if value is None else f"should be absent, is {_show(value)}"
    if value is None:
        return "is missing"
    if chk.equals is not None:
        want = ops.expand(chk.equals, env)
        return None if value == want else f"is {_show(value)}, expected {_show(want)}"
    if chk.oneOf is not None:
        allowed = ops.expand(chk.oneOf, env)
        return None if value in allowed else f"is {_show(value)}, expected one of {_show(allowed)}"
    if chk.includes is not None:
        item = ops.expand(chk.includes, env)
        return None if isinstance(value, list) and item in value else f"is {_show(value)}, expected to include {item!r}"
    if chk.envOnce is not None:
        count = sum(1 for e in value if isinstance(e, dict) and e.get("name") == chk.envOnce) if isinstance(value, list) else 0
        return None if count == 1 else f"defines {chk.envOnce} {count} times, expected once"
    if chk.yaml is not None:
        return _yaml(value, ops.expand(chk.yaml, env))
    if not isinstance(value, str):
        return f"is {_show(value)}, not a text"
    if chk.line is not None:
        spec = chk.line
        if spec.ifKey and not ops.assignments(value, {spec.ifKey}, spec.sep):
            return None
        said = ops.assignments(value, {spec.key, *spec.spellings}, spec.sep)
        if not said:
            return f"has no {spec.key} line"
        wrong = [v for v in said if v not in spec.values]
        return f"says {spec.key} {', '.join(wrong)}; expected {' or '.join(spec.values)}" if wrong else None
    if chk.noLine is not None:
        spec = chk.noLine
        said = ops.assignments(value, {spec.key, *spec.spellings}, spec.sep)
        bad = [v for v in said
               if v in spec.values or (spec.lacking is not None and spec.lacking not in v)
               or (not spec.values and spec.lacking is None)]
        return f"says {spec.key} {', '.join(bad)}, which it must not" if bad else None
    if chk.hasArgs is not None:
        have = ops.arg_groups(value)
        missing = [" ".join(g) for g in ops.arg_groups(ops.expand(chk.hasArgs, env)) if g not in have]
        return f"lacks the argument(s) {'; '.join(missing)}" if missing else None
    if chk.urlHosts is not None:
        hosts = [ops.url_parts(u) for u in value.split(",")]
        bad = [u for u, p in zip(value.split(","), hosts) if p is None or p[1] not in chk.urlHosts]
        return f"has URL(s) {', '.join(bad)} whose host is not {' or '.join(chk.urlHosts)}" if bad else None
    if chk.urlsByName:
        literal = [u for u in value.split(",") if _is_address((ops.url_parts(u) or ("", "", ""))[1])]
        return f"advertises address(es) {', '.join(literal)} instead of names" if literal else None
    if chk.twinRules is not None:
        alone = ops.missing_twins(value, chk.twinRules.source, chk.twinRules.to)
        return (f"has host rule(s) for {chk.twinRules.source} without the same rule for {chk.twinRules.to} "
                f"(line {', '.join(map(str, alone))})") if alone else None
    if chk.notMatches is not None:
        return f"matches {chk.notMatches!r}, which it must not" if re.search(chk.notMatches, value) else None
    return None if re.search(chk.matches, value) else f"does not match {chk.matches!r}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _yaml(value: Any, want: dict) -> str | None:
    if isinstance(value, str):
        try:
            value = yaml12.load(value) if value.strip() else {}
        except InputError as e:
            return f"is not YAML: {e}"
    for dotted, expected in want.items():
        node = value
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node != expected:
            return f"has {dotted} = {_show(node)}, expected {_show(expected)}"
    return None
