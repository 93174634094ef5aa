"""Shared helpers of the reliability suite.

Running krmfn: ``run_cli`` starts the installed console script, the program kpt and
kustomize run; ``run_fn`` calls ``krmfn.function.run`` in-process, for properties that need
thousands of runs. Both give a ``Run``.

Reading YAML: ``read12`` is a YAML 1.2 reader independent of krmfn (ruamel.yaml's
pure-Python parser with the 1.2 core schema), so krmfn's output is never judged by krmfn's
own loader alone; ``read11`` is PyYAML's YAML 1.1 loader, which krmfn's quoting must also
satisfy. ``write12`` is the matching independent writer, for generated input.

Generating input: Hypothesis strategies for ResourceLists and the plans in them.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.resolver import VersionedResolver

from krmfn.function import run as krmfn_run

HERE = Path(__file__).parent
BAD_INPUTS = HERE / "bad_inputs"
# The console script pip installed beside this interpreter: what kpt's --exec runs.
KRMFN = Path(sys.executable).with_name("krmfn")
# Generous: a hostile input that got past a limit would hang and fail here, not pass slowly.
CLI_TIMEOUT = 120


# ---------------------------------------------------------------- running krmfn


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def doc(self) -> dict:
        return read12(self.out)

    def results(self, severity: str | None = None) -> list[dict]:
        return [r for r in self.doc.get("results") or [] if severity in (None, r["severity"])]


def run_cli(data: bytes, env: dict | None = None) -> Run:
    proc = subprocess.run(
        [str(KRMFN)], input=data, capture_output=True, timeout=CLI_TIMEOUT, env={**os.environ, **(env or {})}
    )
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def run_fn(data: bytes) -> Run:
    out, err = StringIO(), StringIO()
    rc = krmfn_run(data, out, err)
    return Run(rc, out.getvalue(), err.getvalue())


def split_results(text: str) -> tuple[str, str]:
    """(everything before the top-level results, the results), for YAML and JSON output alike.

    krmfn writes results last; in YAML only the top-level key starts a line unindented, and in
    JSON nested "results" keys come before the top-level one.
    """
    if text.startswith("{"):
        body, sep, tail = text.rpartition(', "results": [')
        return (body, sep + tail) if sep else (text, "")
    body, sep, tail = text.partition("\nresults:\n")
    return body + "\n", sep + tail


# ---------------------------------------------------------------- independent readers and writer


class _Core12Resolver(VersionedResolver):
    """The YAML 1.2.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), plus `<<`.

    ruamel's own 1.2 table also keeps 1.1 timestamps, `0b`/`_` integers and the `=` value tag,
    which neither the spec's core schema nor kustomize's go-yaml v3 resolves. `<<` merges, as
    in go-yaml v3 (kustomize, kpt).
    """

    _table: dict = {}

    @property
    def versioned_resolver(self) -> dict:
        return self._table


for _tag, _pattern, _first in [
    ("null", r"null|Null|NULL|~", "nN~"),
    ("null", r"", [""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+", "-+0123456789"),
    ("int", r"0o[0-7]+", "0"),
    ("int", r"0x[0-9a-fA-F]+", "0"),
    ("float", r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", "-+0123456789."),
    ("float", r"[-+]?(\.inf|\.Inf|\.INF)", "-+."),
    ("float", r"\.nan|\.NaN|\.NAN", "."),
    ("merge", r"<<", "<"),
]:
    for _ch in _first:
        _rule = (f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"))
        _Core12Resolver._table.setdefault(_ch, []).append(_rule)


class _Core12Constructor(SafeConstructor):
    """`<<` anywhere but as a key is text, as in go-yaml v3 and krmfn."""


_Core12Constructor.add_constructor("tag:yaml.org,2002:merge", SafeConstructor.construct_yaml_str)

class _Emitter(Emitter):
    def choose_scalar_style(self):
        # ruamel writes a NEL raw inside single quotes and reads it back as a line break (as
        # YAML 1.1 did): a bug of this writer, not of krmfn. Double quotes escape it.
        if self.event.value and "\x85" in self.event.value:
            return '"'
        return super().choose_scalar_style()


def _ruamel() -> YAML:
    y = YAML(typ="safe", pure=True)
    y.Resolver = _Core12Resolver
    y.Constructor = _Core12Constructor
    y.Emitter = _Emitter
    # Keys in the order they were generated: krmfn must keep the order it is given.
    y.sort_base_mapping_type_on_output = False
    y.allow_unicode = True
    y.default_flow_style = False
    y.width = 1 << 30
    return y


_R12 = _ruamel()


def read12(text: str):
    return _R12.load(text)


def write12(value) -> str:
    out = StringIO()
    _R12.dump(value, out)
    return out.getvalue()


def read11(text: str):
    return yaml.load(text, Loader=yaml.CSafeLoader)


def same(a, b) -> bool:
    """Equal values of the same JSON type: 1, 1.0 and true differ, and NaN equals NaN."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if _kind(a) != _kind(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _kind(value) -> str:
    for t in (bool, int, float, str):
        if isinstance(value, t):
            return t.__name__
    return type(value).__name__


# ---------------------------------------------------------------- ResourceLists


def resource_list(items: list, function_config=None) -> dict:
    doc = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}
    if function_config is not None:
        doc["functionConfig"] = function_config
    doc["items"] = items
    return doc


def plan(families: list[str], policy: str | None = None, **services) -> dict:
    spec: dict = {"ipFamilies": families}
    if policy:
        spec["ipFamilyPolicy"] = policy
    if services:
        spec["services"] = services
    return {"apiVersion": "krmfn.dev/v1alpha1", "kind": "IPv6Plan", "metadata": {"name": "ipv6"}, "spec": spec}


def identity(item) -> tuple:
    if not isinstance(item, dict):
        return ("not an object", json.dumps(item))
    md = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    return item.get("apiVersion"), item.get("kind"), md.get("namespace"), md.get("name")


# ---------------------------------------------------------------- Hypothesis strategies

# What the properties check is behaviour, not speed: no deadline, and no complaint when nested
# ResourceLists are slow to generate on a busy machine.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Scalars that some YAML reader takes for something other than the string they are.
TRICKY = [
    "yes", "no", "on", "off", "y", "n", "Y", "NO", "True", "FALSE", "~", "null", "Null", "", " ",
    "=", "<<", "0777", "0o17", "0x1F", "0b101", "22:22", "190:20:30", "1e3", "1_000", "+12", "-0",
    ".5", "1.50", ".inf", "-.inf", ".nan", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "123",
    " lead", "trail ", "a\nb", "line\n", "\n\n", "x\n ", "\t", "# not a comment", "- x", "key: value",
    "@x", "!x", "&x", "*x", "%x", "`x", "{x}", "[x]", "|", ">", "?", "'", '"', "\\", "üñí", "😀",
    "a\u2028b", "\x85", "\ufeffx", "a\r\nb", "a\0b",
]
# Labels that make an object part of a Helm release, which adapters may edit on purpose.
_CHART_LABELS = {"helm.sh/chart", "chart", "app.kubernetes.io/instance", "release"}
LOCAL_CONFIG = "config.kubernetes.io/local-config"

_keys = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
_strings = st.one_of(st.sampled_from(TRICKY), st.text(max_size=30))
# JSON input must stay JSON: no NaN or infinity among generated floats (".inf" is a string).
_scalars = st.one_of(
    _strings,
    st.integers(),
    st.integers(min_value=2**63, max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4), max_leaves=12
)
_names = st.one_of(st.sampled_from(["web", "db", "yes", "0777", "null", "true", "1e3", "on"]),
                  st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True))
_ipv4 = st.builds(lambda *o: ".".join(map(str, o)), *[st.integers(0, 255)] * 4)
_ipv6 = st.sampled_from(["fd00::1", "2001:db8::10", "::1", "fd00:10:96::a"])
FAMILIES = [["IPv6"], ["IPv4"], ["IPv6", "IPv4"], ["IPv4", "IPv6"]]


@st.composite
def metadata(draw) -> dict:
    md: dict = {"name": draw(_names)}
    if draw(st.booleans()):
        md["namespace"] = draw(st.sampled_from(["shop", "default", "kube-system", "yes"]))
    labels = draw(st.dictionaries(_keys.filter(lambda k: k not in _CHART_LABELS), _strings, max_size=3))
    if labels:
        md["labels"] = labels
    annotations = draw(st.dictionaries(_keys, _strings, max_size=3))
    if draw(st.integers(0, 9)) == 0:
        # Any value but "false" makes an object local to kustomize, and so to krmfn.
        annotations[LOCAL_CONFIG] = draw(st.sampled_from(["true", "True", "", None, "1", "false", False]))
    if annotations:
        md["annotations"] = annotations
    return md


@st.composite
def services(draw) -> dict:
    spec: dict = {}
    kind = draw(st.sampled_from([None, "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]))
    if kind:
        spec["type"] = kind
    if kind == "ExternalName":
        spec["externalName"] = "db.example.com"
    ip = draw(st.one_of(st.none(), st.just("None"), st.just(""), _ipv4, _ipv6))
    if ip is not None:
        spec["clusterIP"] = ip
        if ip and ip != "None" and draw(st.booleans()):
            spec["clusterIPs"] = [ip]
    if draw(st.booleans()):
        spec["selector"] = {"app": draw(_names)}
    if draw(st.booleans()):
        spec["ports"] = [{"port": draw(st.integers(1, 65535)), "protocol": "TCP"}]
    # Families the author already chose, valid or not: the plan decides whether they stay.
    if draw(st.booleans()):
        spec["ipFamilyPolicy"] = draw(st.sampled_from(["SingleStack", "PreferDualStack", "RequireDualStack", "Bogus"]))
    if draw(st.booleans()):
        spec["ipFamilies"] = draw(st.sampled_from(FAMILIES + [[], ["IPv5"]]))
    spec.update(draw(st.dictionaries(_keys.filter(lambda k: k not in spec), _values, max_size=2)))
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": draw(metadata())}
    if spec or draw(st.booleans()):
        svc["spec"] = spec
    return svc


# Kinds no other transform of krmfn reads (values sinks read HelmRelease, Application,
# Kustomization; verify.coreDNS reads kube-system/coredns): only Services may change.
OTHER_KINDS = [
    ("apps/v1", "Deployment"), ("v1", "ConfigMap"), ("v1", "Secret"), ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "Ingress"), ("example.com/v1", "Widget"),
    # A Service, but not the core one: krmfn must leave it alone.
    ("serving.knative.dev/v1", "Service"),
]


@st.composite
def other_objects(draw) -> dict:
    api, kind = draw(st.sampled_from(OTHER_KINDS))
    obj = {"apiVersion": api, "kind": kind, "metadata": draw(metadata())}
    obj.update(draw(st.dictionaries(_keys.filter(lambda k: k not in obj), _values, max_size=3)))
    return obj


@st.composite
def plans(draw) -> dict:
    families = draw(st.sampled_from(FAMILIES))
    fitting = ["SingleStack", "PreferDualStack"] if len(families) == 1 else ["PreferDualStack", "RequireDualStack"]
    policy = draw(st.sampled_from([None, *fitting]))
    if draw(st.integers(0, 4)) == 0:
        # The form `kpt fn eval -- ipFamilies=...` hands over.
        data = {"ipFamilies": ",".join(families), "override": draw(st.sampled_from(["true", "false"]))}
        if policy:
            data["ipFamilyPolicy"] = policy
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "krmfn"}, "data": data}
    exclude = draw(st.lists(st.one_of(
        st.builds(lambda n: {"name": n}, _names),
        st.builds(lambda ns: {"kind": "Service", "namespace": ns}, st.sampled_from(["shop", "default"])),
    ), max_size=2))
    return plan(families, policy, override=draw(st.booleans()), exclude=exclude)


_items = st.lists(
    st.one_of(services(), services(), other_objects(), st.sampled_from(["a string", 42, None, ["a", "list"]])),
    max_size=8,
)
resource_lists = st.builds(resource_list, _items, plans())
# How the ResourceList reaches krmfn: YAML from an independent 1.2 writer, or JSON.
encodings = st.sampled_from(["yaml", "json", "json-ascii"])


def encode(doc: dict, encoding: str) -> bytes:
    if encoding == "yaml":
        return write12(doc).encode()
    return json.dumps(doc, ensure_ascii=encoding == "json-ascii").encode()
