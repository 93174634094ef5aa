"""The same variable defined twice in one container's env."""
from __future__ import annotations

from krmfn.audit.context import Context, Finding
from krmfn.sdk.results import WARNING

ID = "duplicate-env"
TITLE = "variable defined twice in one container's env"
SEVERITY = WARNING
WHY = (
    "The kubelet applies the last definition, but server-side and client-side apply merge env by name and may "
    "drop one of them; removing the duplicate later can remove the variable entirely (kubernetes/kubernetes#58477; "
    "the API server warns 'hides previous definition', kubernetes/kubernetes#122126). IPv6 overlays hit it by "
    "adding MONGODB_ENABLE_IPV6 or RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS through a chart's extraEnvVars when the "
    "chart already sets them (shared/charts/FACTS.md §3.6)."
)


def check(ctx: Context):
    for c in ctx.containers:
        first: dict[str, int] = {}
        for i, entry in c.env():
            name = entry.get("name")
            if not isinstance(name, str):
                continue
            if name in first:
                yield Finding(
                    f"{c.path}.env[{i}].name", f"{name} at env[{first[name]}] and env[{i}]",
                    "keep one entry: merge the values (e.g. both sets of Erlang arguments) or patch the chart's own "
                    "entry with a strategic-merge patch, which replaces it by name",
                )
            else:
                first[name] = i
