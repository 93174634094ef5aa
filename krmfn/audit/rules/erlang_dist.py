"""Erlang distribution (RabbitMQ clustering and CLI) over the wrong family, or half-configured for IPv6."""
from __future__ import annotations

import re

from krmfn.audit.components import runs_erlang_node
from krmfn.audit.context import Context, Finding
from krmfn.audit.walk import Container, as_dict, as_list
from krmfn.sdk import objects
from krmfn.sdk.results import ERROR

ID = "erlang-dist"
TITLE = "Erlang distribution not set up for IPv6"
SEVERITY = ERROR
WHY = (
    "Erlang nodes and the CLI talk over inet_tcp (IPv4) unless given `-proto_dist inet6_tcp`; server and CLI "
    "must agree (rabbitmq/rabbitmq-server#1421: 'unable to connect to epmd ... nxdomain' and 'TCP connection "
    "succeeded but Erlang distribution failed'), and name lookups stay IPv4 without an inetrc holding "
    "`{inet6,true}.` (rabbitmq/rabbitmq-server#10728, #10904). RabbitMQ's probes run rabbitmq-diagnostics, so "
    "a mismatch fails the probes too (shared/ipv6-facts.md, RabbitMQ; bitnami/charts#6845). On an IPv6-only plan a "
    "RabbitMQ container without inet6_tcp is reported: its node names have AAAA records only, which inet_tcp "
    "cannot resolve (rabbitmq/rabbitmq-server#13568 shows the nxdomain; that it also fails a single node's "
    "probes is inference). Dual-stack plans keep inet_tcp, as shared/ipv6-facts.md advises."
)

_INET6 = re.compile(r"-proto_dist\s+inet6_tcp\b")
_INETRC = re.compile(r"-kernel\s+inetrc\b")
_CTL = "RABBITMQ_CTL_ERL_ARGS"
_SERVER = "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"
_INETRC_FIX = ("mount an erl_inetrc file holding `{inet6,true}.` and add `-kernel inetrc '<path>/erl_inetrc'` "
               "to the same variable")


def _service_families(svc: dict, ctx: Context) -> list[str]:
    spec = as_dict(svc.get("spec"))
    if as_list(spec.get("ipFamilies")):
        return [str(f) for f in spec["ipFamilies"]]
    if spec.get("ipFamilyPolicy") in ("PreferDualStack", "RequireDualStack"):
        return list(ctx.plan.families)
    return [ctx.plan.primary]


def _container(ctx: Context, c: Container):
    carriers = [(i, e) for i, e in c.env() if isinstance(e.get("value"), str) and _INET6.search(e["value"])]
    ipv6_only = ctx.plan.families == ["IPv6"]
    if not carriers:
        if ipv6_only and runs_erlang_node(c):
            yield Finding(
                f"{c.path}.env", f"no `-proto_dist inet6_tcp` in container {c.spec.get('name')}",
                f"set {_SERVER}=\"-kernel inetrc '/etc/rabbitmq/erl_inetrc' -proto_dist inet6_tcp\" and "
                f"{_CTL}=\"-proto_dist inet6_tcp\", with erl_inetrc holding `{{inet6,true}}.`",
                problem="RabbitMQ clustering, epmd and the CLI (and so the probes) use IPv4 on an IPv6-only plan",
            )
        return
    values = c.env_values()
    i, carrier = carriers[0]
    path = f"{c.path}.env[{i}].value"
    if str(carrier.get("name")).startswith("RABBITMQ_") and not _INET6.search(values.get(_CTL, "")):
        ctl = [(j, e) for j, e in c.env() if e.get("name") == _CTL]
        extra: dict = {}
        if not ctl:
            env = c.spec["env"]
            extra = {"current": env, "proposed": [*env, {"name": _CTL, "value": "-proto_dist inet6_tcp"}]}
            where = f"{c.path}.env"
        else:
            j, entry = ctl[-1]
            where = f"{c.path}.env[{j}].value"
            if isinstance(entry.get("value"), str):
                extra = {"current": entry["value"], "proposed": f"{entry['value']} -proto_dist inet6_tcp".strip()}
        yield Finding(
            where, f"{carrier.get('name')} has -proto_dist inet6_tcp, {_CTL} has not",
            f"{_CTL}=\"-proto_dist inet6_tcp\" so that rabbitmqctl and rabbitmq-diagnostics (the probes) reach "
            "the node", problem="the server uses IPv6 distribution but the CLI does not", **extra,
        )
    if not any(_INETRC.search(v) for v in values.values()) and "ERL_INETRC" not in values:
        yield Finding(path, f"{carrier.get('name')}: -proto_dist inet6_tcp without -kernel inetrc", _INETRC_FIX,
                      problem="IPv6 distribution without an inetrc: host names still resolve over IPv4 only")


def _headless(ctx: Context):
    if ctx.obj.get("kind") != "StatefulSet":
        return
    uses_inet6 = any(
        _INET6.search(e["value"]) for c in ctx.containers for _, e in c.env() if isinstance(e.get("value"), str)
    )
    name = as_dict(ctx.obj.get("spec")).get("serviceName")
    svc = ctx.bundle.get("Service", objects.namespace(ctx.obj), str(name)) if uses_inet6 and name else None
    if svc is None:
        return
    families = _service_families(svc, ctx)
    if "IPv6" not in families:
        yield Finding(
            "spec.serviceName", f"Service {name} resolves to {', '.join(families)} only",
            f"give Service {name} IPv6 (`ipFamilies` with IPv6, or PreferDualStack on a dual-stack plan)",
            problem="IPv6 distribution but the governing headless Service publishes no AAAA records",
        )


def check(ctx: Context):
    for c in ctx.containers:
        yield from _container(ctx, c)
    yield from _headless(ctx)
