"""Scripts that pick one address family: `hostname -i`, IPv4 regexes, the first line of getent."""
from __future__ import annotations

import re

from krmfn.audit.context import Context
from krmfn.audit.shell_uses import presence_only
from krmfn.audit.text import SKIP, scan_site
from krmfn.audit.walk import ARG, COMMAND, DATA, HANDLER
from krmfn.sdk.results import WARNING

ID = "single-family-script"
TITLE = "script picks one address family"
SEVERITY = WARNING
WHY = (
    "On dual-stack a pod has two addresses and a name resolves to both; a script that keeps the first one, or "
    "the one an IPv4 regex matches, announces a family its peers may not use. The redis chart's sentinel "
    "scripts keep the IPv4 address of `hostname -i` while `getent hosts` returns IPv6 first "
    "(shared/charts/FACTS.md §5.3); redis-cluster announces the first `getent ahosts` result and fails to form "
    "on dual-stack (bitnami/charts#20860, #34822). In an IPv6-only pod an IPv4 regex matches nothing at all."
)

_DIGIT = r"(?:\[0-9\]|\\d|\[\[:digit:\]\])(?:[+*]|\{[\d,]*\})?"
_DOT = r"\)?(?:\\\\?\.|\[\.\])\)?\(?"
_PATTERNS = (
    (re.compile(r"\bhostname\s+(?:-i|-I|--ip-address|--all-ip-addresses)\b"),
     "`hostname -i` lists the pod's addresses in no family order"),
    # Four dotted numbers: ([0-9]+\.){3}[0-9]+, [0-9]{1,3}\.[0-9]{1,3}\..., \d+\.\d+\.\d+\.\d+ (a version
    # regex has three parts and does not match).
    (re.compile(rf"(?:{_DIGIT}{_DOT}){{3}}{_DIGIT}|\(?{_DIGIT}{_DOT}\)?\{{3\}}"),
     "an IPv4 dotted-quad regex ignores IPv6 addresses"),
    (re.compile(r"\bgetent\s+a?hosts\b[^|\n]*\|\s*(?:head\s+-(?:n\s*)?1\b|sed\s+-n\s+'?1p|awk\s+'?NR\s*==\s*1)"),
     "the first getent result is whichever family the resolver sorts first"),
    (re.compile(r"\bgetent\s+ahostsv4\b|\bip\s+-4\b"), "asks for IPv4 addresses only"),
)
# Not a hit when the address is only tested for presence (a peer's name resolves yet): valkey's and
# redis's (15.7.2+) start-sentinel.sh capture it and test it with `-n "$ip"` alone, while announcing
# names (shared/charts/next/FACTS.md §9). shell_uses follows the value and counts anything else as a use.
_GETENT_HOSTS = re.compile(r"\bgetent\s+hosts\b[^|\n]*\|\s*(?:awk|cut)\b")
_GETENT_WHY = "`getent hosts` returns one address, IPv6 first when the name has one"
_FIX = ("handle both families: take the address of the plan's primary family explicitly (e.g. `getent ahostsv6`, "
        "status.podIPs), or compare names instead of addresses")


def check(ctx: Context):
    if not ctx.ipv6:
        return
    for site in ctx.sites_of(COMMAND, ARG, HANDLER, DATA):
        scan = scan_site(site)
        why = [reason for pattern, reason in _PATTERNS if scan.scan(pattern)]
        used = lambda m, line, text=site.value: SKIP if presence_only(text, line, m) else None  # noqa: E731
        if scan.scan(_GETENT_HOSTS, used):
            why.append(_GETENT_WHY)
        if scan:
            yield scan.finding(site.path, _FIX, problem=f"{TITLE}: {'; '.join(why)}")
