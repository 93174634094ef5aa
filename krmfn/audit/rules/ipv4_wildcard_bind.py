"""A server told to listen on 0.0.0.0, the IPv4 wildcard, with no IPv6 listener beside it."""
from __future__ import annotations

import re

from krmfn.audit.components import GO_SERVERS, IPV4_VALIDATED_ENV
from krmfn.audit.context import Context
from krmfn.audit.text import SKIP, Scan, scan_site
from krmfn.audit.walk import ARG, COMMAND, DATA, ENV, Site
from krmfn.sdk.results import ERROR, INFO

ID = "ipv4-wildcard-bind"
TITLE = "listens on 0.0.0.0, the IPv4 wildcard, only"
SEVERITY = ERROR
WHY = (
    "C, Java and Erlang servers bound to 0.0.0.0 accept no IPv6 connection: IPv6 clients get "
    "'connection refused' (MySQL: dev.mysql.com/doc/refman/8.0/en/ipv6-server-config.html; RabbitMQ "
    "management listener: rabbitmq/rabbitmq-server#2672, #11526). Go servers listen on both families for "
    "0.0.0.0 (golang/go#17615), so for known Go images the finding is info. Error when IPv6 is the plan's "
    "primary family, warning when it is secondary, silent on IPv4 single-stack."
)

# The key of a setting that says where to listen: bind-address, bindIp, management.tcp.ip,
# network.host, --listen-address, ELASTICSEARCH_BIND_ADDRESS, a `bind` or `listen` directive.
_LISTEN_KEY = re.compile(r"(?i)bind|listen|(?:^|[._-])(?:ip|host|address|addr)$")
# Keys naming an address for others to dial, or a range: not a listener.
_NOT_LISTEN_KEY = re.compile(r"(?i)advertis|announce|publish|external|public|cidr|range")
_KEY = r"(?P<key>(?<![\w.-])-{0,2}[A-Za-z_][\w.-]*)"
_SETTING = re.compile(
    _KEY + r"(?P<sep>\s*[=:]\s*|\s+)(?P<q>[\"']?)(?P<addr>0\.0\.0\.0(?P<port>:\d{1,5})?)(?P=q)(?![\w.:/])"
)
_IPV6_SETTING = re.compile(_KEY + r"(?:\s*[=:]\s*|\s+)[\"']?(?:\[::\](?::\d+)?|::)(?![\w:])")
# Nobody dials the wildcard, so a URL naming it is a listen URL (ETCD_LISTEN_CLIENT_URLS).
_URL = re.compile(r"(?<=://)0\.0\.0\.0(?![\w.])")
_ALONE = re.compile(r"(?P<q>[\"']?)0\.0\.0\.0(?P<port>:\d{1,5})?(?P=q)")
_BOTH = "the IPv6 wildcard, which takes IPv4 too on Linux unless the server sets IPV6_V6ONLY (Redis and nginx do)"


def _listen_key(key: str) -> bool:
    bare = key.lstrip("-")
    return bool(_LISTEN_KEY.search(bare)) and not _NOT_LISTEN_KEY.search(bare)


def _fix(key: str, port: str | None, directive: bool, yaml_value: bool, in_file: bool) -> tuple[str | None, str]:
    """(what replaces `0.0.0.0[:port]`, or None when no mechanical fix exists; the fix in words).
    `in_file`: the setting is a line of a config file or script, not a whole env or data value."""
    bare = key.lstrip("-").lower()
    if key in IPV4_VALIDATED_ENV:
        return None, IPV4_VALIDATED_ENV[key]
    if bare.replace("_", "") == "bindip":
        return None, ("`bindIpAll: true` with `ipv6: true` (flags `--bind_ip_all --ipv6`): mongod opens `::` "
                      "only when IPv6 is enabled")
    if directive and bare == "bind" and not port:
        return "* -::*", "`bind * -::*` (Redis 6.2 and later): every IPv4 and IPv6 address"
    if directive and bare == "listen":
        return None, "add a `listen [::]:PORT;` twin: nginx's IPv6 listener takes IPv6 only (ipv6only=on)"
    if bare in ("bind-address", "bind_address") and in_file and not key.startswith("-"):
        return "*", "`bind-address=*` (or `::`): MySQL then accepts IPv4 and IPv6 on every interface"
    if port:
        return f"[::]{port}", f"`[::]{port}`: {_BOTH}"
    return ('"::"' if yaml_value else "::"), f"`::`: {_BOTH}"


def _scan(site: Site) -> tuple[Scan, list[str]]:
    scan, fixes = scan_site(site), []
    if "0.0.0.0" not in site.value:
        return scan, fixes
    alone = _ALONE.fullmatch(site.value.strip())
    if alone:
        # A whole value: ELASTICSEARCH_BIND_ADDRESS=0.0.0.0, ["--bind", "0.0.0.0"], data.bind-address.
        if site.key and _listen_key(site.key):
            repl, fix = _fix(site.key, alone.group("port"), False, False, False)
            fixes.append(fix)
            scan.hit(1, site.value.replace(alone.group(0).strip("\"'"), repl) if repl else None)
        return scan, fixes
    dual = {m.group("key").lower() for m in _IPV6_SETTING.finditer(site.value)}

    def setting(m: re.Match, line: str):
        key, sep = m.group("key"), m.group("sep")
        directive = not sep.strip() and not line[: m.start()].strip()
        if not _listen_key(key) or not (sep.strip() or directive or key.startswith("-")):
            return SKIP
        rest = line[m.end() :]
        if key.lower() in dual or "::" in rest or re.match(r"[\s,]+\*", rest):
            return SKIP  # an IPv6 listener sits beside it
        repl, fix = _fix(key, m.group("port"), directive, sep.strip() == ":" and not m.group("q"), True)
        fixes.append(fix)
        return m.group(0).replace(m.group("addr"), repl) if repl else None

    def url(m: re.Match, line: str):
        fixes.append(f"`[::]` in the URL, {_BOTH}")
        return "[::]"

    scan.scan(_SETTING, setting)
    scan.scan(_URL, url)
    return scan, fixes


def check(ctx: Context):
    if not ctx.ipv6:
        return
    for site in ctx.sites_of(ENV, ARG, COMMAND, DATA):
        scan, fixes = _scan(site)
        if not scan:
            continue
        severity, fix = ctx.reach_severity(SEVERITY), "; ".join(dict.fromkeys(fixes))
        image = site.container.image if site.container else ""
        if image in GO_SERVERS:
            severity = INFO
            fix = (f"optional: {image} is a Go program, which listens on both families on 0.0.0.0 unless the "
                   f"node sets net.ipv6.bindv6only=1. To say so explicitly: {fix}")
        yield scan.finding(site.path, fix, severity=severity)
