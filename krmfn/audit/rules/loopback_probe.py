"""Probes and lifecycle hooks that talk to 127.0.0.1, directly or through the script they run."""
from __future__ import annotations

import re

from krmfn.audit.context import Context, Finding
from krmfn.audit.text import scan_site
from krmfn.audit.walk import DATA, HANDLER, dig, is_configmap
from krmfn.sdk import objects
from krmfn.sdk.results import WARNING

ID = "loopback-probe"
TITLE = "probe or lifecycle hook targets 127.0.0.1, the IPv4 loopback"
SEVERITY = WARNING
WHY = (
    "127.0.0.1 keeps working in an IPv6-only pod only while the server still listens on IPv4; once it is moved "
    "to an IPv6 address (or to :: with IPV6_V6ONLY) the probe fails and the kubelet restarts a healthy pod. "
    "`localhost` resolves to 127.0.0.1 and ::1 from the pod's /etc/hosts. httpGet/tcpSocket `host: 127.0.0.1` "
    "makes the kubelet dial the node's own loopback, not the pod. Pattern 5 of shared/ipv6-facts.md; the "
    "redis chart's preStop script (shared/charts/FACTS.md §5.3)."
)

_LOOPBACK = re.compile(r"(?<![\w.])127\.0\.0\.1(?![\w]|\.\d)")
_FIX = "use `localhost` (127.0.0.1 and ::1), or `::1` once the server listens on IPv6 only"


def _handler_findings(ctx: Context):
    for site in ctx.sites_of(HANDLER):
        scan = scan_site(site)
        scan.scan(_LOOPBACK, lambda m, line: "localhost")
        if scan:
            yield scan.finding(site.path, _FIX)
    for c in ctx.containers:
        for path, handler in c.handlers():
            for action in ("httpGet", "tcpSocket"):
                host = dig(handler, action, "host")
                if isinstance(host, str) and _LOOPBACK.fullmatch(host.strip()):
                    yield Finding(
                        f"{path}.{action}.host", host,
                        "remove `host`: the kubelet then dials the pod's IP, whatever its family",
                        current=host,
                        problem="probe or hook host is 127.0.0.1: the kubelet dials the node's loopback, not the pod",
                    )


def _script_findings(ctx: Context):
    namespace, name = objects.namespace(ctx.obj), objects.name(ctx.obj)
    for site in ctx.sites_of(DATA):
        runs = ctx.bundle.hook_scripts.get((namespace, name, site.key))
        if not runs:
            continue
        scan = scan_site(site)
        scan.scan(_LOOPBACK, lambda m, line: "localhost")
        if scan:
            where = ", ".join(sorted({
                f"{objects.display_name(r.workload)} {r.handler_path.rsplit('.', 1)[-1]}" for r in runs
            }))
            yield scan.finding(site.path, _FIX, problem=f"script run by a probe or hook ({where}) targets 127.0.0.1")


def check(ctx: Context):
    if not ctx.ipv6:
        return
    yield from _handler_findings(ctx)
    if is_configmap(ctx.obj):
        yield from _script_findings(ctx)
