"""A pg_hba.conf (or pgpool's pool_hba.conf) whose host rules admit IPv4 clients and not their IPv6 twins."""
from __future__ import annotations

import ipaddress
from typing import NamedTuple

from krmfn.adapters.ops import HOST_TYPES, hba_rules, twin_rules
from krmfn.audit.context import Context
from krmfn.audit.text import Scan, code_lines
from krmfn.audit.walk import DATA
from krmfn.sdk.results import ERROR

ID = "pg-hba-no-ipv6"
TITLE = "pg_hba.conf admits IPv4 clients only"
SEVERITY = ERROR
WHY = (
    "PostgreSQL (and pgpool, with pool_hba.conf) matches a client against the host rules by its address, first "
    "match wins: a client connecting over IPv6 never matches a rule for an IPv4 range such as 0.0.0.0/0 and is "
    "refused with \"no pg_hba.conf entry for host\" (PostgreSQL manual, The pg_hba.conf File; bitnami/charts#2308). "
    "A rule for `all`, `samehost`, `samenet` or a host name takes both families. Error when IPv6 is the plan's "
    "primary family, warning when it is secondary."
)

# What the other lines of a pg_hba.conf start with: a text made of these only is one, whatever its key.
_HBA_WORDS = HOST_TYPES | {"local", "include", "include_if_exists", "include_dir"}
_ANY4, _ANY6 = "0.0.0.0/0", "::/0"


class _Twin(NamedTuple):
    source: str
    to: str


def is_hba(key: str | None, text: str) -> bool:
    """A pg_hba.conf-format text: by its key (pg_hba.conf, pool_hba.conf), or by every code line being a rule."""
    if key and key.lower().endswith("hba.conf"):
        return True
    words = [line.split()[0] for _, line in code_lines(text) if line.strip()]
    return bool(words) and all(w in _HBA_WORDS for w in words) and any(w in HOST_TYPES for w in words)


def _family(address: str) -> int | None:
    """4 or 6 for an address or range, None for `all`, samehost, samenet and host names (both families)."""
    try:
        net = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return None
    if net.is_loopback:
        return 0  # the pod's own loopback: 127.0.0.1 stays on lo in an IPv6-only pod
    return net.version


def ipv4_only_rules(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of host rules for an IPv4 range whose type, databases and users no rule admits
    over IPv6 (a rule for an IPv6 range, `all`, samenet or a host name)."""
    rules = hba_rules(text)
    covered = {tuple(f[:3]) for _, f in rules if _family(f[3]) in (6, None)}
    return [(i + 1, f) for i, f in rules if _family(f[3]) == 4 and tuple(f[:3]) not in covered]


def check(ctx: Context):
    if not ctx.ipv6:
        return
    for site in ctx.sites_of(DATA):
        if not is_hba(site.key, site.value):
            continue
        alone = ipv4_only_rules(site.value)
        if not alone:
            continue
        scan, lines = Scan(site.value), site.value.split("\n")
        for number, fields in alone:
            # 0.0.0.0/0 has one IPv6 twin, ::/0; a narrower range's twin is the cluster's IPv6 range,
            # which only the user knows.
            twin = twin_rules(lines[number - 1], _Twin(_ANY4, _ANY6)) if fields[3] == _ANY4 else None
            scan.hit(number, twin)
        yield scan.finding(
            site.path,
            "add the same rule for ::/0 after each 0.0.0.0/0 rule, and for the cluster's IPv6 pod range after "
            "each narrower IPv4 range (bitnami postgresql charts: primary.pgHbaConfiguration or "
            "postgresql.pgHbaConfiguration, where krmfn's adapters add the ::/0 rules)",
            severity=ctx.reach_severity(SEVERITY),
        )
