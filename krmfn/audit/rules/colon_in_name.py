"""Object names and label values with ':' in them, typically an IPv6 address put there."""
from __future__ import annotations

from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict, dig, pod_spec
from krmfn.sdk import objects
from krmfn.sdk.results import ERROR

ID = "colon-in-name"
TITLE = "':' in an object name or label value"
SEVERITY = ERROR
WHY = (
    "Names must be RFC 1123 subdomains and label values may hold only [A-Za-z0-9._-]: the API server rejects "
    "':'. It appears when a name or label is built from an IP address, and node names built from IPv6 addresses "
    "fail the same way (shared/ipv6-facts.md, Cluster plumbing). RBAC objects are exempt: their names may "
    "contain ':' (system:node)."
)

# RBAC names are path segments, where ':' is allowed and common (system:controller:...).
_RBAC = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def check(ctx: Context):
    name = objects.name(ctx.obj)
    if ":" in name and objects.kind(ctx.obj) not in _RBAC:
        yield Finding("metadata.name", name, "replace ':' (e.g. with '-'), or name the object after a host name")
    label_sets = [("metadata.labels", objects.labels(ctx.obj))]
    spec = pod_spec(ctx.obj)
    if spec and spec[0] != "spec":
        template = spec[0].rsplit(".spec", 1)[0]
        labels = as_dict(dig(ctx.obj, *template.split("."), "metadata", "labels"))
        label_sets.append((f"{template}.metadata.labels", labels))
    for path, labels in label_sets:
        for key, value in labels.items():
            if isinstance(value, str) and ":" in value:
                yield Finding(f"{path}.{key}", f"{key}: {value}", "replace ':' in the value (e.g. with '-')",
                              current=value)
