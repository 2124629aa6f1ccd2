"""Whether Nearbox may call an address a merchant typed (a courier's API base URL, a shop, a
webhook endpoint): not a loopback, private or link-local one, nor a name that resolves to one,
so that no merchant can point Nearbox at its own network (the cloud's metadata service, Redis,
internal hosts). Each caller decides when development allows local addresses."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def non_public_reason(url: str, *, resolve: bool) -> str:
    """Why `url` may not be called ("" when it may): its host is a local name or a non-public
    literal address, or (with `resolve`) resolves now to one. A name that does not resolve is
    left to the HTTP client, which will say the host cannot be reached."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        return f"The address cannot be read: {error}."
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
            return f"{host} is a local name; enter a public address."
    else:
        return "" if is_public(literal) else f"{host} is not a public address."
    if not resolve or not host:
        return ""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return ""
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not is_public(address):
            return f"{host} resolves to {address}, not a public address."
    return ""
