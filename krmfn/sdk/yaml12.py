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

# Composing, representing and serializing recurse up to three Python frames per level of
# nesting: any document within MAX_DEPTH must read and write without a RecursionError.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000 + 4 * MAX_DEPTH))

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_CORE_12 = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    # '' is the key PyYAML looks up for an empty plain scalar (`volumes:` with nothing after it).
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    # Merge keys are not in the 1.2 core schema, but go-yaml v3 (kustomize, kpt) honours them.
    (_MERGE, r"^(?:<<)$", "<"),
]

# Plain scalars that some 1.1 reader (PyYAML, go-yaml v2 in sigs.k8s.io/yaml) would not read
# as a string; PyYAML's own table misses the single-letter booleans go-yaml v2 knows.
_EXTRA_11 = [("tag:yaml.org,2002:bool", r"^(?:y|Y|n|N)$", "yYnN")]


class _Resolver12(yaml.resolver.Resolver):
    yaml_implicit_resolvers: dict = {}


class _ResolverUnion(yaml.resolver.Resolver):
    """Says 'not a string' whenever a 1.1 or a 1.2 reader would: used only to decide quoting."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}


for _tag, _rx, _first in _CORE_12:
    _Resolver12.add_implicit_resolver(_tag, re.compile(_rx), list(_first))
for _tag, _rx, _first in _CORE_12 + _EXTRA_11:
    _ResolverUnion.add_implicit_resolver(_tag, re.compile(_rx), list(_first))


class Int(int):
    """An int written in a form other than its decimal repr (``0777``, ``0x1F``, ``+5``)."""

    text: str


class Float(float):
    """A float with the text it was written in (``1e3``, ``.inf``, ``1.50``)."""

    text: str


class _Constructor(yaml.constructor.SafeConstructor):
    def construct_yaml_int(self, node):
        text = node.value
        body = text.lstrip("+-")
        sign = -1 if text.startswith("-") else 1
        try:
            if body.startswith("0o"):
                value = sign * int(body[2:], 8)
            elif body.startswith("0x"):
                value = sign * int(body[2:], 16)
            else:
                value = int(text)
            if str(value) == text:
                return value
        except ValueError:
            # Python refuses decimal conversions past sys.get_int_max_str_digits() (4300).
            raise InputError(f"integer at line {node.start_mark.line + 1} has too many digits") from None
        out = Int(value)
        out.text = text
        return out

    def construct_yaml_float(self, node):
        text = node.value
        low = text.lower()
        if low.endswith(".inf"):
            value = float("-inf") if low.startswith("-") else float("inf")
        elif low == ".nan":
            value = float("nan")
        else:
            value = float(text)
        out = Float(value)
        out.text = text
        return out

    def construct_mapping(self, node, deep=False):
        # Keys are compared as the map will hold them: 1, 0x1, 1.0 and true are one Python key,
        # and a map that silently kept only the last of them would lose the others.
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node)
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                same = ""
                if first.value != key_node.value:
                    same = f" (the same key as {first.value!r} at line {first.start_mark.line + 1})"
                raise InputError(
                    f"duplicate key {key_node.value!r} at line {key_node.start_mark.line + 1}, "
                    f"column {key_node.start_mark.column + 1}{same}"
                )
        return super().construct_mapping(node, deep=deep)

    def construct_undefined(self, node):
        raise InputError(
            f"unsupported tag {node.tag!r} at line {node.start_mark.line + 1}: "
            "only plain YAML (maps, lists, strings, numbers, booleans, null) is accepted"
        )


_Constructor.add_constructor(_INT, _Constructor.construct_yaml_int)
_Constructor.add_constructor(_FLOAT, _Constructor.construct_yaml_float)
# `<<` merges only as a key (flatten_mapping takes those out first); anywhere else it is text.
_Constructor.add_constructor(_MERGE, _Constructor.construct_yaml_str)
# 1.1-only types are never resolved implicitly here; explicit tags for them are refused too,
# so that a timestamp or a set cannot sneak in as a non-JSON value.
for _tag in ("timestamp", "set", "omap", "pairs", "binary", "value"):
    _Constructor.yaml_constructors.pop(f"tag:yaml.org,2002:{_tag}", None)
_Constructor.add_constructor(None, _Constructor.construct_undefined)


class _Loader(yaml.composer.Composer, yaml._yaml.CParser, _Constructor, _Resolver12):
    """libyaml's parser with PyYAML's Python composer on top.

    libyaml's own composer, as compiled into PyYAML, recurses in C and crashes the process on
    deep nesting, flow (``[[[``) or block (``- - -``) alike; the Python one can count levels
    and stop at MAX_DEPTH. It is no slower: resolving each scalar's tag dominates either way.
    """

    def __init__(self, stream):
        yaml._yaml.CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver12.__init__(self)
        self.depth = 0

    def compose_node(self, parent, index):
        # CParser.check_event compares exact classes: CollectionStartEvent would never match.
        nested = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if nested:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _too_deep()
        node = super().compose_node(parent, index)
        if nested:
            self.depth -= 1
        return node


def _too_deep() -> InputError:
    return InputError(f"input nests deeper than {MAX_DEPTH} levels (KRMFN_MAX_DEPTH)")


def _check_expansion(node) -> None:
    """Refuse alias bombs: count the nodes the document would have once aliases are expanded."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(n) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError("recursive alias: a node contains an alias to itself")
        active.add(key)
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
        elif isinstance(n, yaml.SequenceNode):
            for v in n.value:
                total += size(v)
        active.discard(key)
        sizes[key] = total
        if total > MAX_NODES:
            raise InputError(f"input expands to more than {MAX_NODES} nodes (alias bomb?) (KRMFN_MAX_NODES)")
        return total

    size(node)


def _has_alias(text: str) -> bool:
    return "*" in text and "&" in text


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
    loader = _Loader(text)
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if _has_alias(text):
                _check_expansion(node)
            docs.append(loader.construct_document(node))
    except yaml.YAMLError as e:
        raise InputError(f"malformed YAML: {_one_line(e)}") from None
    except RecursionError:
        raise InputError(f"input nests too deeply (KRMFN_MAX_DEPTH is {MAX_DEPTH})") from None
    finally:
        loader.dispose()
    return docs


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
                raise _too_deep()
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


class _Dumper(yaml._yaml.CEmitter, yaml.serializer.Serializer, yaml.representer.SafeRepresenter, _ResolverUnion):
    def __init__(self, stream, **kw):
        yaml._yaml.CEmitter.__init__(
            self, stream, canonical=None, indent=None, width=kw.get("width"), allow_unicode=True,
            line_break=None, encoding=None, explicit_start=kw.get("explicit_start"),
            explicit_end=None, version=None, tags=None,
        )
        yaml.representer.SafeRepresenter.__init__(self, default_style=None, default_flow_style=False, sort_keys=False)
        _ResolverUnion.__init__(self)

    def ignore_aliases(self, data) -> bool:
        # Anchors in a function's output surprise every reader; objects shared in memory are
        # written out in full instead.
        return True


def _represent_str(dumper, value: str):
    # Literal blocks keep config files readable in output and diffs; the emitter adds an
    # indentation indicator for a leading space or break, and falls back to quotes where a
    # block cannot carry the text (trailing spaces before a break).
    return dumper.represent_scalar(_STR, value, style="|" if "\n" in value else None)


def _represent_text(tag):
    return lambda dumper, value: dumper.represent_scalar(tag, value.text)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Int, _represent_text(_INT))
_Dumper.add_representer(Float, _represent_text(_FLOAT))


def dump(value, *, explicit_start: bool = False) -> str:
    return yaml.dump(value, Dumper=_Dumper, width=1 << 30, explicit_start=explicit_start)


def dump_all(values) -> str:
    return yaml.dump_all(values, Dumper=_Dumper, width=1 << 30, explicit_start=True)


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
