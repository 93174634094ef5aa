"""The schema of an adapter: what a catalog file (or a plan's inline ``spec.adapters``) holds."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from krmfn.adapters import semver
from krmfn.plan import DUAL_IPV4, DUAL_IPV6, IPV6
from krmfn.sdk import paths

Mode = Literal["ipv4", "ipv6", "dual-ipv4", "dual-ipv6"]
NON_IPV4: list[str] = [IPV6, DUAL_IPV4, DUAL_IPV6]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_path(v: str) -> str:
    paths.parse(v)
    return v


class ChartRef(_M):
    name: str
    versions: str = Field(..., description="Helm-style range, e.g. '>=8.0.0 <9.0.0' or '7.x'.")

    @field_validator("versions")
    @classmethod
    def _range(cls, v: str) -> str:
        if not semver.valid(v):
            raise ValueError(f"not a version range: {v!r}")
        return v


class Target(_M):
    """Objects of one chart instance: every field set must match."""

    kind: str = Field(..., description="Regular expression over kind: one chart part can be a Deployment or a StatefulSet.")
    name: str | None = Field(None, description="Regular expression over metadata.name ({release} expands).")
    component: str | None = Field(None, description="app.kubernetes.io/component (or component) label.")
    headless: bool | None = Field(None, description="Services only: clusterIP None or not.")


class Replace(_M):
    pattern: str
    replacement: str = Field(..., alias="with")
    count: Literal["one", "all"] = "all"


class Op(_M):
    """One edit at a path; exactly one of set / replace / mergeArgs / mergeYaml / append / delete."""

    path: str
    set: Any = None
    replace: list[Replace] | None = None
    mergeArgs: str | None = Field(None, description="Space-separated arguments merged into the string at path.")
    mergeYaml: dict | None = Field(None, description="A map deep-merged into the YAML document held in the string at path.")
    append: list | None = Field(None, description="Items added to the list at path unless an equal item is there.")
    delete: bool = False
    default: str | None = Field(None, description="Text to edit when the path is absent (replace, mergeArgs, mergeYaml).")

    _v = field_validator("path")(classmethod(lambda cls, v: _check_path(v)))

    @model_validator(mode="after")
    def _one(self) -> "Op":
        kinds = ("set", "replace", "mergeArgs", "mergeYaml", "append")
        given = [k for k in kinds if getattr(self, k) is not None] + (["delete"] if self.delete else [])
        if len(given) != 1:
            raise ValueError(f"an op needs exactly one of {', '.join(kinds)}, delete (got {given or 'none'})")
        return self


class Patch(_M):
    target: Target
    ops: list[Op]
    require: bool = Field(True, description="An instance without a matching object is an error.")
    missing: str | None = Field(
        None, description="What a missing target means for the user and what to do, said instead of the generic error."
    )


class Check(_M):
    """A post-condition over the rendered objects, run on both the values and the function path."""

    target: Target
    path: str
    equals: Any = None
    matches: str | None = None
    notMatches: str | None = None
    absent: bool = False
    on: list[Literal["values", "function"]] = Field(default_factory=lambda: ["values", "function"])

    _v = field_validator("path")(classmethod(lambda cls, v: _check_path(v)))


class OptionSpec(_M):
    enum: list[Any]
    default: Any
    description: str

    @model_validator(mode="after")
    def _default_in_enum(self) -> "OptionSpec":
        if self.default not in self.enum:
            raise ValueError(f"default {self.default!r} is not one of {self.enum}")
        return self


class Fact(_M):
    """A number read from the chart values (values path) or from the rendered objects (function path)."""

    values: str = Field(..., description="Path in the chart values.")
    default: int
    target: Target
    path: str
    # Some parts of a chart exist only behind a flag (redis sentinel, exporter sidecars): nothing
    # numeric in the render says so, and the values path only has the flag itself.
    count: bool = Field(
        False,
        description="Function path: how many matching objects have path; values path: a true/false flag counts 1/0.",
    )


class Condition(_M):
    """All given parts must hold."""

    versions: str | None = None
    option: dict[str, list[Any]] | None = Field(None, description="option name -> allowed values")
    factAbove: dict[str, int] | None = Field(None, description="fact name -> value it must exceed")
    any: list["Condition"] | None = None


class Change(_M):
    id: str
    why: str
    modes: list[Mode] = Field(default_factory=lambda: list(NON_IPV4))
    when: Condition | None = None
    values: list[Op] = Field(default_factory=list, description="Edits to the Helm values overlay.")
    patches: list[Patch] = Field(default_factory=list, description="Edits to the rendered objects.")
    create: list[dict] = Field(default_factory=list, description="Objects added to the render ({release}, {namespace}, {fullname}).")
    checks: list[Check] = Field(default_factory=list)
    warn: str | None = Field(None, description="A warning to report for every instance this change applies to.")
    familyFields: bool = Field(False, description="The change sets Service IP families; the injector leaves those Services alone.")


class Source(_M):
    title: str
    url: str


class AdapterSpec(_M):
    summary: str
    charts: list[ChartRef]
    fullname: str = Field("{release}-{chart}", description="How the chart names its objects; '{release}' when the release contains the chart name.")
    options: dict[str, OptionSpec] = Field(default_factory=dict)
    facts: dict[str, Fact] = Field(default_factory=dict)
    changes: list[Change]
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_mode_said(self) -> "AdapterSpec":
        # An adapter must say something about every non-IPv4 mode: a change or an explicit no-op.
        ids = [c.id for c in self.changes]
        if len(set(ids)) != len(ids):
            raise ValueError("change ids must be unique")
        missing = [m for m in NON_IPV4 if not any(m in c.modes for c in self.changes)]
        if missing:
            raise ValueError(f"no change (or explicit no-op change) for modes {missing}")
        return self


class Metadata(_M):
    name: str


class Adapter(_M):
    apiVersion: Literal["krmfn.dev/v1alpha1"]
    kind: Literal["Adapter"]
    metadata: Metadata
    spec: AdapterSpec

    @property
    def name(self) -> str:
        return self.metadata.name

    def supports(self, chart: str, version: str) -> bool:
        return any(c.name == chart and semver.matches(version, c.versions) for c in self.spec.charts)

