"""Where the rules look: pod templates and their containers, env, args, probes and hooks,
ConfigMap data, and the strings in all of them, each with its kpt-style field path."""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from krmfn.sdk import objects

# Where a pod spec sits, by shape rather than by kind, so that CRDs embedding a pod
# template (Argo Rollouts, operators' own kinds) are read too. Most specific first.
_POD_SPEC_PATHS = (
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("template", "spec"),
    ("spec",),
)
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")

# Kinds of strings, for rules that only care about some of them.
ENV, ARG, COMMAND, HANDLER, DATA = "env", "arg", "command", "handler", "data"

# ConfigMap keys holding prose (READMEs, NOTES) rather than configuration or scripts.
_PROSE = re.compile(r"(?i)(^(readme|notes|license)|\.(md|rst|txt|adoc|html?)$)")


def dig(node, *parts):
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def pod_spec(obj: dict) -> tuple[str, dict] | None:
    """The pod spec an object carries and its path, or None."""
    for parts in _POD_SPEC_PATHS:
        spec = dig(obj, *parts)
        if isinstance(spec, dict) and isinstance(spec.get("containers"), list):
            return ".".join(parts), spec
    return None


@dataclass(frozen=True)
class Container:
    path: str  # e.g. spec.template.spec.containers[0]
    spec: dict
    pod: dict  # the pod spec the container belongs to (volumes, hostNetwork)

    @property
    def image(self) -> str:
        """The image's repository name without registry, tag or digest: 'etcd', 'rabbitmq'."""
        ref = str(self.spec.get("image") or "").split("@")[0]
        name = ref.rsplit("/", 1)[-1]
        return name.split(":")[0]

    def env(self) -> Iterator[tuple[int, dict]]:
        """(index, entry) of the env entries that are maps."""
        for i, entry in enumerate(as_list(self.spec.get("env"))):
            if isinstance(entry, dict):
                yield i, entry

    def env_values(self) -> dict[str, str]:
        """Literal env values by name (the last one wins, as in the kubelet)."""
        return {str(e.get("name")): e["value"] for _, e in self.env() if isinstance(e.get("value"), str)}

    def config_mounts(self) -> Iterator[tuple[dict, str, str, dict]]:
        """(volumeMount, kind, name, volume source) of each mount a ConfigMap or a Secret backs."""
        # Names that are not strings name nothing a mount can refer to (and a list or map would not hash).
        volumes = {v["name"]: v for v in as_list(self.pod.get("volumes")) if isinstance(as_dict(v).get("name"), str)}
        for mount in as_list(self.spec.get("volumeMounts")):
            name = as_dict(mount).get("name")
            volume = volumes.get(name) if isinstance(name, str) else None
            for kind, field, name_field in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
                source = dig(volume, field)
                if isinstance(source, dict) and isinstance(source.get(name_field), str):
                    yield mount, kind, source[name_field], source
            # A projected volume merges several sources into one directory (rabbitmq 10.1.0+ mounts its config so).
            for part in as_list(dig(volume, "projected", "sources")):
                for kind, field in (("ConfigMap", "configMap"), ("Secret", "secret")):
                    source = dig(part, field)
                    if isinstance(source, dict) and isinstance(source.get("name"), str):
                        yield mount, kind, source["name"], source

    def configmaps(self) -> list[str]:
        """Names of the ConfigMaps mounted into the container."""
        return list(dict.fromkeys(name for _, kind, name, _ in self.config_mounts() if kind == "ConfigMap"))

    def config_objects(self) -> list[tuple[str, str]]:
        """(kind, name) of the ConfigMaps and Secrets mounted into the container."""
        return list(dict.fromkeys((kind, name) for _, kind, name, _ in self.config_mounts()))

    def handlers(self) -> Iterator[tuple[str, dict]]:
        """(path, handler) of the probes and lifecycle hooks: maps holding exec/httpGet/tcpSocket."""
        for name in PROBES:
            if isinstance(self.spec.get(name), dict):
                yield f"{self.path}.{name}", self.spec[name]
        lifecycle = as_dict(self.spec.get("lifecycle"))
        for name in HOOKS:
            if isinstance(lifecycle.get(name), dict):
                yield f"{self.path}.lifecycle.{name}", lifecycle[name]


def containers(obj: dict) -> list[Container]:
    found = pod_spec(obj)
    if found is None:
        return []
    path, spec = found
    return [
        Container(f"{path}.{field}[{i}]", c, spec)
        for field in _CONTAINER_LISTS
        for i, c in enumerate(as_list(spec.get(field)))
        if isinstance(c, dict)
    ]


@dataclass(frozen=True)
class Site:
    """One string a program will read: an env value, an argument, a script, a config file."""

    path: str
    value: str
    kind: str  # ENV, ARG, COMMAND, HANDLER or DATA
    key: str | None = None  # env name, ConfigMap key, or the flag an argument belongs to
    container: Container | None = None


def _items(path: str, items, kind: str, container: Container) -> Iterator[Site]:
    previous = None
    for i, item in enumerate(as_list(items)):
        if isinstance(item, str):
            # ["--bind", "0.0.0.0"] is one setting split over two items.
            flag = previous if previous and previous.startswith("-") and "=" not in previous else None
            yield Site(f"{path}[{i}]", item, kind, None if item.startswith("-") else flag, container)
        previous = item if isinstance(item, str) else None


def sites(obj: dict, container_list: list[Container]) -> list[Site]:
    """The strings of `obj`: those of its containers (as `containers(obj)` lists them), and ConfigMap data."""
    out: list[Site] = []
    for c in container_list:
        for i, entry in c.env():
            if isinstance(entry.get("value"), str):
                out.append(Site(f"{c.path}.env[{i}].value", entry["value"], ENV, str(entry.get("name")), c))
        out.extend(_items(f"{c.path}.command", c.spec.get("command"), COMMAND, c))
        out.extend(_items(f"{c.path}.args", c.spec.get("args"), ARG, c))
        for path, handler in c.handlers():
            out.extend(_items(f"{path}.exec.command", dig(handler, "exec", "command"), HANDLER, c))
    for key, value in config_texts(obj).items():
        out.append(Site(f"data.{key}", value, DATA, key))
    return out


def is_configmap(obj: dict) -> bool:
    return obj.get("kind") == "ConfigMap" and obj.get("apiVersion") == "v1"


def is_secret(obj: dict) -> bool:
    return obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


# Secret keys that name a config file (rabbitmq.conf since rabbitmq chart 10.1.0): read decoded.
# Other keys (passwords, certificates) are never read, so no finding can quote a secret value.
_CONFIG_FILE = re.compile(r"(?i)\.(conf|cfg|cnf|ini|ya?ml|json|properties|toml|xml|sh)$")


def config_texts(obj: dict) -> dict[str, str]:
    """The config files an object holds, by key: a ConfigMap's data, a Secret's config-file keys decoded."""
    if is_configmap(obj):
        return {str(k): v for k, v in as_dict(obj.get("data")).items() if isinstance(v, str) and not _PROSE.search(str(k))}
    if not is_secret(obj):
        return {}
    out = {}
    for key, value in as_dict(obj.get("data")).items():
        if isinstance(value, str) and _CONFIG_FILE.search(str(key)):
            try:
                out[str(key)] = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue  # not text: nothing a rule could read
    out.update({str(k): v for k, v in as_dict(obj.get("stringData")).items()
                if isinstance(v, str) and _CONFIG_FILE.search(str(k))})
    return out


_ABS_PATH = re.compile(r"(?<![\w.])/[\w.@+-]+(?:/[\w.@+-]+)*")


def _configmap_file(c: Container, path: str) -> tuple[str, str] | None:
    """(ConfigMap name, key) of the file at `path` in the container, if a ConfigMap provides it."""
    for mount, kind, _, cm in c.config_mounts():
        if kind != "ConfigMap":
            continue
        mount_path = str(mount.get("mountPath") or "").rstrip("/")
        if not mount_path:
            continue
        if mount.get("subPath"):
            if path != mount_path:
                continue
            rel = str(mount["subPath"])
        elif path.startswith(mount_path + "/"):
            rel = path[len(mount_path) + 1 :]
        else:
            continue
        items = {i.get("path"): i.get("key") for i in as_list(cm.get("items")) if isinstance(i, dict)}
        key = items.get(rel, None if items else rel)
        if key:
            return str(cm["name"]), str(key)
    return None


@dataclass(frozen=True)
class HookScript:
    """A script a probe or lifecycle hook runs, found in a ConfigMap mounted into the container."""

    workload: dict
    handler_path: str


class Bundle:
    """All objects of one audit, for rules that follow a reference to another object."""

    def __init__(self, items: list[dict]):
        self.items = items

    @cached_property
    def _by_ref(self) -> dict[tuple[str, str, str], dict]:
        return {(objects.kind(o), objects.namespace(o), objects.name(o)): o for o in self.items}

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self._by_ref.get((kind, namespace, name))

    @cached_property
    def mounts(self) -> dict[tuple[str, str, str], list[tuple[dict, Container]]]:
        """(kind, namespace, name) of a ConfigMap or Secret -> the workloads and containers that mount it."""
        out: dict[tuple[str, str, str], list[tuple[dict, Container]]] = {}
        for obj in self.items:
            for c in containers(obj):
                for kind, name in c.config_objects():
                    out.setdefault((kind, objects.namespace(obj), name), []).append((obj, c))
        return out

    @cached_property
    def hook_scripts(self) -> dict[tuple[str, str, str], list[HookScript]]:
        """(namespace, ConfigMap name, key) -> the probes and hooks that run that script."""
        out: dict[tuple[str, str, str], list[HookScript]] = {}
        for obj in self.items:
            for c in containers(obj):
                for path, handler in c.handlers():
                    for arg in as_list(dig(handler, "exec", "command")):
                        for file in _ABS_PATH.findall(str(arg)):
                            ref = _configmap_file(c, file)
                            if ref:
                                key = (objects.namespace(obj), *ref)
                                out.setdefault(key, []).append(HookScript(obj, path))
        return out


def netpol_peers(obj: dict) -> Iterator[tuple[str, list]]:
    """(path, peers) of each ingress `from` and egress `to` list of a NetworkPolicy."""
    if obj.get("kind") != "NetworkPolicy" or not str(obj.get("apiVersion", "")).startswith("networking.k8s.io/"):
        return
    spec = as_dict(obj.get("spec"))
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(spec.get(direction))):
            peers = as_dict(rule).get(peers_field)
            if isinstance(peers, list):
                yield f"spec.{direction}[{i}].{peers_field}", peers
