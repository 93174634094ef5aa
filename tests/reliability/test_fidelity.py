"""Lossless values: YAML 1.1 and 1.2 traps go through krmfn and come out as they went in.

Each trap is written into a ResourceList as a user would write it. The output, read back by a
YAML 1.2 reader, must equal the input read the same way, by krmfn's own loader and by an
independent one (ruamel.yaml, pure Python, 1.2 core schema); numbers keep the text they were
written in; and a YAML 1.1 reader (PyYAML) must read every string of the output as the same
string, which is what krmfn's quoting promises to the many 1.1 readers in the Kubernetes world.
"""
from __future__ import annotations

import json

import pytest

from krmfn.sdk import yaml12

from .conftest import plan, read11, read12, resource_list, run_cli, run_fn, same

# (case, the value as written in the input)
VALUES = [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
    ("Yes", "Yes"), ("NO", "NO"), ("True-is-a-bool", "True"),
    ("octal-1.1", "0777"), ("octal-1.2", "0o17"), ("hex", "0x1F"), ("binary-1.1", "0b1010"),
    ("leading-zero", "010"), ("sexagesimal", "22:22"), ("sexagesimal-float", "190:20:30.15"),
    ("exponent", "1e3"), ("exponent-signed", "6.8523015e+5"), ("float-trailing-zero", "1.50"),
    ("float-trailing-dot", "0."), ("float-leading-dot", ".5"), ("inf", ".inf"), ("minus-inf", "-.inf"),
    ("plus-inf", "+.inf"), ("nan", ".nan"), ("NaN", ".NaN"),
    ("tilde", "~"), ("null", "null"), ("Null", "Null"), ("empty", ""),
    ("equals", "="), ("merge-as-a-value", "<<"),
    ("date", "2001-12-14"), ("timestamp", "2001-12-14T21:59:43.10-05:00"),
    ("timestamp-spaced", "2001-12-14 21:59:43.10 -5"),
    ("big-int", "123456789012345678901234567890"), ("big-negative-int", "-9223372036854775809"),
    ("underscore-int", "1_000"), ("plus-int", "+12"), ("minus-zero", "-0"),
    ("trailing-space", "'trailing space '"), ("leading-space", "' leading space'"), ("only-spaces", "'   '"),
    ("literal", "|\n  line one\n  line two\n"), ("literal-strip", "|-\n  no newline at the end\n"),
    ("literal-keep", "|+\n  keeps its newlines\n\n\n"), ("folded", ">\n  folded\n  into one line\n"),
    ("folded-strip", ">-\n  two\n\n  paragraphs\n"), ("literal-indented", "|2\n    indented first line\n  second\n"),
    ("unicode", "üñíçødé"), ("emoji", "😀🚀"), ("cjk", "日本語"), ("rtl", "שלום"),
    ("quoted-empty", "''"), ("double-quoted-empty", '""'), ("quoted-null", '"null"'),
    ("quoted-true", '"true"'), ("quoted-number", '"123"'), ("quoted-yes", "'yes'"), ("quoted-octal", "'0777'"),
    ("quoted-float", '"1.0"'), ("quoted-tilde", "'~'"),
    ("tab", '"\\t"'), ("nel", '"\\N"'), ("line-separator", '"a\\Lb"'), ("nbsp", '"\\_x"'),
    ("bom", '"\\uFEFFx"'), ("nul", '"a\\0b"'), ("bell", '"\\a"'), ("crlf", '"a\\r\\nb"'),
    ("newline", '"\\n"'), ("leading-newline", '"\\nx"'), ("newline-then-space", '"x\\n "'),
    ("hash", "'# not a comment'"), ("colon-space", "'key: value'"), ("dash-space", "'- item'"),
    ("at", "'@at'"), ("backtick", "'`tick'"), ("percent", "'%pct'"), ("bang", "'!bang'"),
    ("star", "'*star'"), ("ampersand", "'&amp'"), ("braces", "'{a}'"), ("brackets", "'[a]'"),
    ("pipe", "'|'"), ("gt", "'>'"), ("question-mark", "'?'"), ("backslash", "a\\b"),
]
# Keys, each in its own map: `null` and `~` are one key, as are `1` and `true` to a reader
# that makes Python values of them.
KEYS = [
    "1", "'1'", "1.5", "'1.5'", "0x10", "true", "'true'", "yes", "'yes'", "on", "n", "null", "'null'",
    "~", "0777", "'0777'", "2001-12-14", "=", "'<<'", "''", "' x'", "'123'", "'a: b'",
]


def document(value_yaml: str, key_yaml: str = "key") -> bytes:
    """A ResourceList holding the written value in a map, a list and an annotation."""

    def at(indent: int, text: str) -> str:
        return text.replace("\n", "\n" + " " * indent).rstrip(" ")

    block = value_yaml[:1] in "|>"
    return f"""apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
  apiVersion: krmfn.dev/v1alpha1
  kind: IPv6Plan
  metadata:
    name: ipv6
  spec:
    ipFamilies: [IPv6]
items:
- apiVersion: example.com/v1
  kind: Trap
  metadata:
    name: trap
    annotations:
      trap: {at(6, value_yaml)}
  spec:
    value: {at(4, value_yaml)}
    list:
    - {at(4, value_yaml) if not block else "plain"}
    keys:
      {key_yaml}: {at(6, value_yaml)}
""".rstrip("\n").encode() + b"\n"


def numbers_text(value) -> list:
    """The written text of every number krmfn kept it for, in document order."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in numbers_text(k) + numbers_text(v)]
    if isinstance(value, list):
        return [t for v in value for t in numbers_text(v)]
    return [value.text] if isinstance(value, (yaml12.Int, yaml12.Float)) else []


def strings(value, path=()) -> dict:
    """Every string, key or value, by where it is."""
    out = {}
    if isinstance(value, dict):
        for i, (k, v) in enumerate(value.items()):
            if isinstance(k, str):
                out[path + (i, "key")] = k
            out.update(strings(v, path + (i,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(strings(v, path + (i,)))
    elif isinstance(value, str):
        out[path] = value
    return out


def assert_lossless(data: bytes, out: str) -> None:
    text = data.decode()
    sent, got = yaml12.load(text), yaml12.load(out)
    assert same(got["items"], sent["items"])
    assert numbers_text(got["items"]) == numbers_text(sent["items"])
    assert same(read12(out)["items"], read12(text)["items"])
    # A 1.1 reader may read numbers differently (0777 is 511 there, as in the input), but
    # never a string as anything but that string.
    want = strings(sent["items"])
    seen = strings(read11(out)["items"])
    assert {p: seen.get(p) for p in want} == want


@pytest.mark.parametrize("written", [v for _, v in VALUES], ids=[c for c, _ in VALUES])
def test_value_comes_out_as_it_went_in(written):
    data = document(written)
    run = run_fn(data)
    assert run.rc == 0, run.err
    assert_lossless(data, run.out)


@pytest.mark.parametrize("key", KEYS)
def test_key_comes_out_as_it_went_in(key):
    data = document("value", key)
    run = run_fn(data)
    assert run.rc == 0, run.err
    assert_lossless(data, run.out)


def test_every_trap_at_once_through_the_cli():
    written = "\n".join(f"    case-{case}: {v}".replace("\n", "\n      ").rstrip(" ") for case, v in VALUES)
    data = document("x").replace(b"    keys:", written.encode() + b"\n    keys:")
    run = run_cli(data)
    assert run.rc == 0, run.err
    assert_lossless(data, run.out)
    assert len(yaml12.load(run.out)["items"][0]["spec"]) == len(VALUES) + 3


JSON_VALUES = [
    "0", "-0", "-0.0", "1.0", "1.50", "1e3", "1E+2", "2.5e-7", "123456789012345678901234567890",
    '""', '"null"', '"true"', '"0777"', '"yes"', '"=" ', '"<<"', '"\\u00e9"', '"\\ud83d\\ude00"', '"😀"',
    '"\\u2028"', '"\\u0085"', '"\\u009a"', '"\\u007f"', '"\\uffff"', '"\\u0000"', '"\\/"', '"a\\tb"',
    "true", "null", "[]", "{}",
]


@pytest.mark.parametrize("written", JSON_VALUES)
def test_json_value_comes_out_as_it_went_in(written):
    rl = json.dumps(resource_list([{"apiVersion": "example.com/v1", "kind": "Trap", "metadata": {"name": "t"},
                                    "spec": {"value": "@@"}}], plan(["IPv6"])))
    data = rl.replace('"@@"', written).encode()
    run = run_fn(data)
    assert run.rc == 0, run.err
    assert run.out.startswith("{")  # JSON in, JSON out
    assert same(json.loads(run.out)["items"], json.loads(data)["items"])
    # kpt reads the output as YAML: it must be YAML too, with the same values.
    assert same(read12(run.out)["items"], json.loads(data)["items"])
