"""The IPv6Plan: krmfn's public API, read from the functionConfig or a --plan file."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from krmfn.sdk.errors import InputError

API_VERSION = "krmfn.dev/v1alpha1"
KIND = "IPv6Plan"
# The validator's functionConfig: a plan under another kind, because a Kptfile's `validators:`
# entry can pass a container no argument, only a config. Same spec; nothing is changed, only audited.
CHECK_KIND = "IPv6Check"

Family = Literal["IPv4", "IPv6"]
Policy = Literal["SingleStack", "PreferDualStack", "RequireDualStack"]
# Stack modes, named the way catalog files name them.
IPV4, IPV6, DUAL_IPV4, DUAL_IPV6 = "ipv4", "ipv6", "dual-ipv4", "dual-ipv6"
MODES = (IPV4, IPV6, DUAL_IPV4, DUAL_IPV6)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Selector(_Model):
    """Selects objects by kind, name, namespace and labels; every field set must match."""

    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None


class Services(_Model):
    override: bool = Field(False, description="Also rewrite Services that already set ipFamilyPolicy/ipFamilies.")
    exclude: list[Selector] = Field(default_factory=list, description="Services left alone.")


class Audit(_Model):
    disable: list[str] = Field(default_factory=list, description="Audit rule ids that do not run.")
    severity: dict[str, Literal["error", "warning", "info"]] = Field(
        default_factory=dict, description="Audit rule id -> severity that replaces the rule's own."
    )


class Verify(_Model):
    coreDNS: bool = Field(
        False, description="Patch kube-system/coredns with `rewrite stop type A AAAA` so only IPv6 answers come back."
    )


class Component(_Model):
    adapter: str = Field(..., description="Adapter name, as `krmfn catalog` lists it.")
    release: str | None = Field(None, description="Only this Helm release; default: every instance.")
    options: dict[str, Any] = Field(default_factory=dict, description="Adapter-specific options.")


class Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = "ipv6"


class PlanSpec(_Model):
    ipFamilies: list[Family] = Field(
        ..., min_length=1, max_length=2, description="IP families in order of preference; the first is primary."
    )
    ipFamilyPolicy: Policy | None = Field(
        None, description="Default: SingleStack for one family, PreferDualStack for two."
    )
    services: Services = Field(default_factory=Services)
    audit: Audit = Field(default_factory=Audit)
    verify: Verify = Field(default_factory=Verify)
    networkPolicies: Literal["twin"] | None = Field(
        None, description="twin: add ::/0 beside every 0.0.0.0/0 ipBlock and report IPv4-only CIDRs."
    )
    components: list[Component] | None = Field(
        None, description="Adapters to apply; default: every adapter whose chart is detected."
    )
    adapters: list[dict[str, Any]] = Field(
        default_factory=list, description="Inline adapters (same schema as catalog files); replace built-ins by name."
    )

    @field_validator("ipFamilies")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("families must be distinct: one of [IPv4], [IPv6], [IPv4, IPv6], [IPv6, IPv4]")
        return v

    @model_validator(mode="after")
    def _policy_fits_families(self) -> "PlanSpec":
        if self.ipFamilyPolicy == "RequireDualStack" and len(self.ipFamilies) == 1:
            raise ValueError("RequireDualStack needs two ipFamilies; with one family use SingleStack or PreferDualStack")
        if self.ipFamilyPolicy == "SingleStack" and len(self.ipFamilies) == 2:
            raise ValueError("SingleStack allows one ipFamilies entry; with two use PreferDualStack or RequireDualStack")
        return self


class IPv6Plan(_Model):
    apiVersion: Literal["krmfn.dev/v1alpha1"]
    kind: Literal["IPv6Plan"]
    metadata: Metadata = Field(default_factory=Metadata)
    spec: PlanSpec

    def component_entries(self) -> list[dict] | None:
        """spec.components as plain entries, or None: every detected adapter applies."""
        return None if self.spec.components is None else [c.model_dump() for c in self.spec.components]

    @property
    def families(self) -> list[str]:
        return list(self.spec.ipFamilies)

    @property
    def primary(self) -> str:
        return self.spec.ipFamilies[0]

    @property
    def policy(self) -> str:
        return self.spec.ipFamilyPolicy or ("SingleStack" if len(self.spec.ipFamilies) == 1 else "PreferDualStack")

    @property
    def mode(self) -> str:
        fams = self.spec.ipFamilies
        if len(fams) == 1:
            return IPV6 if fams[0] == "IPv6" else IPV4
        return DUAL_IPV6 if fams[0] == "IPv6" else DUAL_IPV4


class PlanError(InputError):
    """A plan that does not validate; ``problems`` holds (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.problems = problems


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "literal[")):
            out += ("." if out else "") + str(part)
    return out


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names allowed at loc's parent, for 'unknown field' messages."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or (ann,)
        nested = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _problems(e: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in e.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            allowed = _allowed_fields(IPv6Plan, loc)
            msg = f"unknown field {loc[-1]!r}" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
        out.append((_path(loc), msg))
    return out


def from_dict(doc: Any) -> IPv6Plan:
    if not isinstance(doc, dict):
        raise PlanError([("", f"the plan must be a map, got {type(doc).__name__}")])
    try:
        return IPv6Plan.model_validate(doc)
    except ValidationError as e:
        raise PlanError(_problems(e)) from None


_CONFIGMAP_KEYS = ("ipFamilies", "ipFamilyPolicy", "override")


def from_configmap(cm: dict) -> IPv6Plan:
    """`kpt fn eval --exec krmfn -- ipFamilies=IPv6,IPv4` hands the function a ConfigMap."""
    data = cm.get("data") or {}
    if not isinstance(data, dict):
        raise PlanError([("data", "must be a map of strings")])
    # Sorted as text: YAML keys may be numbers or booleans too (`1: a`), which do not compare with str.
    unknown = sorted(set(data) - set(_CONFIGMAP_KEYS), key=str)
    if unknown:
        raise PlanError([(f"data.{k}", f"unknown key; allowed: {', '.join(_CONFIGMAP_KEYS)}") for k in unknown])
    spec: dict[str, Any] = {}
    if "ipFamilies" in data:
        spec["ipFamilies"] = [f.strip() for f in str(data["ipFamilies"]).split(",") if f.strip()]
    if data.get("ipFamilyPolicy"):
        spec["ipFamilyPolicy"] = str(data["ipFamilyPolicy"])
    if "override" in data:
        flag = str(data["override"]).lower()
        if flag not in ("true", "false"):
            raise PlanError([("data.override", f"must be true or false, got {data['override']!r}")])
        spec["services"] = {"override": flag == "true"}
    try:
        return from_dict({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "configmap"}, "spec": spec})
    except PlanError as e:
        # A ConfigMap has no spec: point at its data, also for checks over the whole spec.
        raise PlanError([("data" + p[4:] if p.split(".")[0] == "spec" else p, m) for p, m in e.problems]) from None


def is_check(fc: Any) -> bool:
    """Whether a functionConfig asks for the validator: audit only, never an edit."""
    return isinstance(fc, dict) and fc.get("kind") == CHECK_KIND


def from_function_config(fc: Any) -> IPv6Plan:
    if fc is None:
        raise PlanError([("", f"no functionConfig: give an {KIND} (apiVersion {API_VERSION}) or a ConfigMap")])
    if isinstance(fc, dict) and fc.get("kind") == "ConfigMap":
        return from_configmap(fc)
    if is_check(fc):
        return from_dict({**fc, "kind": KIND})
    if isinstance(fc, dict) and fc.get("kind") != KIND:
        raise PlanError([("kind", f"functionConfig must be an {KIND}, an {CHECK_KIND} or a ConfigMap, "
                                  f"got {fc.get('kind')!r}")])
    return from_dict(fc)


def from_file(path: str) -> IPv6Plan:
    """A plan file (YAML or JSON; an IPv6Plan or a ConfigMap), with errors that name the file."""
    from krmfn.sdk import resourcelist

    try:
        with open(path, "rb") as f:
            doc, _ = resourcelist.parse_document(f.read())
        return from_function_config(doc)
    except OSError as e:
        raise InputError(f"--plan {path}: {(e.strerror or str(e)).lower()}") from None
    except InputError as e:
        raise InputError(f"--plan {path}: {e}") from None


def json_schema() -> dict:
    schema = IPv6Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = KIND
    # One schema for both kinds of file: an IPv6Check holds a plan's spec.
    schema["properties"]["kind"] = {"enum": [KIND, CHECK_KIND], "title": "Kind", "type": "string"}
    return schema
