"""The audit rules, one module each, in the order their findings are listed."""
from krmfn.audit.rules import (
    ambiguous_ipv6_port,
    colon_in_name,
    duplicate_env,
    erlang_dist,
    externalname_families,
    ipv4_validated_env,
    ipv4_wildcard_bind,
    ipv6_disabled,
    link_local_no_zone,
    loopback_probe,
    netpol_except_family,
    netpol_ipv4_any,
    rabbitmq_http_ipv4,
    require_dual_stack,
    service_family,
    single_family_script,
    unbracketed_ipv6,
    zookeeper_quorum_one_address,
)

ALL = (
    # Services and NetworkPolicies: the API server's own verdicts.
    service_family,
    require_dual_stack,
    externalname_families,
    netpol_ipv4_any,
    netpol_except_family,
    colon_in_name,
    # What the programs will do with their settings.
    ipv4_wildcard_bind,
    ipv6_disabled,
    ipv4_validated_env,
    unbracketed_ipv6,
    ambiguous_ipv6_port,
    link_local_no_zone,
    loopback_probe,
    erlang_dist,
    rabbitmq_http_ipv4,
    single_family_script,
    zookeeper_quorum_one_address,
    duplicate_env,
)
