"""A NetworkPolicy ipBlock whose `except` holds a range of the other IP family than its cidr."""
from __future__ import annotations

from krmfn.audit.addresses import network
from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict, as_list, netpol_peers
from krmfn.sdk.results import ERROR

ID = "netpol-except-family"
TITLE = "NetworkPolicy except range of the other IP family than its cidr"
SEVERITY = ERROR
WHY = (
    "Each `except` must lie inside its ipBlock's cidr, so it must be of the same family: the API server rejects "
    "the policy otherwise. It happens when ::/0 is added next to 0.0.0.0/0 by copying the IPv4 block with its "
    "except list (shared/ipv6-facts.md, Cluster plumbing; NetworkPolicy API reference, IPBlock)."
)


def check(ctx: Context):
    for path, peers in netpol_peers(ctx.obj):
        for i, peer in enumerate(peers):
            block = as_dict(as_dict(peer).get("ipBlock"))
            cidr = network(block.get("cidr"))
            if cidr is None:
                continue
            for j, entry in enumerate(as_list(block.get("except"))):
                net = network(entry)
                if net is not None and net.version != cidr.version:
                    yield Finding(
                        f"{path}[{i}].ipBlock.except[{j}]", f"except {entry} in cidr {block.get('cidr')}",
                        f"move {entry} to the `except` of an IPv{net.version} ipBlock",
                        current=entry,
                    )
