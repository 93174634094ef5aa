"""An ExternalName Service that carries ipFamilyPolicy or ipFamilies."""
from __future__ import annotations

from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict
from krmfn.services import FIELDS, is_service
from krmfn.sdk.results import ERROR

ID = "externalname-families"
TITLE = "ExternalName Service with IP-family fields"
SEVERITY = ERROR
WHY = (
    "The API server rejects both fields on ExternalName Services: 'spec.ipFamilyPolicy: Forbidden: may not be "
    "set for ExternalName services' (truecharts#2935). Policies that add families to every Service (the seeds' "
    "Kyverno policy) cause it."
)


def check(ctx: Context):
    spec = as_dict(ctx.obj.get("spec"))
    if not is_service(ctx.obj) or spec.get("type") != "ExternalName":
        return
    for field in FIELDS:
        if field in spec:
            yield Finding(f"spec.{field}", f"{field}: {spec[field]}", f"remove `{field}`", current=spec[field])
