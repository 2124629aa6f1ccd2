"""Where Nearbox may call a shop: the merchant types the address and Nearbox sends the store's
keys there, so outside development (NEARBOX_PLATFORMS_ALLOW_LOOPBACK) it may not be, or resolve
to, a loopback, private or link-local address: Nearbox is not to be pointed at its own network."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from merchant.netguard import is_public

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


class AddressRefused(ValueError):
    """The address is (or resolves to) one Nearbox does not call; the message says why."""


def refuse_local(url: str) -> None:
    """Refuse an address whose host is a local name or a non-public literal address."""
    if settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK:
        return
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        local = host == "localhost" or host.endswith(_LOCAL_SUFFIXES)
    else:
        local = not is_public(address)
    if local:
        raise AddressRefused("Enter the shop's public address, not a local one.")


def refuse_local_resolved(url: str) -> None:
    """Before each call: refuse a host that resolves to a non-public address now (a name that
    was public when saved can be pointed elsewhere since). A name that does not resolve is left
    to the HTTP client, which says the shop cannot be reached."""
    if settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK:
        return
    refuse_local(url)
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise AddressRefused(f"The address cannot be read: {error}") from error
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not is_public(address):
            raise AddressRefused(f"{parts.hostname} resolves to {address}, not a public address.")
