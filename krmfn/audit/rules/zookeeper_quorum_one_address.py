"""A ZooKeeper ensemble whose quorum and election ports listen on one address, on a dual-stack plan."""
from __future__ import annotations

from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import as_dict
from krmfn.sdk.results import WARNING

ID = "zookeeper-quorum-one-address"
TITLE = "ZooKeeper ensemble's quorum ports bound to one address"
SEVERITY = WARNING
WHY = (
    "With quorumListenOnAllIPs=false (the Bitnami image's ZOO_LISTEN_ALLIPS_ENABLED=no, every bitnami/zookeeper "
    "chart's default) each server binds its quorum (2888) and election (3888) ports only to the address its own "
    "server.N name resolves to at start: one address of one family. On dual-stack a peer whose lookup of that name "
    "returns the other family cannot connect, and the ensemble loses quorum (ZooKeeper Administrator's Guide, "
    "quorumListenOnAllIPs; shared/ipv6-facts.md, ZooKeeper). A single server opens no quorum ports, so only "
    "ensembles are reported."
)
_VAR = "ZOO_LISTEN_ALLIPS_ENABLED"


def check(ctx: Context):
    if len(ctx.plan.families) != 2:
        return
    replicas = as_dict(ctx.obj.get("spec")).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas <= 1:
        return
    for c in ctx.containers:
        for i, entry in c.env():
            if entry.get("name") == _VAR and str(entry.get("value", "")).lower() in ("no", "false"):
                yield Finding(
                    f"{c.path}.env[{i}].value", f"{_VAR}={entry.get('value')} on a {replicas}-server ensemble",
                    f'{_VAR}: "yes" (chart value listenOnAllIPs: true): the quorum and election ports then listen '
                    "on every address of both families",
                    current=entry.get("value"), proposed="yes",
                )
