"""Who is asking: the client address that the lookup throttle and the sign-in limits count."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address failures are counted against.

    ``REMOTE_ADDR`` unless ``CLIENT_IP_HEADER`` names a header that a trusted reverse proxy
    overwrites on every request (its last entry is the one the proxy wrote); a header value that
    is not an address is ignored. An IPv6 client counts by its /64 network, which one subscriber
    usually holds whole.
    """
    candidates = [request.META.get("REMOTE_ADDR", "")]
    header = settings.CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        candidates.insert(0, request.META.get(meta_key, "").split(",")[-1].strip())
    for raw in candidates:
        try:
            address = ipaddress.ip_address(raw)
        except ValueError:
            continue
        if address.version == 6:
            if address.ipv4_mapped:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)
    return candidates[-1][:64] or "unknown"


def signin_address(request: HttpRequest) -> str | None:
    """``client_address`` for the sign-in limits, which store it in an address column: None
    when the request carries no address at all (a server on a Unix socket without a proxy
    header)."""
    address = client_address(request)
    try:
        ipaddress.ip_network(address)
    except ValueError:
        return None
    return address
