"""An IPv6 address in an env var that the image validates as an IPv4 address."""
from __future__ import annotations

from krmfn.audit.components import IPV4_VALIDATED_ENV
from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import ENV
from krmfn.sdk.results import ERROR

ID = "ipv4-validated-env"
TITLE = "IPv6 value in a variable the image accepts as IPv4 only"
SEVERITY = ERROR
WHY = (
    "The Bitnami images check RABBITMQ_MANAGEMENT_BIND_IP and ELASTICSEARCH_BIND_ADDRESS against an IPv4 pattern "
    "and stop the container on anything else (bitnami/containers#69256, fixed in 2024 by #69439, after the "
    "pinned images; shared/ipv6-facts.md pattern 9)."
)


def check(ctx: Context):
    for site in ctx.sites_of(ENV):
        if site.key in IPV4_VALIDATED_ENV and ":" in site.value:
            yield Finding(site.path, f"{site.key}={site.value}", IPV4_VALIDATED_ENV[site.key], current=site.value)
