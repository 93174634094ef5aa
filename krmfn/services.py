"""The Service family injector: the render-time twin of a Kyverno policy adding ipFamilyPolicy/ipFamilies."""
from __future__ import annotations

import ipaddress

from krmfn.plan import IPv6Plan
from krmfn.sdk import objects
from krmfn.sdk.results import ERROR, INFO, WARNING, Result

FIELDS = ("ipFamilyPolicy", "ipFamilies")


def is_service(obj: dict) -> bool:
    return obj.get("kind") == "Service" and obj.get("apiVersion") == "v1"


def family_of(address) -> str | None:
    try:
        return "IPv6" if ipaddress.ip_address(str(address)).version == 6 else "IPv4"
    except ValueError:
        return None


def _pinned_address(spec: dict) -> tuple[str, str] | None:
    """The field and address that fix the Service's primary family, if an address is pinned."""
    ips = spec.get("clusterIPs")
    if isinstance(ips, list) and ips and family_of(ips[0]):
        return "spec.clusterIPs[0]", str(ips[0])
    ip = spec.get("clusterIP")
    if family_of(ip):
        return "spec.clusterIP", str(ip)
    return None


def is_selectorless_headless(spec: dict) -> bool:
    # The API server exempts these from RequireDualStack checks on single-stack clusters.
    return spec.get("clusterIP") == "None" and not spec.get("selector")


class _Tally:
    def __init__(self):
        self.changed = self.kept = self.skipped = 0


def inject(items: list[dict], plan: IPv6Plan, decided: set[tuple[str, str, str]] = frozenset()) -> list[Result]:
    """Set the plan's families on Services; ``decided`` holds (kind, namespace, name) of Services an adapter already set."""
    results: list[Result] = []
    tally = _Tally()
    want = {"ipFamilyPolicy": plan.policy, "ipFamilies": plan.families}
    exclude = [sel.model_dump(exclude_none=True) for sel in plan.spec.services.exclude]
    for svc in items:
        if not is_service(svc):
            continue
        if any(objects.matches(svc, sel) for sel in exclude):
            tally.skipped += 1
            continue
        if objects.identity(svc) in decided:
            tally.changed += 1
            continue
        spec = svc.setdefault("spec", {})
        if not isinstance(spec, dict):
            results.append(Result(f"spec must be a map, got {type(spec).__name__}", ERROR, svc, "spec"))
            tally.skipped += 1
            continue
        results.extend(_one(svc, spec, plan, want, tally))
    results.append(
        Result(
            f"Services: {tally.changed} changed, {tally.kept} kept as they were, {tally.skipped} skipped",
            INFO,
        )
    )
    return results


def _one(svc: dict, spec: dict, plan: IPv6Plan, want: dict, tally: _Tally) -> list[Result]:
    if spec.get("type") == "ExternalName":
        removed = {f: spec.pop(f) for f in FIELDS if f in spec}
        if not removed:
            tally.skipped += 1
            return []
        tally.changed += 1
        return [
            Result(
                f"removed {f}: the API server rejects it on ExternalName Services",
                WARNING, svc, f"spec.{f}", current=value,
            )
            for f, value in removed.items()
        ]

    pinned = _pinned_address(spec)
    if pinned and family_of(pinned[1]) != plan.primary:
        tally.skipped += 1
        return [
            Result(
                f"{pinned[1]} is an {family_of(pinned[1])} address but the plan's primary family is {plan.primary}: "
                "the API server rejects the mismatch and ipFamilies[0] cannot change on a live Service; "
                "remove the pinned address or exclude this Service",
                ERROR, svc, pinned[0], current=pinned[1],
            )
        ]

    present = {f: spec[f] for f in FIELDS if f in spec}
    malformed = _malformed(present)
    if malformed:
        tally.skipped += 1
        return [Result(f"{f} must be {shape}, got {_describe(present[f])}: Service left as it is",
                       ERROR, svc, f"spec.{f}", current=present[f]) for f, shape in malformed]
    if present and not plan.spec.services.override:
        tally.kept += 1
        return _conflicts(svc, spec, plan, want, present)

    out = []
    current_primary = (present.get("ipFamilies") or [None])[0]
    if present and current_primary and current_primary != plan.primary:
        out.append(
            Result(
                f"overriding ipFamilies[0] {current_primary} with {plan.primary}: the primary family is "
                "immutable on a live Service, so an existing one must be deleted and recreated",
                WARNING, svc, "spec.ipFamilies[0]", current=current_primary, proposed=plan.primary,
            )
        )
    spec["ipFamilyPolicy"] = want["ipFamilyPolicy"]
    spec["ipFamilies"] = list(want["ipFamilies"])
    tally.changed += 1
    return out


def _malformed(present: dict) -> list[tuple[str, str]]:
    """The family fields the API server would refuse for their shape, with the shape it wants.

    Comparing or indexing them as a list and a string would misread them: the first letter of
    ipFamilies: "IPv4" is not a family.
    """
    out = []
    policy, families = present.get("ipFamilyPolicy"), present.get("ipFamilies")
    if "ipFamilyPolicy" in present and not isinstance(policy, str):
        out.append(("ipFamilyPolicy", "a string"))
    if "ipFamilies" in present and not (isinstance(families, list) and all(isinstance(f, str) for f in families)):
        out.append(("ipFamilies", "a list of family names"))
    return out


def _describe(value) -> str:
    if isinstance(value, list):
        return "a list of " + ", ".join(sorted({type(v).__name__ for v in value}))
    return type(value).__name__


def _conflicts(svc: dict, spec: dict, plan: IPv6Plan, want: dict, present: dict) -> list[Result]:
    out = []
    for f, current in present.items():
        if current == want[f]:
            continue
        severity = WARNING
        note = "kept (set services.override: true to rewrite it)"
        if (
            f == "ipFamilyPolicy"
            and current == "RequireDualStack"
            and len(plan.families) == 1
            and not is_selectorless_headless(spec)
        ):
            severity = ERROR
            note = "the API server rejects RequireDualStack on a single-stack cluster"
        out.append(
            Result(
                f"{f} {_show(current)} conflicts with the plan's {_show(want[f])}: {note}",
                severity, svc, f"spec.{f}", current=current, proposed=want[f],
            )
        )
    return out


def _show(value) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)
