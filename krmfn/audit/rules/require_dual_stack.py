"""ipFamilyPolicy: RequireDualStack on a single-stack plan."""
from __future__ import annotations

from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict
from krmfn.services import is_selectorless_headless, is_service
from krmfn.sdk.results import ERROR

ID = "require-dual-stack"
TITLE = "RequireDualStack on a single-stack cluster"
SEVERITY = ERROR
WHY = (
    "The API server refuses it: 'this cluster is not configured for dual-stack services'. Selector-less headless "
    "Services are exempt: they default to RequireDualStack themselves (kubernetes "
    "pkg/registry/core/service/storage/alloc.go; shared/ipv6-facts.md, Kubernetes Service rules)."
)


def check(ctx: Context):
    if not is_service(ctx.obj) or len(ctx.plan.families) != 1:
        return
    spec = as_dict(ctx.obj.get("spec"))
    if spec.get("ipFamilyPolicy") == "RequireDualStack" and not is_selectorless_headless(spec):
        yield Finding(
            "spec.ipFamilyPolicy", "ipFamilyPolicy: RequireDualStack",
            "`PreferDualStack` (dual-stack where the cluster has it) or `SingleStack`",
            current="RequireDualStack", proposed="PreferDualStack",
        )
