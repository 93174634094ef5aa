"""A container env entry that shadows a key the same container loads through envFrom."""
from __future__ import annotations

import base64
import binascii

from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict, as_list
from krmfn.sdk import objects
from krmfn.sdk.results import WARNING

ID = "env-shadows-envfrom"
TITLE = "env entry shadows a variable the container loads through envFrom"
SEVERITY = WARNING
WHY = (
    "For the same name, a container's `env` entry wins over every `envFrom` source (Kubernetes: \"values defined "
    "by an env with a duplicate key will take precedence\"), so the ConfigMap's or Secret's value never reaches "
    "the program. Charts load their own settings through envFrom and put a user's extraEnvVars in env: a user "
    "who adds a flag by setting the same variable drops the chart's. bitnami/charts#34280: keycloak's "
    "JAVA_OPTS_APPEND from extraEnvVars (e.g. -Djava.net.preferIPv6Addresses=true) replaces the chart's "
    "-Djgroups.dns.query, and the nodes stop finding each other. By design the rule stays quiet when the env "
    "value carries every word of the value it shadows (nothing is lost: krmfn's own values overlay for keycloak "
    "before 25.3.0 does this on purpose), and when the source is not in the input or has no such key."
)


def _keys(obj: dict) -> dict[str, str | None]:
    """A ConfigMap's or Secret's keys and their text (None where it cannot be read: binary, undecodable)."""
    out: dict[str, str | None] = {}
    if objects.kind(obj) == "ConfigMap":
        out.update({str(k): None for k in as_dict(obj.get("binaryData"))})
        out.update({str(k): v if isinstance(v, str) else None for k, v in as_dict(obj.get("data")).items()})
        return out
    for k, v in as_dict(obj.get("data")).items():
        try:
            out[str(k)] = base64.b64decode(v, validate=True).decode("utf-8") if isinstance(v, str) else None
        except (binascii.Error, UnicodeDecodeError, ValueError):
            out[str(k)] = None
    out.update({str(k): v if isinstance(v, str) else None for k, v in as_dict(obj.get("stringData")).items()})
    return out


def _loaded(ctx: Context, spec: dict) -> dict[str, tuple[int, str, str, str, str | None]]:
    """Variable name -> (envFrom index, kind, source name, key, text) of the source that supplies it.

    Sources are read in order and a later one wins, as in the kubelet; a source that is not in the
    input (another release's, or `optional` and absent) supplies nothing this rule can know of.
    """
    namespace = objects.namespace(ctx.obj)
    out: dict[str, tuple[int, str, str, str, str | None]] = {}
    for j, item in enumerate(as_list(spec.get("envFrom"))):
        item = as_dict(item)
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = as_dict(item.get(field))
            name = ref.get("name")
            if not isinstance(name, str):
                continue
            source = ctx.bundle.get(kind, namespace, name)
            if source is None:
                continue
            prefix = item.get("prefix") if isinstance(item.get("prefix"), str) else ""
            for key, text in _keys(source).items():
                out[prefix + key] = (j, kind, name, key, text)
    return out


def check(ctx: Context):
    for c in ctx.containers:
        loaded = _loaded(ctx, c.spec)
        if not loaded:
            continue
        container = c.spec.get("name", "?")
        for i, entry in c.env():
            name = entry.get("name")
            if not isinstance(name, str) or name not in loaded:
                continue
            j, kind, source, key, text = loaded[name]
            value = entry.get("value")
            if isinstance(value, str) and text is not None and set(text.split()) <= set(value.split()):
                continue  # the env value carries all of the shadowed one
            # A Secret's value is never quoted; of a ConfigMap's, the words the env value lacks are what is lost.
            have = set(value.split()) if isinstance(value, str) else set()
            missing = " ".join(w for w in (text or "").split() if w not in have)
            lost = f", losing `{_short(missing)}`" if kind == "ConfigMap" and missing else ""
            yield Finding(
                f"{c.path}.env[{i}]",
                f"container {container}: env {name} shadows {kind} {source} key {key} (envFrom[{j}]){lost}",
                f"carry the {kind}'s value in the env entry (every word of it), set your part where the chart "
                "appends to it (keycloak 25.3.0+: cache.javaOptsAppendExtra), or drop the env entry",
            )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:97] + "..."
