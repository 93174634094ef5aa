"""An IPv6 literal in a URL or a DSN without the brackets that separate it from the port."""
from __future__ import annotations

import re

from krmfn.audit.addresses import split_ipv6_authority
from krmfn.audit.context import Context
from krmfn.audit.text import SKIP, scan_site
from krmfn.sdk.results import ERROR

ID = "unbracketed-ipv6"
TITLE = "IPv6 address without brackets where a port may follow"
SEVERITY = ERROR
WHY = (
    "In a URL an IPv6 host must be bracketed (RFC 3986 §3.2.2): http://fd00::1:2379 does not parse, or parses "
    "as the wrong host and port; etcd rejects such ETCD_*_URLS and Go's MySQL driver needs tcp([fd00::1]:3306) "
    "(shared/ipv6-facts.md, etcd and MySQL sections; go-sql-driver/mysql DSN docs). Redis-style 'ip:port' "
    "lists that split on the last colon are not URLs and are not flagged."
)

# scheme://[userinfo@]HOST — HOST made of the characters an IPv6 literal with a port can have.
_URL = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://(?:[^\s/@\[\]]*@)?)"
    r"(?P<host>[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(?=[/\s,;\"'?#)]|$)"
)
# Go MySQL DSN: user:pass@tcp(HOST:PORT)/db.
_DSN = re.compile(r"(?P<head>\btcp\()(?P<host>[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(?=\))")


def _bracket(m: re.Match, line: str):
    split = split_ipv6_authority(m.group("host"))
    if split is None:
        return SKIP
    address, port = split
    return f"{m.group('head')}[{address}]{port}"


def check(ctx: Context):
    for site in ctx.sites:
        scan = scan_site(site)
        scan.scan(_URL, _bracket)
        scan.scan(_DSN, _bracket)
        if scan:
            yield scan.finding(site.path, "bracket the address: `[fd00::1]:2379`, as in `http://[fd00::1]:2379`")
