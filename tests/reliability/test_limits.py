"""The input limits: each refuses what is over it, lets through what is at it, and can be moved
through its environment variable. Inputs are built here, too big to keep as corpus files.

No timings are asserted (speed is for the benchmarks): refusals come from the limits, and an
input that slipped past one could not finish within run_cli's timeout.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from .conftest import KRMFN, identity, plan, read11, resource_list, run_cli

HEAD = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
WITH_PLAN = HEAD.replace(
    b"items:", b"functionConfig: {apiVersion: krmfn.dev/v1alpha1, kind: IPv6Plan, spec: {ipFamilies: [IPv6]}}\nitems:"
)


def nested(depth: int, style: str) -> bytes:
    """A ResourceList nesting exactly `depth` levels: its map and items list, then lists."""
    inner = depth - 2
    if style == "flow":
        return HEAD + b"- " + b"[" * inner + b"]" * inner + b"\n"
    if style == "block":
        return HEAD + b"- " * inner + b"[]\n"
    body = "[" * inner + "]" * inner
    return f'{{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{body}]}}'.encode()


def refused(run, fragment: str) -> bool:
    return run.rc == 1 and "Traceback" not in run.err and fragment in run.err and run.doc["items"] == []


@pytest.mark.parametrize("style", ["flow", "block", "json"])
def test_depth_limit_is_exact_and_configurable(style):
    too_deep = run_cli(nested(41, style), {"KRMFN_MAX_DEPTH": "40"})
    assert refused(too_deep, "nests deeper than 40 levels (KRMFN_MAX_DEPTH)")
    at_limit = run_cli(nested(40, style), {"KRMFN_MAX_DEPTH": "40"})
    # No functionConfig: exit 1 with that error, but the nested item comes back whole.
    assert "nests deeper" not in at_limit.err and "Traceback" not in at_limit.err
    assert json.dumps(at_limit.doc["items"]).count("[") == 40 - 1


@pytest.mark.parametrize("style", ["flow", "block", "json"])
def test_a_million_levels_are_refused_not_crashed(style):
    # The block form died of a segfault in libyaml's C composer before krmfn counted levels itself.
    # Who refuses first is the parser's business: libyaml from 0.2.5 (bundled with PyYAML 6.0.4)
    # stops flow nesting at 1000 levels while scanning, ahead of the events krmfn counts. What a
    # user relies on is the refusal: exit 1, nothing half-read, one error naming depth as the reason.
    run = run_cli(nested(1_000_000, style))
    assert run.rc == 1 and "Traceback" not in run.err and run.doc["items"] == []
    errors = run.results("error")
    assert len(errors) == 1 and errors[0]["message"].startswith("cannot read input:"), errors
    assert re.search(r"depth", errors[0]["message"], re.IGNORECASE), errors[0]["message"]


def test_default_depth_reads_and_writes_back():
    # 500 levels must not only read but also write: the dumper recurses too.
    run = run_cli(nested(500, "block"))
    assert "Traceback" not in run.err and "nests deeper" not in run.err
    assert json.dumps(run.doc["items"]).count("[") == 500 - 1


@pytest.mark.parametrize("args", [[], ["check", "-"]], ids=["function", "check"])
def test_an_endless_stdin_is_refused_at_the_limit(args):
    # krmfn reads one byte past the limit and stops, whatever is still coming.
    proc = subprocess.Popen([KRMFN, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "KRMFN_MAX_INPUT_BYTES": "100000"})
    try:
        while proc.poll() is None:
            proc.stdin.write(b"a: b\n" * 1000)
    except BrokenPipeError:
        pass
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and b"input is more than 100000 bytes" in err


def test_size_limit_is_exact_and_configurable():
    blob = "x" * 2_000_000  # a huge string: under the default limit it just passes through
    item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: blob}\n  data:\n    blob: " + blob + "\n"
    data = WITH_PLAN + item.encode()
    assert refused(run_cli(data, {"KRMFN_MAX_INPUT_BYTES": str(len(data) - 1)}),
                   f"input is more than {len(data) - 1} bytes (KRMFN_MAX_INPUT_BYTES)")
    for env in ({"KRMFN_MAX_INPUT_BYTES": str(len(data))}, None):
        run = run_cli(data, env)
        assert run.rc == 0, run.err
        # libyaml reads the 2 MB back quickly; the pure-Python 1.2 reader would take its time.
        assert read11(run.out)["items"][0]["data"]["blob"] == blob


def test_node_limit_is_configurable():
    # 100 aliases to a 12-node list: about 1,300 nodes once expanded.
    many = ", ".join(["*ten"] * 100)
    data = WITH_PLAN + f"""- apiVersion: v1
  kind: ConfigMap
  metadata: {{name: x}}
  data:
    ten: &ten [a, b, c, d, e, f, g, h, i, j, k]
    many: [{many}]
""".encode()
    assert refused(run_cli(data, {"KRMFN_MAX_NODES": "1000"}), "more than 1000 nodes (alias bomb?) (KRMFN_MAX_NODES)")
    run = run_cli(data, {"KRMFN_MAX_NODES": "2000"})
    assert run.rc == 0, run.err
    # Written out in full: anchors in a function's output would surprise every reader.
    assert "*ten" not in run.out and "&ten" not in run.out
    assert run.doc["items"][0]["data"]["many"] == [list("abcdefghijk")] * 100


def test_alias_bomb_with_a_trillion_nodes_is_refused():
    laughs = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 13)]
    data = HEAD + b"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n  data:\n" + "".join(
        f"    {line}\n" for line in laughs).encode()
    assert refused(run_cli(data), "alias bomb")


def test_many_objects_keep_their_identity():
    # Width, not depth: many small objects all come back, in order. JSON keeps this one quick.
    objs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}} for i in range(5000)]
    run = run_cli(json.dumps(resource_list(objs, plan(["IPv6"]))).encode())
    assert run.rc == 0, run.err
    assert [identity(o) for o in json.loads(run.out)["items"]] == [identity(o) for o in objs]


def test_alias_expansion_ratio_is_exact_and_configurable():
    # What aliases repeat is counted in nodes plus scalar characters, against the input's length
    # in characters (at least 64 KiB's worth). Here 100 aliases each repeat a list of 10 scalars
    # of 70 characters: 1 + 10 nodes and 700 characters each. A comment pads the input to exactly
    # that total, so a ratio of 1 is met exactly, and one character less is one unit over.
    k, m, n = 10, 70, 100
    repeated = n * (1 + k + k * m)
    anchor = "[" + ", ".join(["x" * m] * k) + "]"
    body = WITH_PLAN + f"""- apiVersion: v1
  kind: ConfigMap
  metadata: {{name: x}}
  data:
    one: &one {anchor}
    many: [{", ".join(["*one"] * n)}]
""".encode()
    assert repeated >= 64 * 1024 and len(body) < repeated  # the floor does not apply; room to pad

    def padded(length: int) -> bytes:
        return body + b"#" + b"p" * (length - len(body) - 2) + b"\n"

    at_limit = run_cli(padded(repeated), {"KRMFN_MAX_ALIAS_RATIO": "1"})
    assert at_limit.rc == 0, at_limit.err
    assert at_limit.doc["items"][0]["data"]["many"] == [["x" * m] * k] * n
    over = run_cli(padded(repeated - 1), {"KRMFN_MAX_ALIAS_RATIO": "1"})
    assert refused(over, f"more than 1 times the input's size (more than {repeated - 1} nodes and characters)")
    # The default ratio (10) lets the same input through.
    assert run_cli(padded(repeated - 1)).rc == 0

