"""Checking objects against the CRDs in shared/crds: the structural subset of OpenAPI v3 they use.

Types, properties, required, additionalProperties, items, enum, pattern, lengths, minimum,
anyOf/oneOf/allOf/not and the x-kubernetes-* markers. Unknown fields are errors (as with
kubectl's default strict field validation); CEL rules (x-kubernetes-validations) are not run.
"""
from __future__ import annotations

import re
from functools import cache

from krmfn.sdk import yaml12
from tests import charts

CRDS = charts.CHARTS.parent / "crds"


@cache
def _crds() -> tuple[dict, ...]:
    return tuple(yaml12.load(p.read_text()) for p in sorted(CRDS.glob("*.yaml")))


def schema_for(obj: dict) -> dict:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    for crd in _crds():
        if crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == obj.get("kind"):
            for v in crd["spec"]["versions"]:
                if v["name"] == version and v.get("served"):
                    return v["schema"]["openAPIV3Schema"]
    raise LookupError(f"no served CRD version for {obj.get('apiVersion')} {obj.get('kind')} in {CRDS}")


def errors(obj: dict) -> list[str]:
    return check(obj, schema_for(obj), "")


def check(value, schema: dict, at: str) -> list[str]:
    if value is None and schema.get("nullable"):
        return []
    out = _typed(value, schema, at)
    if out:
        return out
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{at}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            out.append(f"{at}: length {len(value)} outside the schema's bounds")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < schema.get("minimum", value):
        out.append(f"{at}: {value} is below {schema['minimum']}")
    for sub in schema.get("allOf", []):
        out += check(value, sub, at)
    if "anyOf" in schema and all(check(value, sub, at) for sub in schema["anyOf"]):
        out.append(f"{at}: matches none of anyOf")
    if "oneOf" in schema and sum(not check(value, sub, at) for sub in schema["oneOf"]) != 1:
        out.append(f"{at}: does not match exactly one of oneOf")
    if "not" in schema and not check(value, schema["not"], at):
        out.append(f"{at}: matches the schema under not")
    if isinstance(value, dict):
        out += _object(value, schema, at)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += check(item, schema["items"], f"{at}[{i}]")
    return out


def _typed(value, schema: dict, at: str) -> list[str]:
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, (int, str)) and not isinstance(value, bool)
    else:
        want = schema.get("type")
        ok = want is None or {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
        }[want](value)
    return [] if ok else [f"{at}: {value!r} is not of type {schema.get('type', 'int-or-string')}"]


def _object(value: dict, schema: dict, at: str) -> list[str]:
    out = [f"{at}.{k}: required field is missing" for k in schema.get("required", []) if k not in value]
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        here = f"{at}.{key}" if at else str(key)
        if props is not None and key in props:
            out += check(item, props[key], here)
        elif isinstance(extra, dict):
            out += check(item, extra, here)
        elif props is not None and not extra and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out.append(f"{here}: unknown field")
    return out
