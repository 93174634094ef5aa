"""A NetworkPolicy that allows 0.0.0.0/0, meaning "anywhere", with no ::/0 beside it."""
from __future__ import annotations

from krmfn.audit.addresses import network
from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import dig, netpol_peers
from krmfn.sdk.results import ERROR

ID = "netpol-ipv4-any"
TITLE = "NetworkPolicy allows 0.0.0.0/0 but not ::/0"
SEVERITY = ERROR
WHY = (
    "0.0.0.0/0 covers every IPv4 address and no IPv6 one, so IPv6 traffic the policy meant to allow is dropped "
    "(shared/ipv6-facts.md, Cluster plumbing; kubernetes.io/docs/concepts/services-networking/network-policies). "
    "Error when IPv6 is the plan's primary family, warning when it is secondary."
)

_ANY4, _ANY6 = network("0.0.0.0/0"), network("::/0")


def check(ctx: Context):
    if not ctx.ipv6:
        return
    for path, peers in netpol_peers(ctx.obj):
        cidrs = {i: network(dig(p, "ipBlock", "cidr")) for i, p in enumerate(peers)}
        if _ANY6 in cidrs.values():
            continue
        for i, net in cidrs.items():
            if net != _ANY4:
                continue
            excepts = dig(peers[i], "ipBlock", "except")
            fix = "add the peer `ipBlock: {cidr: ::/0}`"
            extra = {}
            if excepts:
                fix += " with the IPv6 counterparts of its `except` ranges (the cluster's IPv6 pod and Service CIDRs)"
            else:
                extra = {"current": peers, "proposed": [*peers, {"ipBlock": {"cidr": "::/0"}}]}
            yield Finding(path, f"ipBlock.cidr: {dig(peers[i], 'ipBlock', 'cidr')} (peer {i})", fix,
                          severity=ctx.reach_severity(SEVERITY), **extra)
