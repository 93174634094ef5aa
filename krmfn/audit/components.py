"""Facts about particular servers that no generic pattern can infer, with their sources."""
from __future__ import annotations

from krmfn.audit.walk import Container

# Go's net.Listen on 0.0.0.0 opens a dual-stack socket on Linux (golang/go#17615, #48723):
# for these servers 0.0.0.0 still accepts IPv6, unless the node sets net.ipv6.bindv6only=1.
# Keyed by image repository name.
GO_SERVERS = frozenset({"etcd"})

# Env vars the Bitnami images validate as IPv4 addresses: an IPv6 value stops the container
# (RabbitMQ: bitnami/containers#69256, fixed in 2024 by #69439; Elasticsearch: the image's
# validation of ELASTICSEARCH_BIND_ADDRESS, shared/ipv6-facts.md). Value: the working fix.
IPV4_VALIDATED_ENV = {
    "RABBITMQ_MANAGEMENT_BIND_IP": "leave it unset and put `management.tcp.ip = ::` in rabbitmq.conf "
    "(chart value extraConfiguration)",
    "ELASTICSEARCH_BIND_ADDRESS": "leave it unset and set `network.bind_host: \"::\"` in the Elasticsearch "
    "config (chart value extraConfig)",
}


def is_rabbitmq(c: Container) -> bool:
    return c.image == "rabbitmq" or any(e.get("name") == "RABBITMQ_NODE_NAME" for _, e in c.env())


def runs_erlang_node(c: Container) -> bool:
    """A RabbitMQ container that starts a node or its CLI. Init containers of the image do neither: the
    chart's prepare-plugins-dir (rabbitmq 14.0.2+) only copies plugin files before the node starts."""
    return is_rabbitmq(c) and ".initContainers[" not in c.path
