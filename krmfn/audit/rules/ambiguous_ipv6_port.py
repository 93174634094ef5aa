"""An IPv6 literal followed by what reads as a port, with no brackets: `2001:db8::5:6379`."""
from __future__ import annotations

import re

from krmfn.audit.addresses import ipv6
from krmfn.audit.context import Context
from krmfn.audit.text import SKIP, scan_site
from krmfn.audit.walk import DATA, ENV
from krmfn.sdk.results import WARNING

ID = "ambiguous-ipv6-port"
TITLE = "IPv6 address and port without brackets: the text is ambiguous"
SEVERITY = WARNING
WHY = (
    "`2001:db8::5:6379` is a valid IPv6 address on its own and also reads as 2001:db8::5 with port 6379: no "
    "reader can tell which was meant. Readers that split on the last colon (redis-cli, Redis's own MOVED "
    "replies) take a port; Go's net.Dial and net.SplitHostPort refuse it with 'too many colons in address', "
    "which is how REDIS_ADDR broke go-redis clients before v9.5.2 (redis/go-redis#2978) and how a MySQL DSN "
    "broke (shared/ipv6-facts.md, Redis and MySQL sections); others take the whole text as an address and dial "
    "the wrong host on the default port. `[2001:db8::5]:6379` has one reading everywhere (RFC 3986 §3.2.2, "
    "Go's net.JoinHostPort). A warning, not an error: when the text really is one address, it is right as it is."
)

# A run of IPv6 literal characters standing on its own: not part of a host name or a longer word,
# not already bracketed, not a URL host or a `tcp(...)` DSN host (unbracketed-ipv6 reports those),
# not a CIDR or a zone.
_TOKEN = re.compile(r"(?<![\w.:\[/@(%-])(?P<text>[0-9A-Fa-f:]*::?[0-9A-Fa-f:.]*:[0-9]{1,5})(?![\w.:\]/%])")
# Settings that take an address and never a port, where brackets would be wrong: `bind ::1`,
# `bind-address`, `*.tcp.ip`, `POD_IP`, `bindIp`, `announce-ip`, `--node-ip`.
_ADDRESS_ONLY = re.compile(r"(?i)bind|(?:^|[^a-z])ip(?:s|v6)?(?:$|[^a-z])|[a-z]Ip(?:s)?\b")

_YAML_VALUE_START = re.compile(r"(?:^|:|^\s*-)\s*$")


def _ambiguous(text: str) -> tuple[str, str] | None:
    """(address, port) when text is an IPv6 address followed by a colon and a port."""
    head, _, port = text.rpartition(":")
    if not (0 < int(port) < 65536) or head.count(":") < 2 or head == "::" or ipv6(head) is None:
        # `:::5672` is RabbitMQ's own spelling of the wildcard and a port: its reader splits on the last colon.
        return None
    return head, port


def _setting(site, line: str, start: int) -> str:
    """The name the value belongs to: the env var, the flag, or what precedes it on its line."""
    if site.kind == ENV:
        return str(site.key or "")
    before = line[:start]
    return before if before.strip() else str(site.key or "")


def check(ctx: Context):
    for site in ctx.sites:
        if not _TOKEN.search(site.value):
            continue
        scan = scan_site(site)
        shown: list[str] = []

        def bracket(m: re.Match, line: str, site=site, shown=shown):
            split = _ambiguous(m.group("text"))
            if split is None or _ADDRESS_ONLY.search(_setting(site, line, m.start())):
                return SKIP
            address, port = split
            shown.append(f"`[{address}]:{port}`")
            # Where a value starts in a config file that may be YAML, `[` would open a list: the fix
            # needs quotes there, and whether the file is YAML is more than a line can tell, so no
            # mechanical fix. Env values and arguments are strings already.
            yaml_start = site.kind == DATA and _YAML_VALUE_START.search(line[: m.start()])
            return None if yaml_start else f"[{address}]:{port}"

        if scan.scan(_TOKEN, bracket):
            quoted = " (quoted where the file is YAML)" if site.kind == DATA else ""
            yield scan.finding(
                site.path,
                f"if the last group is a port, bracket the address: {', '.join(dict.fromkeys(shown))}{quoted}; "
                f"if the whole text is one address, silence this with the annotation krmfn.dev/ignore: {ID}",
            )
