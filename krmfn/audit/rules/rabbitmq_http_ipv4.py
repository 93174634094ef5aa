"""RabbitMQ's HTTP API and Prometheus listeners left on their IPv4-only default."""
from __future__ import annotations

from krmfn.audit.components import is_rabbitmq
from krmfn.audit.context import Context, Finding
from krmfn.audit.text import code_lines
from krmfn.audit.walk import DATA, config_texts
from krmfn.sdk import objects
from krmfn.sdk.results import WARNING

ID = "rabbitmq-http-ipv4"
TITLE = "RabbitMQ HTTP listener on its IPv4-only default"
SEVERITY = WARNING
WHY = (
    "The management HTTP API (15672) and the Prometheus endpoint (15692) listen on IPv4 only unless "
    "`management.tcp.ip` / `prometheus.tcp.ip` say otherwise, and each takes a single listener "
    "(rabbitmq/rabbitmq-server#11526, #2672); `::` serves both families. AMQP and the probes are unaffected, "
    "hence a warning: dashboards, the HTTP API and metrics scraping are what break (shared/ipv6-facts.md, "
    "RabbitMQ)."
)

_PLUGINS = {"management": "rabbitmq_management", "prometheus": "rabbitmq_prometheus"}


def _enabled(ctx: Context, containers) -> list[str]:
    """The HTTP plugins the containers enable: RABBITMQ_PLUGINS, enabled_plugins files, *-management images."""
    text = []
    for c in containers:
        text += c.env_values().values()
        if "management" in str(c.spec.get("image") or "").rpartition(":")[2]:  # rabbitmq:3.9-management
            text.append(_PLUGINS["management"])
        for kind, name in c.config_objects():
            text += config_texts(ctx.bundle.get(kind, objects.namespace(ctx.obj), name) or {}).values()
    joined = "\n".join(text)
    return [p for p, plugin in _PLUGINS.items() if plugin in joined]


def check(ctx: Context):
    if not ctx.ipv6 or not config_texts(ctx.obj):
        return
    # rabbitmq.conf is a ConfigMap key up to chart 10.0 and a Secret key from 10.1.0.
    users = ctx.bundle.mounts.get((objects.kind(ctx.obj), objects.namespace(ctx.obj), objects.name(ctx.obj)), [])
    rabbits = [c for _, c in users if is_rabbitmq(c)]
    if not rabbits:
        return
    plugins = _enabled(ctx, rabbits)
    for site in ctx.sites_of(DATA):
        if site.key != "rabbitmq.conf":
            continue
        set_keys = {line.split("=", 1)[0].strip() for _, line in code_lines(site.value) if "=" in line}
        missing = [p for p in plugins if f"{p}.tcp.ip" not in set_keys]
        if missing:
            added = "".join(f"\n{p}.tcp.ip = ::" for p in missing)
            yield Finding(
                site.path, f"{', '.join(_PLUGINS[p] for p in missing)} enabled, no "
                           f"{' or '.join(p + '.tcp.ip' for p in missing)}",
                f"add {', '.join(f'`{p}.tcp.ip = ::`' for p in missing)} (chart value extraConfiguration)",
                current=site.value, proposed=site.value.rstrip("\n") + added + "\n",
            )
