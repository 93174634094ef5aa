"""What a rule receives (the object, the plan, the other objects) and what it yields."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from krmfn.audit import walk
from krmfn.plan import IPv6Plan
from krmfn.sdk.results import WARNING

UNSET: Any = object()


@dataclass
class Finding:
    path: str  # kpt field path: spec.template.spec.containers[0].env[3].value, data.my.cnf
    found: str  # a short excerpt of what is there
    fix: str  # what to change, in words
    proposed: Any = UNSET  # the field's fixed value, when the fix is mechanical
    current: Any = UNSET
    problem: str | None = None  # replaces the rule's TITLE when the finding needs its own words
    severity: str | None = None  # replaces the rule's SEVERITY for this finding


class Context:
    def __init__(self, obj: dict, plan: IPv6Plan, bundle: walk.Bundle):
        self.obj = obj
        self.plan = plan
        self.bundle = bundle

    @cached_property
    def containers(self) -> list[walk.Container]:
        return walk.containers(self.obj)

    @cached_property
    def sites(self) -> list[walk.Site]:
        return walk.sites(self.obj, self.containers)

    def sites_of(self, *kinds: str) -> list[walk.Site]:
        return [s for s in self.sites if s.kind in kinds]

    @property
    def ipv6(self) -> bool:
        """IPv6 is one of the plan's families: IPv4-only listeners lose clients."""
        return "IPv6" in self.plan.families

    def reach_severity(self, severity: str) -> str:
        """An IPv4-only listener is fatal when IPv6 is the primary family and costs the IPv6
        clients only when IPv6 is secondary (dual-stack with IPv4 first)."""
        return severity if self.plan.primary == "IPv6" else WARNING

    @property
    def stack(self) -> str:
        return describe_plan(self.plan)


def describe_plan(plan: IPv6Plan) -> str:
    if len(plan.families) == 1:
        return f"{plan.primary} single-stack"
    return f"dual-stack ({', '.join(plan.families)})"
