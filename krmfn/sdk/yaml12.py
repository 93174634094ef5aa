"""YAML 1.2 core-schema loading and dumping on top of PyYAML's C parser and emitter.

PyYAML resolves YAML 1.1 (``yes`` is a bool, ``0777`` is 511, ``22:22`` is 1342, a bare
``=`` crashes), while kustomize and kpt speak YAML 1.2. Loading uses the 1.2 core schema;
numbers keep the exact text they were written in, so ``defaultMode: 0644`` reaches the
API server as written whatever schema its reader uses; dumping quotes every string that
a 1.1 *or* a 1.2 reader would take for something else.
"""
from __future__ import annotations

import json
import os
import re
import sys

import yaml

from krmfn.sdk.errors import InputError

# Limits that keep hostile input from costing more than a render is worth. Each can be
# raised through the environment for the rare legitimate giant.
MAX_INPUT_BYTES = int(os.environ.get("KRMFN_MAX_INPUT_BYTES", 256 * 1024 * 1024))
MAX_NODES = int(os.environ.get("KRMFN_MAX_NODES", 20_000_000))
MAX_DEPTH = int(os.environ.get("KRMFN_MAX_DEPTH", 500))
# What aliases may repeat, as a multiple of the input's characters (at least ALIAS_FLOOR_CHARS'
# worth): MAX_NODES alone let 572 bytes of nested aliases expand to 175 MB of output.
MAX_ALIAS_RATIO = int(os.environ.get("KRMFN_MAX_ALIAS_RATIO", 10))
ALIAS_FLOOR_CHARS = 64 * 1024

# Writing recurses one Python frame per level of nesting, and so do the transforms that walk
# objects: any document within MAX_DEPTH must go through without a RecursionError.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000 + 4 * MAX_DEPTH))

INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_CORE_12 = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    # '' is the key PyYAML looks up for an empty plain scalar (`volumes:` with nothing after it).
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    # Merge keys are not in the 1.2 core schema, but go-yaml v3 (kustomize, kpt) honours them.
    (MERGE, r"^(?:<<)$", "<"),
]

# Plain scalars that some 1.1 reader (PyYAML, go-yaml v2 in sigs.k8s.io/yaml) would not read
# as a string; PyYAML's own table misses the single-letter booleans go-yaml v2 knows.
_EXTRA_11 = [("tag:yaml.org,2002:bool", r"^(?:y|Y|n|N)$", "yYnN")]


class RESOLVE_12(yaml.resolver.Resolver):  # noqa: N801 - a table, named like one
    yaml_implicit_resolvers: dict = {}


class RESOLVE_UNION(yaml.resolver.Resolver):  # noqa: N801 - a table, named like one
    """Says 'not a string' whenever a 1.1 or a 1.2 reader would: used only to decide quoting."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}


for _tag, _rx, _first in _CORE_12:
    RESOLVE_12.add_implicit_resolver(_tag, re.compile(_rx), list(_first))
for _tag, _rx, _first in _CORE_12 + _EXTRA_11:
    RESOLVE_UNION.add_implicit_resolver(_tag, re.compile(_rx), list(_first))


class Int(int):
    """An int written in a form other than its decimal repr (``0777``, ``0x1F``, ``+5``)."""

    text: str


class Float(float):
    """A float with the text it was written in (``1e3``, ``.inf``, ``1.50``)."""

    text: str


def integer(text: str, line: int) -> int:
    """A YAML 1.2 int; an Int keeping its text when that is not the decimal repr (0777, 0x1F, +5)."""
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    base, digits = {"0o": (8, body[2:]), "0x": (16, body[2:])}.get(body[:2], (10, text))
    try:
        value = sign * int(digits, base) if base != 10 else int(digits)
    except ValueError:
        if body.isdigit():
            # Python refuses decimal conversions past sys.get_int_max_str_digits() (4300).
            raise InputError(f"integer at line {line} has too many digits") from None
        raise InputError(f"{text[:40]!r} at line {line} is not an integer") from None  # an explicit !!int
    try:
        # Hex and octal convert at any length, but their decimal text, which JSON output and
        # every str() of the value need, is refused past the same limit.
        decimal = str(value)
    except ValueError:
        raise InputError(f"integer at line {line} has too many digits") from None
    if decimal == text:
        return value
    out = Int(value)
    out.text = text
    return out


def floating(text: str) -> float:
    """A YAML 1.2 float, keeping the text it was written in."""
    low = text.lower()
    if low.endswith(".inf"):
        value = float("-inf") if low.startswith("-") else float("inf")
    elif low == ".nan":
        value = float("nan")
    else:
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"{text[:40]!r} is not a float") from None
    out = Float(value)
    out.text = text
    return out


def too_deep() -> InputError:
    return InputError(f"input nests deeper than {MAX_DEPTH} levels (KRMFN_MAX_DEPTH)")


def decode(data: bytes) -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"input is more than {MAX_INPUT_BYTES} bytes (KRMFN_MAX_INPUT_BYTES)")
    if b"\0" in data:
        raise InputError("input contains a NUL byte")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"input is not UTF-8 (byte {e.start})") from None


def load_all(text: str) -> list:
    """Every document of a YAML stream, as plain Python values under the 1.2 core schema."""
    from krmfn.sdk import yaml_events

    try:
        return yaml_events.load_all(text)
    except yaml.YAMLError as e:
        raise InputError(f"malformed YAML: {_one_line(e)}") from None


def load(text: str):
    docs = [d for d in load_all(text) if d is not None]
    if len(docs) > 1:
        raise InputError(f"expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def load_json(text: str):
    """A JSON document under the limits YAML input has; json.JSONDecodeError if text is not JSON."""
    # json's C decoder recurses like libyaml's composer: count levels first, outside strings.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for m in _BRACKET.finditer(_JSON_STRING.sub("", text)):
            depth += 1 if m.group() in "[{" else -1
            if depth > MAX_DEPTH:
                raise too_deep()
    try:
        doc = json.loads(text, object_pairs_hook=_json_map, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError:
        raise
    except ValueError:
        raise InputError("a number in the input has too many digits") from None
    if _SURROGATE_ESCAPE.search(text):
        # A lone UTF-16 surrogate escape decodes to a str that no UTF-8 output can hold.
        try:
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as e:
            raise InputError(f"input has a lone UTF-16 surrogate {e.object[e.start]!r}: not Unicode text") from None
    return doc


def _json_map(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise InputError(f"duplicate key {k!r} in JSON input")
        out[k] = v
    return out


def _json_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InputError(f"number {text} is out of range for a 64-bit float")
    return value


def _json_constant(name: str):
    raise InputError(f"{name} is not a JSON number")


def _one_line(e: Exception) -> str:
    return " ".join(str(e).replace(' in "<unicode string>"', "").split())


def dump(value, *, explicit_start: bool = False) -> str:
    from krmfn.sdk import yaml_events

    return yaml_events.dump_all([value], explicit_start)


def dump_all(values) -> str:
    from krmfn.sdk import yaml_events

    return yaml_events.dump_all(list(values), True)


def _json_default(value):
    raise TypeError(f"not JSON: {type(value).__name__}")


# Characters JSON may carry raw but YAML may not (DEL, C1 controls, U+FFFE/U+FFFF), NEL among
# them: a YAML 1.1 reader folds a raw NEL into a space. They can only sit inside JSON strings.
_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\ufffe\uffff]")


def dump_json(value) -> str:
    # json writes int and float subclasses by value: a kept text such as 0777 becomes its
    # YAML 1.2 value, which is the only reading JSON allows. kpt reads the output as YAML.
    text = json.dumps(value, ensure_ascii=False, default=_json_default, allow_nan=False)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
