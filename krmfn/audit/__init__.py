"""The IPv6 hazard audit: rules that read rendered objects and say what will break on an
IPv6-only or dual-stack cluster, before it ships.

Each rule is a module in krmfn.audit.rules (ID, TITLE, SEVERITY, WHY, check(ctx)); this
module holds the registry and the runner that applies the plan's spec.audit settings and
the objects' krmfn.dev/ignore annotations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from krmfn.audit.context import UNSET, Context, Finding
from krmfn.audit.rules import ALL
from krmfn.audit.walk import Bundle
from krmfn.plan import IPv6Plan
from krmfn.sdk import objects
from krmfn.sdk.results import WARNING, Result

RULES: dict[str, ModuleType] = {rule.ID: rule for rule in ALL}
IGNORE = "krmfn.dev/ignore"  # its companion krmfn.dev/ignore-reason is for people (docs/audit.md)


@dataclass
class Hit:
    """A rule's finding on an object, with the severity the plan gives it."""

    rule: ModuleType
    severity: str
    obj: dict
    finding: Finding

    @property
    def message(self) -> str:
        f = self.finding
        return f"[{self.rule.ID}] {f.problem or self.rule.TITLE}: {f.found}; fix: {f.fix}"

    def result(self) -> Result:
        f = self.finding
        values = {k: v for k, v in (("current", f.current), ("proposed", f.proposed)) if v is not UNSET}
        return Result(self.message, self.severity, self.obj, f.path, **values)

    def to_dict(self) -> dict:
        """The KRM result plus the parts the message is made of, for machine readers."""
        return {"rule": self.rule.ID, **self.result().to_dict(), "found": self.finding.found, "fix": self.finding.fix}


@dataclass
class Report:
    hits: list[Hit] = field(default_factory=list)
    notes: list[Result] = field(default_factory=list)  # problems with the audit's own settings

    def results(self) -> list[Result]:
        return self.notes + [h.result() for h in self.hits]


def _unknown(ids, where: str, obj: dict | None = None, path: str | None = None) -> list[Result]:
    return [
        Result(f"{where} names unknown audit rule {i!r}; known rules: {', '.join(RULES)}", WARNING, obj, path)
        for i in ids
        if i not in RULES
    ]


def _ignored(obj: dict) -> set[str]:
    return {part.strip() for part in str(objects.annotations(obj).get(IGNORE, "")).split(",") if part.strip()}


def audit(items: list[dict], plan: IPv6Plan, skip: frozenset[str] = frozenset()) -> Report:
    settings = plan.spec.audit
    report = Report()
    report.notes += _unknown(settings.disable, "plan spec.audit.disable")
    report.notes += _unknown(settings.severity, "plan spec.audit.severity")
    enabled = [rule for rule in ALL if rule.ID not in settings.disable and rule.ID not in skip]
    items = [o for o in items if isinstance(o, dict) and not objects.is_local_config(o)]
    bundle = Bundle(items)
    for obj in items:
        ignored = _ignored(obj)
        report.notes += _unknown(sorted(ignored), f"annotation {IGNORE}", obj, f"metadata.annotations.{IGNORE}")
        ctx = Context(obj, plan, bundle)
        for rule in enabled:
            if rule.ID in ignored:
                continue
            for finding in rule.check(ctx):
                severity = settings.severity.get(rule.ID) or finding.severity or rule.SEVERITY
                report.hits.append(Hit(rule, severity, obj, finding))
    return report


def run(items: list[dict], plan: IPv6Plan, skip: frozenset[str] = frozenset()) -> list[Result]:
    """The audit as KRM results: what function mode appends after its transforms."""
    return audit(items, plan, skip).results()


__all__ = ["RULES", "Hit", "Report", "audit", "run"]
