"""Reading a generated ClusterPolicy the way Kyverno applies it, for the handful of constructs krmfn emits.

match/exclude on kinds, operations, names, namespaces and matchLabels; preconditions whose keys
are one `{{ JMESPath }}` made of field paths, `||`, length(), contains() and literals, with the
Equals and NotEquals operators; patchStrategicMerge without anchors (maps merge, lists replace).
Anything else raises, so the policy cannot grow a construct this reading silently ignores.
"""
from __future__ import annotations

import copy
import json
import re

from krmfn.sdk import objects

_TOKEN = re.compile(r"\s*(?:(\|\|)|([A-Za-z_][\w]*)|(\[\d+\])|('(?:[^'])*')|(`[^`]*`)|([.(),]))")


def _tokens(expr: str) -> list[str]:
    out, pos = [], 0
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr!r} at {pos}")
        out.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return out


def _truthy(v) -> bool:
    return v not in (None, False, "", [], {})


def evaluate(key: str, request: dict):
    m = re.fullmatch(r"\{\{(.*)\}\}", key.strip(), re.S)
    if not m:
        raise ValueError(f"not a single JMESPath variable: {key!r}")
    toks = _tokens(m.group(1))
    value, rest = _or(toks, request)
    if rest:
        raise ValueError(f"trailing {rest} in {key!r}")
    return value


def _or(toks, ctx):
    value, toks = _primary(toks, ctx)
    while toks and toks[0] == "||":
        right, toks = _primary(toks[1:], ctx)
        value = value if _truthy(value) else right
    return value, toks


def _primary(toks, ctx):
    tok = toks[0]
    if tok.startswith("'"):
        return tok[1:-1], toks[1:]
    if tok.startswith("`"):
        return json.loads(tok[1:-1]), toks[1:]
    if len(toks) > 1 and toks[1] == "(":
        args, toks = [], toks[2:]
        while toks[0] != ")":
            arg, toks = _or(toks, ctx)
            args.append(arg)
            if toks[0] == ",":
                toks = toks[1:]
        fn = {"length": lambda x: len(x), "contains": lambda s, sub: sub in s}[tok]
        return fn(*args), toks[1:]
    value, toks = ctx.get(tok) if isinstance(ctx, dict) else None, toks[1:]
    while toks and (toks[0] == "." or toks[0].startswith("[")):
        if toks[0] == ".":
            value, toks = (value.get(toks[1]) if isinstance(value, dict) else None), toks[2:]
        else:
            i = int(toks[0][1:-1])
            value, toks = (value[i] if isinstance(value, list) and i < len(value) else None), toks[1:]
    return value, toks


def _described(obj: dict, res: dict, operation: str) -> bool:
    known = {"kinds", "operations", "names", "namespaces", "selector"}
    if set(res) - known:
        raise ValueError(f"unread resource filter fields {set(res) - known}")
    return (
        objects.kind(obj) in res.get("kinds", [objects.kind(obj)])
        and operation in res.get("operations", [operation])
        and objects.name(obj) in res.get("names", [objects.name(obj)])
        and objects.namespace(obj) in res.get("namespaces", [objects.namespace(obj)])
        and all(objects.labels(obj).get(k) == v for k, v in res.get("selector", {}).get("matchLabels", {}).items())
    )


def _smp(target: dict, patch: dict) -> None:
    for key, value in patch.items():
        if re.match(r"^[+=<X^]?\(", key):
            raise ValueError(f"anchor {key} is not read here")
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _smp(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def admit(policy: dict, obj: dict, operation: str = "CREATE") -> dict:
    """The object as it leaves Kyverno's mutating webhook."""
    out = copy.deepcopy(obj)
    request = {"request": {"object": obj, "operation": operation}}
    for rule in policy["spec"]["rules"]:
        if not any(_described(obj, f["resources"], operation) for f in rule["match"]["any"]):
            continue
        if any(_described(obj, f["resources"], operation) for f in rule.get("exclude", {}).get("any", [])):
            continue
        ok = True
        for cond in rule.get("preconditions", {}).get("all", []):
            key = evaluate(cond["key"], request)
            # Kyverno compares typed values: `false` is not 0, as Python's == would have it.
            same = key == cond["value"] and isinstance(key, bool) == isinstance(cond["value"], bool)
            ok &= {"Equals": same, "NotEquals": not same}[cond["operator"]]
        if ok:
            _smp(out, rule["mutate"]["patchStrategicMerge"])
    return out
