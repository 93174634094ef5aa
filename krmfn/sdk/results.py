"""Results as the KRM Functions Specification defines them, and their one-line form for stderr."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from krmfn.sdk import objects

ERROR, WARNING, INFO = "error", "warning", "info"

_UNSET = object()


@dataclass
class Result:
    message: str
    severity: str = ERROR
    resource: dict | None = None
    path: str | None = None
    current: Any = _UNSET
    proposed: Any = _UNSET
    tags: dict = dc_field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict = {"message": self.message, "severity": self.severity}
        if self.resource is not None:
            out["resourceRef"] = objects.resource_ref(self.resource)
        if self.path:
            f: dict = {"path": self.path}
            if self.current is not _UNSET:
                f["currentValue"] = self.current
            if self.proposed is not _UNSET:
                f["proposedValue"] = self.proposed
            out["field"] = f
        if self.resource is not None:
            file = objects.file_ref(self.resource)
            if file:
                out["file"] = file
        if self.tags:
            out["tags"] = dict(self.tags)
        return out

    def line(self) -> str:
        """One readable line: kustomize drops structured results, so stderr must carry them."""
        parts = [f"krmfn: {self.severity}:"]
        if self.resource is not None:
            parts.append(objects.display_name(self.resource) + ":")
        if self.path:
            parts.append(self.path + ":")
        parts.append(self.message)
        if self.resource is not None:
            file = objects.file_ref(self.resource)
            if file:
                parts.append(f"({file['path']}" + (f"#{file['index']}" if "index" in file else "") + ")")
        return " ".join(" ".join(str(p).split()) for p in parts)


def has_errors(results: list[Result]) -> bool:
    return any(r.severity == ERROR for r in results)
