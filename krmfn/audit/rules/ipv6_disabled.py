"""A setting that switches IPv6 off: MONGODB_ENABLE_IPV6=no, net.ipv6: false, disable-ipv6: "true",
-Djava.net.preferIPv4Stack=true."""
from __future__ import annotations

import re

from krmfn.audit.context import Context
from krmfn.audit.text import SKIP, Scan, scan_site
from krmfn.audit.walk import ARG, COMMAND, DATA, ENV, Site
from krmfn.sdk.results import ERROR

ID = "ipv6-disabled"
TITLE = "switches IPv6 off"
SEVERITY = ERROR
WHY = (
    "mongod binds :: only with net.ipv6: true, and the Bitnami chart renders MONGODB_ENABLE_IPV6=no by default "
    "(shared/charts/FACTS.md §5.8); ingress-nginx disable-ipv6: \"true\" drops its [::] listeners "
    "(kubernetes/ingress-nginx docs/user-guide/nginx-configuration/configmap.md); the JVM with "
    "java.net.preferIPv4Stack=true opens IPv4 sockets only (docs.oracle.com, Networking Properties). "
    "Error when IPv6 is the plan's primary family, warning when it is secondary."
)

_FALSE = {"false": "true", "no": "yes", "0": "1", "off": "on"}
_TRUE = {v: k for k, v in _FALSE.items()}


def _wants(key: str) -> dict[str, str] | None:
    """For a key that turns IPv6 on or off, the values that turn it off (mapped to their fix)."""
    bare = re.sub(r"[^a-z0-9]", "", key.lower())
    if bare.endswith("enableipv6") or bare == "ipv6":
        return _FALSE
    if bare.endswith("disableipv6") or bare.endswith("preferipv4stack"):
        return _TRUE
    return None


def _flip(value: str, table: dict[str, str]) -> str | None:
    new = table.get(value.lower())
    if new is None:
        return None
    return new.upper() if value.isupper() and len(value) > 1 else new.capitalize() if value.istitle() else new


# key: value, key = value, -Dkey=value; the value a bare word, maybe quoted.
_SETTING = re.compile(
    r"(?P<key>(?<![\w.-])-{0,2}[A-Za-z_][\w.-]*)\s*[=:]\s*(?P<q>[\"']?)(?P<value>\w+)(?P=q)(?![\w.:-])"
)


def _fix_text(key: str, new: str) -> str:
    return f"set `{key}` to `{new}`" + (", or drop the flag" if key.startswith("-") else "")


def _scan(site: Site) -> tuple[Scan, list[str]]:
    scan, fixes = scan_site(site), []
    if "ipv" not in site.value.lower() and "ipv" not in (site.key or "").lower():
        return scan, fixes  # every key and flag this rule knows names IPv6 or IPv4
    table = _wants(site.key) if site.key else None
    value = site.value.strip().strip("\"'")
    if table is not None and value.lower() in table:
        # A whole value: MONGODB_ENABLE_IPV6=no, data.disable-ipv6: "true".
        new = _flip(value, table)
        fixes.append(_fix_text(site.key, new))
        scan.hit(1, site.value.replace(value, new))
        return scan, fixes

    def setting(m: re.Match, line: str):
        table = _wants(m.group("key"))
        new = _flip(m.group("value"), table) if table else None
        if new is None:
            return SKIP
        fixes.append(_fix_text(m.group("key"), new))
        whole, start = m.group(0), m.start()
        return whole[: m.start("value") - start] + new + whole[m.end("value") - start :]

    scan.scan(_SETTING, setting)
    return scan, fixes


def check(ctx: Context):
    if not ctx.ipv6:
        return
    for site in ctx.sites_of(ENV, ARG, COMMAND, DATA):
        scan, fixes = _scan(site)
        if scan:
            yield scan.finding(site.path, "; ".join(dict.fromkeys(fixes)), severity=ctx.reach_severity(SEVERITY))
