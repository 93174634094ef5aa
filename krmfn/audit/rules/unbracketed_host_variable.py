"""A shell variable as the host of a URL or listener, with no brackets: `EXTERNAL://${host}:${port}`."""
from __future__ import annotations

import re

from krmfn.audit.context import Context
from krmfn.audit.text import SKIP, scan_site
from krmfn.audit.walk import ARG, COMMAND, DATA, HANDLER
from krmfn.sdk.results import WARNING

ID = "unbracketed-host-variable"
TITLE = "shell variable as the host of a URL or listener, without brackets"
SEVERITY = WARNING
WHY = (
    "A script that builds `SCHEME://${host}:${port}` writes whatever the variable holds. When that is an IPv6 "
    "address (a LoadBalancer's, status.podIP or status.hostIP on an IPv6 cluster, a public-IP lookup) the text "
    "becomes `EXTERNAL://2001:db8::10:9094`: no URI (RFC 3986 §3.2.2 brackets an IPv6 host), and two readings for "
    "whoever splits host from port. Some readers split at the last colon and cope (Kafka's own listener parser "
    "does), others take the first colon or refuse the URL. The kafka chart's external access writes its "
    "advertised listener this way (shared/charts/next/FACTS.md §11; scripts-configmap.yaml:182 up to 31.x, "
    "_init_containers.tpl:188 in 32.x). unbracketed-ipv6 sees only address literals; this is the same hazard one "
    "step earlier, in the script. A warning: the variable may only ever hold a name, which needs no brackets "
    "(and must not get them)."
)

# SCHEME:// (a literal scheme or listener name, or a variable holding one), optional userinfo, then the
# host as a bare variable ($host, ${host}, ${hosts[$i]}, ${host:-x}) directly followed by `:` and a
# port (digits or another variable). `[${host}]` never matches: the host must follow `://` or `@`.
_URL = re.compile(
    r"(?:\$\{?[A-Za-z_]\w*\}?|\b[A-Za-z][\w+.-]*)://(?:[^\s/@\[\]$]*@)?"
    r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?:\[[^\]]*\])?(?:[:#%/][^}]*)?\}|(?P<bare>[A-Za-z_]\w*))"
    r"(?=:(?:\d|\$))"
)
# Variables whose name says they hold a DNS name, never an address: `${SERVICE_NAME}`, `$HOSTNAME`.
_NAME_ONLY = re.compile(r"(?i)(?:name|fqdn|domain|svc|service)$")
# Scripts among a ConfigMap's files: by name, or by their #! line.
_SCRIPT_KEY = re.compile(r"(?i)\.(?:sh|bash)$")


def _is_script(site) -> bool:
    if site.kind != DATA:
        return True  # commands, arguments and hooks reach a shell when they hold `$var` at all
    return bool(_SCRIPT_KEY.search(str(site.key or ""))) or site.value.lstrip().startswith("#!")


def check(ctx: Context):
    if not ctx.ipv6:
        return
    for site in ctx.sites_of(COMMAND, ARG, HANDLER, DATA):
        if ("://$" not in site.value and "@$" not in site.value) or not _is_script(site):
            continue
        scan = scan_site(site)
        names: list[str] = []

        def variable(m: re.Match, line: str, names=names):
            name = m.group("braced") or m.group("bare")
            if _NAME_ONLY.search(name):
                return SKIP
            names.append(name)
            return None  # no mechanical fix: brackets around a name would break it

        if scan.scan(_URL, variable):
            shown = ", ".join(f"`${{{n}}}`" for n in dict.fromkeys(names))
            yield scan.finding(
                site.path,
                f"when {shown} can hold an IPv6 address, write the host bracketed (`EXTERNAL://[${{host}}]:${{port}}`) "
                "if it always holds an address, or bracket only addresses before the line "
                "(`[[ $host == *:* ]] && host=\"[$host]\"`); if it only ever holds a DNS name, silence this with "
                f"the annotation krmfn.dev/ignore: {ID}",
                problem=f"{TITLE} ({shown})",
            )
