"""Fuzz cases: real chart renders, plans and their serialised text, mutated with structure in mind.

A case is built from its seed alone (random.Random(str) hashes with SHA-512, so PYTHONHASHSEED
does not move it): a few objects from one or two real renders (tests/charts.py), a valid plan
variant, then mutations of three kinds:

* structure: a node of an object replaced by a value krmfn may not expect (wrong type, YAML
  1.1 look-alike, long hex integer, regex characters in a name, an address with a port), a key
  deleted or added, a list item doubled, an object copied (duplicates), a Service's family
  fields, a local-config annotation with any value;
* plan: the same on the functionConfig, or its ConfigMap form;
* text: lines dropped, doubled, swapped or re-indented, YAML syntax inserted (anchors, aliases,
  tags, merge keys, flow brackets, quotes, document markers), bytes flipped, truncation, BOM
  and CRLF.

Left out on purpose, because they belong to the adapter engine being rewritten (issue 13,
items 3, 4 and 7): inline adapters (`spec.adapters`), and regex characters in the chart
labels and names that adapters expand into regexes (`app.kubernetes.io/instance`, `release`,
names of objects that carry chart labels). The fuzzer mutates other values of those objects.
"""
from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from functools import cache

from krmfn.sdk import yaml12
from tests import charts

MODES = ("function", "render", "check")
CHART_LABELS = ("helm.sh/chart", "chart", "app.kubernetes.io/instance", "release")
LOCAL = "config.kubernetes.io/local-config"
# Values that broke, or could break, something that reads a field: each type, YAML 1.1
# look-alikes, numbers only hex and octal can write long, names kustomize reads as regexes,
# addresses with and without ports and brackets.
SCALARS = [
    None, True, False, 0, -1, 1.5, 2 ** 70, "", " ", "true", "yes", "no", "on", "null", "~", "0777", "0x1F", "1e3",
    "22:22", "=", "<<", "IPv4", "IPv6", "SingleStack", "RequireDualStack", "PreferDualStack", "ExternalName",
    "None", "0.0.0.0", "::", "::1", "fe80::1", "10.96.0.10", "fd00::10", "2001:db8::5:6379", "[fd00::1]:80",
    "http://fd00::1:2379", "bind 0.0.0.0", "web+", "a.b", "x\\y", "(", "[z]", "$(rm -rf)", "../..", "é日本",
    "\t", "line\nline", "x" * 300, "-", "--bind=0.0.0.0", "0.0.0.0/0", "::/0",
]
SHAPES = [[], {}, ["IPv4", "IPv6"], ["IPv6", "IPv6"], [None], {"x": 1}, {"": ""}, [[[]]], {"name": {"x": [1]}}]
TOKENS = ["&a ", "*a", "!!str ", "!!int ", "!!map ", "!foo ", "<<: *a\n", "{", "}", "[", "]", "\"", "'", ": ",
          "- ", "\t", "#", "? ", "---\n", "...\n", "%YAML 1.1\n", "|", ">", "&a [1, 2]", "*undefined", ",",
          "0x" + "f" * 40, "0o" + "7" * 40, "\\u0000", "\x85", "\u2028", "\ufeff"]


@dataclass
class Case:
    seed: str
    mode: str
    data: bytes  # stdin in function mode, the manifests file for render and check
    plan: bytes | None  # the --plan file for render and check (None: check takes the functionConfig)
    doc: object  # the ResourceList before its text was mutated, or None when the text was
    kinds: tuple[str, ...]  # what was done, for the report


# Inputs the renders lack, for the transforms only they reach: a HelmRelease and an Argo CD
# Application (values sinks), Services with a NetworkPolicy, the reliability suite's shop.
EXTRA_SEEDS = ("examples/flux/release/ingress-nginx.yaml", "examples/argocd/apps/ingress-nginx.yaml",
               "examples/flux/hydrated/input/app.yaml", "tests/reliability/realistic.yaml")


@cache
def renders() -> tuple[tuple[str, tuple[dict, ...]], ...]:
    """Every real render of tests/charts.py and the extra seeds, read once: (name, objects)."""
    out = [(c.id, tuple(charts.render(c.archive, c.values))) for c in charts.cases()]
    for path in EXTRA_SEEDS:
        docs = [d for d in yaml12.load_all((charts.ROOT / path).read_text()) if isinstance(d, dict)]
        objs = [o for d in docs for o in (d["items"] if d.get("kind") == "ResourceList" else [d])]
        out.append((path, tuple(objs)))
    return tuple(out)


def _pick_objects(rng: random.Random) -> list[dict]:
    out = []
    for _, objs in rng.sample(renders(), rng.choice((1, 1, 2))):
        # Whole renders half the time, so that adapters find every object they edit and run to the end.
        k = len(objs) if rng.random() < 0.5 else rng.randint(1, len(objs))
        out += copy.deepcopy(rng.sample(objs, k))
    if rng.random() < 0.4:
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{rng.randint(0, 9)}"},
                    "spec": {"ports": [{"port": 80}]}})
    return out


def _plan(rng: random.Random) -> dict:
    mode = rng.choice(sorted(charts.PLANS))
    spec: dict = {}
    if rng.random() < 0.3:
        spec["services"] = {"override": rng.random() < 0.5,
                            "exclude": rng.choice([[], [{"kind": "Service"}], [{"labels": {"app": "x"}}]])}
    if rng.random() < 0.2:
        spec["networkPolicies"] = "twin"
    if rng.random() < 0.1:
        spec["verify"] = {"coreDNS": True}
    if rng.random() < 0.1:
        spec["audit"] = {"disable": ["duplicate-env"], "severity": {"loopback-probe": "error"}}
    if rng.random() < 0.1:
        spec["components"] = [{"adapter": rng.choice(["mysql", "rabbitmq", "redis", "nope"])}]
    out = copy.deepcopy(charts.plan(mode, **spec))  # charts.plan shares its family lists
    if rng.random() < 0.1:
        data = {"ipFamilies": ",".join(charts.PLANS[mode])}
        if "services" in spec:
            data["override"] = str(spec["services"]["override"]).lower()
        out = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": data}
    return out


def _nodes(value, path=()):
    """(path, container, key) of every node under value, for picking one to mutate."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), value, k
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,), value, i
            yield from _nodes(v, path + (i,))


def _protected(obj: dict, path: tuple) -> bool:
    """Labels and names the adapter engine expands into regexes (items 3, 4: not fuzzed here)."""
    if path[:2] == ("metadata", "name") and any(k in CHART_LABELS for k in _labels(obj)):
        return True
    return any(p in CHART_LABELS for p in path) or "adapters" in path


def _labels(obj: dict) -> dict:
    md = obj.get("metadata") if isinstance(obj, dict) else None
    lab = md.get("labels") if isinstance(md, dict) else None
    return lab if isinstance(lab, dict) else {}


def random_value(rng: random.Random):
    roll = rng.random()
    if roll < 0.65:
        return rng.choice(SCALARS)
    if roll < 0.9:
        return copy.deepcopy(rng.choice(SHAPES))
    return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 12)))


def mutate_tree(rng: random.Random, root) -> str:
    """One structure mutation anywhere under root; returns its name."""
    nodes = [n for n in _nodes(root) if not _protected(root, n[0])]
    if not nodes:
        return "none"
    path, parent, key = rng.choice(nodes)
    op = rng.choice(("replace", "replace", "replace", "delete", "add", "double", "wrap", "unwrap"))
    if op == "replace":
        parent[key] = random_value(rng)
    elif op == "delete":
        del parent[key]
    elif op == "add" and isinstance(parent[key], dict):
        parent[key][rng.choice(["x", "1", "name", "spec", "ipFamilies", LOCAL, "<<", ""])] = random_value(rng)
    elif op == "double" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif op == "wrap":
        parent[key] = [parent[key]]
    elif op == "unwrap" and isinstance(parent[key], (dict, list)) and parent[key]:
        inner = parent[key]
        parent[key] = next(iter(inner.values())) if isinstance(inner, dict) else inner[0]
    else:
        op = "replace"
        parent[key] = random_value(rng)
    return op


def mutate_object(rng: random.Random, objs: list, index: int) -> str:
    """A mutation aimed at what krmfn reads: Service families, annotations, identity, or any node."""
    obj = objs[index]
    if not isinstance(obj, dict):
        return "none"
    roll = rng.random()
    md = obj.setdefault("metadata", {}) if isinstance(obj.get("metadata", {}), dict) else {}
    if roll < 0.25 and obj.get("kind") == "Service":
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            field = rng.choice(["ipFamilies", "ipFamilyPolicy", "clusterIP", "clusterIPs", "type", "selector"])
            spec[field] = random_value(rng)
            return f"service.{field}"
    if roll < 0.35:
        ann = md.setdefault("annotations", {})
        if isinstance(ann, dict):
            ann[rng.choice([LOCAL, "krmfn.dev/ignore", "config.kubernetes.io/path"])] = random_value(rng)
            return "annotation"
    if roll < 0.42:
        objs.insert(rng.randint(0, len(objs)), copy.deepcopy(obj))
        return "duplicate"
    if roll < 0.5 and not any(k in CHART_LABELS for k in _labels(obj)):
        md["name"] = rng.choice(["web+", "a.b", "x\\y", "(p)|q", "svc-1", "", "日本", rng.choice(SCALARS)])
        return "name"
    return "tree." + mutate_tree(rng, obj)


def mutate_text(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    op = rng.choice(("drop", "double", "swap", "indent", "token", "token", "flip", "truncate", "bom", "crlf"))
    i = rng.randrange(len(lines))
    if op == "drop":
        del lines[i]
    elif op == "double":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        lines[i] = (" " * rng.choice((1, 2, 4)) + lines[i]) if rng.random() < 0.5 else lines[i].lstrip()
    elif op == "token":
        pos = rng.randint(0, len(lines[i]))
        lines[i] = lines[i][:pos] + rng.choice(TOKENS) + lines[i][pos:]
    elif op == "flip" and lines[i]:
        pos = rng.randrange(len(lines[i]))
        lines[i] = lines[i][:pos] + chr(rng.choice((0x20, 0x23, 0x3A, 0x22, 0x27, 0x7B, 0x5B, 0x26, 0x2A,
                                                     rng.randint(1, 0x10FF)))) + lines[i][pos + 1:]
    elif op == "truncate":
        return text[: rng.randrange(len(text) or 1)]
    elif op == "bom":
        return "\ufeff" + text
    elif op == "crlf":
        return text.replace("\n", "\r\n")
    return "\n".join(lines)


def _encode(rng: random.Random, doc) -> str:
    roll = rng.random()
    if roll < 0.65:
        return yaml12.dump(doc)
    return json.dumps(doc, ensure_ascii=roll < 0.75, default=str)


def make(base_seed: str, n: int) -> Case:
    """The n-th case of a run: everything follows from f"{base_seed}:{n}"."""
    seed = f"{base_seed}:{n}"
    rng = random.Random(seed)
    roll = rng.random()
    mode = "function" if roll < 0.8 else ("render" if roll < 0.9 else "check")
    objs = _pick_objects(rng)
    plan = _plan(rng)
    kinds = []
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
        kinds.append(mutate_object(rng, objs, rng.randrange(len(objs))))
    if rng.random() < 0.2:
        kinds.append("plan." + mutate_tree(rng, plan))
    doc = charts.resource_list(objs, plan) if mode == "function" else objs
    text = _encode(rng, doc) if mode == "function" else yaml12.dump_all(objs)
    plan_text = None if mode == "function" else yaml12.dump(plan)
    if rng.random() < 0.25:
        kinds.append("text." + (op := rng.choice(("input", "input", "plan"))))
        if op == "plan" and plan_text is not None:
            plan_text = mutate_text(rng, plan_text)
        else:
            text = mutate_text(rng, text)
            doc = None
    if mode == "check" and rng.random() < 0.3:
        # check without --plan reads the functionConfig of a ResourceList input.
        text, plan_text = yaml12.dump(charts.resource_list(objs, plan)), None
    data = text.encode("utf-8", "surrogatepass")
    return Case(seed, mode, data, None if plan_text is None else plan_text.encode("utf-8", "surrogatepass"), doc,
                tuple(kinds))
