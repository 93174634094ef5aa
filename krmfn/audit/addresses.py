"""IP address literals as they appear inside URLs, DSNs and config values."""
from __future__ import annotations

import ipaddress


def ipv6(text: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def split_ipv6_authority(text: str) -> tuple[str, str] | None:
    """(address, ':port' or '') of an unbracketed IPv6 'address[:port]', or None if it is not one.

    Ambiguous text such as fd00::1:2379 is read as address fd00::1 and port 2379: in a URL
    or a DSN a port is what the writer meant, and the ambiguity is the very hazard.
    """
    head, _, port = text.rpartition(":")
    if port.isdigit() and 0 < int(port) < 65536 and head.count(":") >= 2 and ipv6(head):
        return head, ":" + port
    if ipv6(text):
        return text, ""
    return None


def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None
