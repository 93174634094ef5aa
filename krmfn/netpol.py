"""networkPolicies: twin — give every IPv4 "anywhere" ipBlock its IPv6 twin, and name what cannot be twinned.

`cidr: 0.0.0.0/0` matches no IPv6 peer, so on an IPv6 or dual-stack cluster a policy that
meant "anywhere" silently drops IPv6 traffic. The twin is `{ipBlock: {cidr: ::/0}}` right
after the IPv4 peer. The IPv4 block's `except` entries are NOT carried over: each `except`
must be the same family as its cidr and inside it (the API server rejects an IPv4 except
under ::/0), so IPv6 exceptions, if any are needed, are the user's to add. Any other IPv4
CIDR names a network whose IPv6 prefix krmfn cannot know: those are reported with their path.
"""
from __future__ import annotations

import ipaddress

from krmfn.sdk import objects
from krmfn.sdk.results import INFO, WARNING, Result

ANY_V6 = "::/0"
_RULES = (("ingress", "from"), ("egress", "to"))


def _network(cidr):
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def _is_policy(obj: dict) -> bool:
    return obj.get("kind") == "NetworkPolicy" and objects.group(obj) == "networking.k8s.io"


def _cidr(peer) -> str | None:
    block = peer.get("ipBlock") if isinstance(peer, dict) else None
    return str(block["cidr"]) if isinstance(block, dict) and block.get("cidr") is not None else None


def _twin_peers(policy: dict, peers: list, at: str, results: list[Result]) -> int:
    """Insert the ::/0 twins into one `from`/`to` list; returns how many were added."""
    nets = [_network(_cidr(p)) if _cidr(p) else None for p in peers]
    # A rule that admits any IPv6 peer by CIDR, or "anywhere" (twinned below), needs no report.
    covered = any(n is not None and (n.version == 6 or n.prefixlen == 0) for n in nets)
    added = 0
    for index in reversed(range(len(peers))):
        net = nets[index]
        if net is None or net.version != 4:
            continue
        where = f"{at}[{index}].ipBlock"
        if net.prefixlen == 0:
            if not any(n is not None and n.version == 6 and n.prefixlen == 0 for n in nets):
                peers.insert(index + 1, {"ipBlock": {"cidr": ANY_V6}})
                added += 1
                nets.insert(index + 1, _network(ANY_V6))
                kept = peers[index]["ipBlock"].get("except")
                if kept:
                    results.append(Result(
                        f"added {ANY_V6} without the except entries {kept}: an except must be the same family "
                        f"as its cidr, so these stay on the IPv4 block; add IPv6 exceptions to {ANY_V6} yourself "
                        "if IPv6 peers must be kept out too",
                        WARNING, policy, f"{where}.except", current=kept,
                    ))
        elif not covered:
            results.append(Result(
                f"IPv4-only CIDR {net} has no IPv6 counterpart in this rule and krmfn cannot know which IPv6 "
                "prefix the same peers use: IPv6 traffic from them does not match; add an ipBlock for their "
                "IPv6 prefix",
                WARNING, policy, f"{where}.cidr", current=_cidr(peers[index]),
            ))
    return added


def twin(objs: list[dict]) -> list[Result]:
    results: list[Result] = []
    changed = total = 0
    for policy in filter(_is_policy, objs):
        total += 1
        spec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
        added = 0
        for direction, side in _RULES:
            rules = spec.get(direction)
            for r, rule in enumerate(rules if isinstance(rules, list) else []):
                peers = rule.get(side) if isinstance(rule, dict) else None
                if isinstance(peers, list):
                    added += _twin_peers(policy, peers, f"spec.{direction}[{r}].{side}", results)
        changed += added > 0
        if added:
            results.append(Result(f"networkPolicies twin: added {added} {ANY_V6} ipBlock(s)", INFO, policy))
    results.append(Result(f"NetworkPolicies: {changed} of {total} given {ANY_V6} twins", INFO))
    return results
