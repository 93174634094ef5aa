"""A Service whose ipFamilies or pinned cluster IPs do not fit the plan's families."""
from __future__ import annotations

from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict, as_list
from krmfn.services import family_of, is_service
from krmfn.sdk.results import ERROR, WARNING

ID = "service-family"
TITLE = "Service IP families do not match the plan"
SEVERITY = ERROR
WHY = (
    "The API server rejects a Service asking for a family the cluster lacks "
    "(`spec.ipFamilies[0]: Invalid value: \"IPv4\": not configured on this cluster`, kubernetes/ingress-nginx#10370, "
    "#8175), and ipFamilies[0] can never change on a live Service (kubernetes/website#42227), so a primary family "
    "other than the plan's is a warning: it works, but fixing it later means delete and recreate. On a "
    "dual-stack plan an explicit SingleStack on a Service with a cluster IP leaves the other family's clients out "
    "(ingress-nginx 4.1.2 pins its controller Service to SingleStack/IPv4, shared/charts/FACTS.md §3.1)."
)


def check(ctx: Context):
    svc = ctx.obj
    if not is_service(svc):
        return
    spec = as_dict(svc.get("spec"))
    if spec.get("type") == "ExternalName":
        return  # externalname-families reports those
    plan = ctx.plan.families
    families = spec.get("ipFamilies")
    if isinstance(families, list) and families:
        missing = [f for f in families if f not in plan]
        if missing:
            yield Finding(
                "spec.ipFamilies", f"ipFamilies: [{', '.join(map(str, families))}]",
                f"`ipFamilies: [{', '.join(plan)}]`, or drop the field so the cluster's families apply",
                current=families, proposed=list(plan),
                problem=f"{' and '.join(map(str, missing))} is not a family of the plan ({ctx.stack}): "
                        "the API server rejects the Service",
            )
        elif families[0] != ctx.plan.primary:
            yield Finding(
                "spec.ipFamilies", f"ipFamilies: [{', '.join(families)}]",
                f"`ipFamilies: [{', '.join(plan)}]` before the Service is first created",
                current=families, proposed=list(plan), severity=WARNING,
                problem=f"primary family {families[0]} differs from the plan's {ctx.plan.primary}; "
                        "ipFamilies[0] is immutable on a live Service",
            )
    # Headless Services are left alone: one family for peer discovery is often deliberate (a redis-cluster
    # node announces a single address, valkey#337), and they have no cluster IP for clients to miss.
    if len(plan) == 2 and spec.get("ipFamilyPolicy") == "SingleStack" and spec.get("clusterIP") != "None":
        yield Finding(
            "spec.ipFamilyPolicy", "ipFamilyPolicy: SingleStack",
            "`PreferDualStack`, or exclude the Service in the plan if one family is intended",
            current="SingleStack", proposed="PreferDualStack", severity=WARNING,
            problem=f"pinned to one family on a {ctx.stack} plan: clients of the other family cannot reach it, "
                    "and the Service injector keeps explicit settings unless services.override is set",
        )
    pinned = [("spec.clusterIP", spec.get("clusterIP"))]
    pinned += [(f"spec.clusterIPs[{i}]", ip) for i, ip in enumerate(as_list(spec.get("clusterIPs")))]
    for path, address in pinned:
        family = family_of(address)
        if family and family not in plan:
            yield Finding(
                path, str(address), "remove the pinned address, or pin one of the plan's family",
                current=address, problem=f"pins an {family} address, a family the plan ({ctx.stack}) lacks",
            )
