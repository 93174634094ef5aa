"""The schema of an adapter: what a catalog file (or a plan's inline ``spec.adapters``) holds.

One component is one adapter. Its **intents** say, once, what must be true on an IPv6 cluster
(edits, checks, modes, why); its **ranges** say, per chart version range, where that chart line
keeps each thing (**places**: the objects and field on the function path, the values keys on the
values path). A range restates only what differs from the range before it. Edits and checks name
places, never objects: so one intent serves every version, and objects are found by kind, labels
and content, never by names re-derived from the release.
"""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from krmfn.adapters import semver
from krmfn.plan import DUAL_IPV4, DUAL_IPV6, IPV6
from krmfn.sdk import paths

API_VERSION = "krmfn.dev/v1alpha2"
Mode = Literal["ipv4", "ipv6", "dual-ipv4", "dual-ipv6"]
# postRender: a Flux HelmRelease's spec.postRenderers kustomize patch (krmfn.values_sinks.postrender),
# for what a chart has no value for; only `set` edits at a `named` place can be one.
Path = Literal["values", "function", "postRender"]
NON_IPV4: list[str] = [IPV6, DUAL_IPV4, DUAL_IPV6]
_BOTH = ["values", "function"]
# Names a template may use: the plan's and the instance's facts, nothing the input can choose.
PLACEHOLDERS = frozenset(
    {"release", "namespace", "chart", "version", "fullname", "primary", "families", "policy", "wildcard", "loopback"}
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _path(v: str | None) -> str | None:
    if v is not None:
        paths.parse(v)
    return v


def _placeholders(value: Any, options: set[str]) -> None:
    """Refuse `{nope}` in templates: it would reach the output verbatim."""
    if isinstance(value, str):
        for name in _PLACEHOLDER.findall(value):
            if name not in PLACEHOLDERS and name.removeprefix("option.") not in options:
                raise ValueError(f"unknown placeholder {{{name}}}; known: {', '.join(sorted(PLACEHOLDERS))}, option.NAME")
    elif isinstance(value, dict):
        for k, v in value.items():
            _placeholders(k, options)
            _placeholders(v, options)
    elif isinstance(value, list):
        for v in value:
            _placeholders(v, options)


class Select(_M):
    """Which objects of a chart instance: every field given must hold. No names: they change with overrides."""

    kind: list[str] = Field(..., description="Kinds, exactly (a chart part can be a Deployment or a StatefulSet); "
                            "[] for a place that exists only in the values.")
    component: str | None = Field(None, description="app.kubernetes.io/component (or the older `component`) label.")
    chart: str | None = Field(None, description="A subchart's name: its objects belong to the same release.")
    has: str | None = Field(None, description="A path that must exist in the object, e.g. data[my.cnf].")
    lacks: str | None = Field(None, description="A path that must not exist in the object.")
    headless: bool | None = Field(None, description="Services only: clusterIP None or not.")
    argOf: str | None = Field(None, description="Named by this flag (`--configmap=NS/NAME`) in a container of the instance.")
    nameSuffix: str | None = Field(None, description="The name ends with this: a suffix the chart's templates put after "
                                   "its fullname (`-internal`), which no release name or override changes.")
    lacksNameSuffix: str | None = Field(None, description="The name does not end with this (tells `NAME` from `NAME-internal`).")

    @field_validator("kind", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, str) else v

    _p = field_validator("has", "lacks")(classmethod(lambda cls, v: _path(v)))


class VersionDefault(_M):
    """The chart's default at some versions inside a range that have no archive of their own."""

    versions: str = Field(..., description="'>=A <B' inside the range, holding no evidence archive.")
    default: Any = Field(..., description="The chart's default at those versions (cite the commit in the range's why).")

    @field_validator("versions")
    @classmethod
    def _range(cls, v: str) -> str:
        semver.bounds(v)
        return v


class ValuesAt(_M):
    path: str = Field(..., description="A key in the chart's values.")
    default: Any = Field(None, description="The chart's default there, which an edit starts from when the user set none.")
    defaults: list[VersionDefault] = Field(
        default_factory=list,
        description="Where the chart's default changed inside the range at versions without an archive: the first "
                    "entry covering the chart version is the default there instead of `default` (which the evidence "
                    "archives prove).")

    _p = field_validator("path")(classmethod(lambda cls, v: _path(v)))

    def default_for(self, version: str) -> Any:
        """The chart's default at this version."""
        return next((d.default for d in self.defaults if semver.matches(version, d.versions)), self.default)


class Rendered(_M):
    """What the chart renders at a place while the values leave `unless` alone: where a post-renderer's edit starts."""

    default: str = Field(..., description="The rendered text, from the chart's template and default values.")
    unless: list[str] = Field(default_factory=list, description="Values keys that change that text: with one set, the "
                              "edit is not in the post-renderer, and the HelmRelease says so.")
    when: str | None = Field(None, description="The values key that renders the field at all (a flag, false by default).")


class Place(Select):
    """Where a chart line keeps one thing, on both delivery paths."""

    path: str = Field(..., description="Field in each selected object (a Secret's data is read and written decoded).")
    values: list[ValuesAt] = Field(default_factory=list, description="Values keys holding the same thing; none: function path only.")
    optional: bool = Field(False, description="A render without such an object is fine (e.g. a part behind a flag).")
    expected: str | None = Field(None, description="Why the object is expected (template lines), said when it is missing.")
    create: dict | None = Field(None, description="Function path: the object added when none is selected.")
    named: str | None = Field(None, description="The name the chart's templates give the object, from {fullname} as "
                              "Helm makes it of the release and the values: what a post-renderer patch targets, where "
                              "no rendered object is there to select by content.")
    rendered: Rendered | None = Field(None, description="What the chart renders here: lets a post-renderer edit text "
                                      "(urlHost, ensureLine) it cannot read.")

    _q = field_validator("path")(classmethod(lambda cls, v: _path(v)))

    @field_validator("values", mode="before")
    @classmethod
    def _short(cls, v):
        return [{"path": x} if isinstance(x, str) else x for x in v]


class Line(_M):
    """A `key = value` line of a config text (my.cnf, rabbitmq.conf, zoo.cfg, redis.conf)."""

    key: str
    value: str | None = None
    section: str | None = Field(None, description="INI section the line belongs in, e.g. mysqld.")
    sep: str = Field("=", description="What joins key and value: '=', ' = ' (either reads any spacing), or ' ' (redis.conf).")
    ifKey: str | None = Field(None, description="Only when the text already has a line with this key.")
    spellings: list[str] = Field(default_factory=list, description="Other names of the key (bind_address).")
    unlessEmpty: bool = Field(False, description="An empty text stays empty: for a value whose empty text means "
                              "\"no file\" to the chart (zookeeper's `configuration: \"\"`), never a file of one line.")
    option: str | None = Field(None, description="The key's value is a `;`-separated list of name=value options, "
                               "quoted or not (Galera's wsrep_provider_options): only this option is set to the value, "
                               "the others stay; a new line says `key=\"option=value\"`.")


class Env(_M):
    name: str
    value: str


class UrlHost(_M):
    """Swap the host of every URL in a comma-separated list, keeping scheme, port and path."""

    host: str = Field(..., alias="from")
    to: str


class Twin(_M):
    """pg_hba.conf-style rules: each host rule for one address paired with the same rule for another."""

    source: str = Field(..., alias="from", description="The address a rule names, e.g. 0.0.0.0/0.")
    to: str = Field(..., description="The address of its twin, e.g. ::/0.")


class Edit(_M):
    """One change at a place; exactly one of the op fields."""

    at: str
    path: str | None = Field(None, description="A field below the place's path.")
    on: list[Path] = Field(default_factory=lambda: list(_BOTH))
    set: Any = None
    fill: Any = Field(None, description="Set only where the field is empty or missing.")
    setEnv: Env | None = Field(None, description="The env entry of that name, its value set in place (added if missing).")
    ensureLine: Line | None = None
    mergeArgs: str | None = Field(None, description="Flags merged into a command-line string, each flag once.")
    mergeYaml: dict | None = Field(None, description="Deep-merged into the YAML map (or YAML text) at the place.")
    append: list | None = Field(None, description="Added to the list unless an equal item is there.")
    urlHost: UrlHost | None = None
    ensureText: str | None = Field(None, description="A block of lines appended to the text unless it holds them already.")
    twinRules: Twin | None = Field(None, description="pg_hba.conf / pool_hba.conf: each host rule for `from` followed "
                                   "by the same rule for `to`, unless the text has it.")

    _p = field_validator("path")(classmethod(lambda cls, v: _path(v)))

    @model_validator(mode="after")
    def _one(self) -> "Edit":
        given = [k for k in OPS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"an edit needs exactly one of {', '.join(OPS)} (got {given or 'none'})")
        return self


OPS = ("set", "fill", "setEnv", "ensureLine", "mergeArgs", "mergeYaml", "append", "urlHost", "ensureText", "twinRules")


class LineCheck(_M):
    key: str
    values: list[str] = Field(default_factory=list, description="line: every line of the key says one of these "
                              "(and there is one); noLine: no line says one of these (any, when empty and no `lacking`).")
    lacking: str | None = Field(None, description="noLine: a line whose value lacks this text is the wrong one.")
    spellings: list[str] = Field(default_factory=list)
    sep: str = "="
    ifKey: str | None = Field(None, description="Only texts with a line of this key are checked.")


class Check(_M):
    """A post-condition at a place, over the final objects (function path) or the values render."""

    at: str
    path: str | None = None
    on: list[Path] = Field(default_factory=lambda: list(_BOTH))
    equals: Any = None
    oneOf: list | None = None
    includes: Any = Field(None, description="The list holds this item.")
    absent: bool = False
    line: LineCheck | None = None
    noLine: LineCheck | None = Field(None, description="No line of the key says one of values (or any, when values is empty).")
    hasArgs: str | None = Field(None, description="The command-line string carries these flags with these arguments.")
    envOnce: str | None = Field(None, description="The env list defines this name exactly once.")
    yaml: dict | None = Field(None, description="The YAML text (or map) holds these dotted keys with these values.")
    urlHosts: list[str] | None = Field(None, description="Every URL of the comma-separated list has one of these hosts.")
    urlsByName: bool | None = Field(None, description="Every URL of the comma-separated list names its host, not an address.")
    twinRules: Twin | None = Field(None, description="pg_hba.conf / pool_hba.conf: every host rule for `from` has its "
                                   "twin for `to` (same type, databases, users, method and options).")
    matches: str | None = Field(None, description="A regular expression the text must match (search).")
    notMatches: str | None = Field(None, description="A regular expression the text must not match (search).")

    _p = field_validator("path")(classmethod(lambda cls, v: _path(v)))

    @field_validator("matches", "notMatches")
    @classmethod
    def _regex(cls, v):
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"not a regular expression: {e}") from None
        return v

    @model_validator(mode="after")
    def _one(self) -> "Check":
        kinds = ("equals", "oneOf", "includes", "line", "noLine", "hasArgs", "envOnce", "yaml", "urlHosts", "urlsByName",
                 "twinRules", "matches", "notMatches")
        given = [k for k in kinds if getattr(self, k) is not None] + (["absent"] if self.absent else [])
        if len(given) != 1:
            raise ValueError(f"a check needs exactly one of {', '.join(kinds)}, absent (got {given or 'none'})")
        return self


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
    """A number: from the rendered objects at a place (function path) or from the values (values path)."""

    at: str
    values: str
    default: int
    count: bool = Field(False, description="How many selected objects have the place's field (values: a flag counts 1/0, "
                        "a text 1 when not empty).")
    valueIs: str | None = Field(None, description="Values path: 1 when the key says this text, 0 when it says another, "
                                "`default` when unset (architecture: replication); with count on the function path.")


class Condition(_M):
    option: dict[str, list[Any]] | None = Field(None, description="option name -> allowed values")
    factAbove: dict[str, int] | None = Field(None, description="fact name -> value it must exceed")
    any: list["Condition"] | None = None


class Restart(_M):
    """A pod-template annotation that rolls running pods once when the intent changed their config."""

    at: str
    annotation: str
    value: str


class Intent(_M):
    id: str
    why: str
    modes: list[Mode] = Field(default_factory=lambda: list(NON_IPV4))
    when: Condition | None = None
    edits: list[Edit] = Field(default_factory=list)
    restart: Restart | None = None
    checks: list[Check] = Field(default_factory=list)
    warn: str | None = Field(None, description="A warning for every instance this intent applies to.")
    familyFields: bool = Field(False, description="The intent sets Service IP families; the injector leaves those Services alone.")

    def places(self) -> set[str]:
        return {e.at for e in self.edits} | {c.at for c in self.checks} | ({self.restart.at} if self.restart else set())


class Anchor(Select):
    """Where the chart's fullname shows: this object's name, less a suffix."""

    suffix: str = ""


class Range(_M):
    versions: str = Field(..., description="'>=A <B' or '>=A' (the last range may stay open).")
    evidence: list[str] = Field(..., min_length=1, description="Archives (chart-version) whose renders prove this range.")
    why: str = Field(..., description="Where this chart line keeps things, with template lines.")
    fullname: Anchor | None = None
    subcharts: list[str] = Field(default_factory=list, description="Charts rendered inside this one (kibana).")
    places: dict[str, Place] = Field(default_factory=dict)
    facts: dict[str, Fact] = Field(default_factory=dict)
    noop: dict[str, str] = Field(default_factory=dict, description="intent id -> why this chart line needs no edit (checks still run).")
    skip: dict[str, str] = Field(default_factory=dict, description="intent id -> why the intent does not apply to this chart line.")

    @field_validator("versions")
    @classmethod
    def _range(cls, v: str) -> str:
        semver.bounds(v)
        return v


class Source(_M):
    title: str
    url: str


class AdapterSpec(_M):
    summary: str
    chart: str
    options: dict[str, OptionSpec] = Field(default_factory=dict)
    intents: list[Intent]
    ranges: list[Range]
    sources: list[Source] = Field(default_factory=list)


class Metadata(_M):
    name: str


class Adapter(_M):
    apiVersion: Literal["krmfn.dev/v1alpha2"]
    kind: Literal["Adapter"]
    metadata: Metadata
    spec: AdapterSpec

    @property
    def name(self) -> str:
        return self.metadata.name
