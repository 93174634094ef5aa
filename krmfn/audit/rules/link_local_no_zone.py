"""A link-local IPv6 address (fe80::/10) without the %zone that says which interface it is on."""
from __future__ import annotations

import re

from krmfn.audit.addresses import ipv6
from krmfn.audit.context import Context
from krmfn.audit.text import SKIP, scan_site
from krmfn.sdk.results import ERROR

ID = "link-local-no-zone"
TITLE = "link-local IPv6 address without a %zone"
SEVERITY = ERROR
WHY = (
    "Every interface has its own fe80::/10 network, so a link-local address means nothing without a zone "
    "(fe80::1%eth0, RFC 4007 §11): binding fails with 'cannot assign requested address' and connecting picks "
    "no route. Seen with nodelocaldns listen addresses (shared/ipv6-facts.md, Cluster plumbing); a ULA "
    "(fd00::/8) works without a zone."
)

_CANDIDATE = re.compile(r"(?<![\w:.%])(?P<addr>[fF][eE][89abAB][0-9a-fA-F]:[0-9A-Fa-f:.]*)(?P<zone>%[\w.-]+)?")


def _no_zone(m: re.Match, line: str):
    address = ipv6(m.group("addr")) or ipv6(m.group("addr").rpartition(":")[0])
    if m.group("zone") or address is None or not address.is_link_local:
        return SKIP
    return None


def check(ctx: Context):
    for site in ctx.sites:
        scan = scan_site(site)
        scan.scan(_CANDIDATE, _no_zone)
        if scan:
            yield scan.finding(site.path, "use a unique local address (fd00::/8) or a global one; where the "
                                          "format allows it, add the zone: `fe80::1%eth0`")
