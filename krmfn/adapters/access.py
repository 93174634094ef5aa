"""Finding a place's objects in a chart instance, and reading and writing the field it names.

Objects are found by kind, labels and content (``has: data[my.cnf]``), never by a name
re-derived from the release: `fullnameOverride`, `nameOverride` and a release named like the
chart change names, not these. A Secret's ``data`` is read and written decoded, from
``stringData`` when the key is there (what the API server would keep), and only the key the
edit owns is re-encoded: the rest of the Secret stays byte for byte.
"""
from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from krmfn.sdk import objects, paths

if TYPE_CHECKING:
    from krmfn.adapters.model import Select


def chart_name(obj: dict) -> str | None:
    from krmfn.adapters.detect import chart_of

    ref = chart_of(obj)
    return ref[0] if ref else None


def select(objs: list[dict], sel: Select, chart: str) -> list[dict]:
    """The objects of `chart` (or of the subchart `sel.chart`) that the selector picks."""
    want_chart = sel.chart or chart
    out = []
    for obj in objs:
        if objects.kind(obj) not in sel.kind:
            continue
        # Objects without chart labels (created by krmfn from a template) belong to the instance.
        owner = chart_name(obj)
        if owner is not None and owner != want_chart:
            continue
        if sel.component is not None:
            lab = objects.labels(obj)
            if sel.component not in (lab.get("app.kubernetes.io/component"), lab.get("component")):
                continue
        if sel.has is not None and not exists(obj, sel.has):
            continue
        if sel.lacks is not None and exists(obj, sel.lacks):
            continue
        if sel.headless is not None:
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            if (spec.get("clusterIP") == "None") != sel.headless:
                continue
        if sel.argOf is not None and objects.name(obj) not in _named_by(objs, sel.argOf):
            continue
        if sel.nameSuffix is not None and not objects.name(obj).endswith(sel.nameSuffix):
            continue
        if sel.lacksNameSuffix is not None and objects.name(obj).endswith(sel.lacksNameSuffix):
            continue
        out.append(obj)
    return out


def _named_by(objs: list[dict], flag: str) -> set[str]:
    """Object names a container argument `flag=NS/NAME` (or `flag=NAME`) points at."""
    names = set()
    for obj in objs:
        pod = paths.get(obj, "spec.template.spec")
        for container in (pod or {}).get("containers") or [] if isinstance(pod, dict) else []:
            for arg in container.get("args") or [] if isinstance(container, dict) else []:
                head, eq, value = str(arg).partition("=")
                if eq and head == flag:
                    names.add(value.rpartition("/")[2])
    return names


def describe(sel: Select) -> str:
    """`ConfigMap with data[my.cnf]`, for messages that say what was looked for."""
    what = " or ".join(sel.kind) or "values"
    parts = []
    if sel.chart:
        parts.append(f"of subchart {sel.chart}")
    if sel.component:
        parts.append(f"with component {sel.component}")
    if sel.has:
        parts.append(f"with {sel.has}")
    if sel.lacks:
        parts.append(f"without {sel.lacks}")
    if sel.headless is not None:
        parts.append("headless" if sel.headless else "not headless")
    if sel.argOf:
        parts.append(f"named by a container's {sel.argOf}")
    if sel.nameSuffix:
        parts.append(f"named *{sel.nameSuffix}")
    if sel.lacksNameSuffix:
        parts.append(f"not named *{sel.lacksNameSuffix}")
    return " ".join([what, *parts])


def join(base: str, sub: str | None) -> str:
    return paths.format(paths.parse(base) + paths.parse(sub)) if sub else base


class Undecodable(ValueError):
    """A Secret value that is not base64 of UTF-8 text: krmfn leaves it alone and says so."""


def _secret_key(obj: dict, path: str) -> str | None:
    """The data key a Secret path starts with (`data[rabbitmq.conf]...`), else None."""
    if objects.kind(obj) != "Secret":
        return None
    steps = paths.parse(path)
    if len(steps) >= 2 and steps[0] == paths.Key("data") and isinstance(steps[1], paths.Key):
        return steps[1].name
    return None


def exists(obj: dict, path: str) -> bool:
    """Whether the field is there; a Secret value that does not decode is there too (the edit then says why)."""
    try:
        return get(obj, path) is not None
    except Undecodable:
        return True


def get(obj: dict, path: str) -> Any:
    key = _secret_key(obj, path)
    if key is None:
        return paths.get(obj, path)
    rest = paths.parse(path)[2:]
    string_data = obj.get("stringData") if isinstance(obj.get("stringData"), dict) else {}
    if key in string_data:
        value = string_data[key]
    else:
        raw = paths.get(obj, paths.format(paths.parse(path)[:2]))
        if raw is None:
            return None
        try:
            value = base64.b64decode(str(raw), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise Undecodable(f"Secret data[{key}] is not base64 of UTF-8 text") from None
    return paths.get(value, paths.format(rest)) if rest else value


def put(obj: dict, path: str, value: Any) -> None:
    key = _secret_key(obj, path)
    if key is None:
        paths.set(obj, path, value)
        return
    if paths.parse(path)[2:]:
        raise ValueError(f"{path}: a path below a Secret's data value is not supported")
    string_data = obj.get("stringData")
    if isinstance(string_data, dict) and key in string_data:
        string_data[key] = value
        return
    paths.set(obj, f"data[{key}]", base64.b64encode(str(value).encode("utf-8")).decode("ascii"))
