"""Where a webhook may go: http(s) URLs only, no credentials in them, and (in production) no
loopback, private or link-local address, checked when the URL is saved and again, after DNS,
before each POST."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from merchant.netguard import is_public

MAX_URL = 500
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class TargetRefused(Exception):
    """The URL's host is (or resolves to) an address Nearbox does not send to."""


def clean_url(value: str) -> str:
    """The endpoint URL as it will be stored, or ValidationError saying what is wrong."""
    url = (value or "").strip()
    if not url:
        raise ValidationError("Enter the URL that should receive the events.")
    if len(url) > MAX_URL:
        raise ValidationError(f"Use a URL of at most {MAX_URL} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or not url.isprintable():
        raise ValidationError("The URL has spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port out of range
    except ValueError:
        raise ValidationError("Enter a valid URL, for example https://example.com/hooks.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Use an http:// or https:// URL.")
    if parts.username or parts.password:
        raise ValidationError("Put no user name or password in the URL; verify the signature.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError("Enter a valid URL, for example https://example.com/hooks.") from None
    if not settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE:
        host = (parts.hostname or "").rstrip(".").lower()
        if host in _LOCAL_NAMES or host.endswith(".localhost"):
            raise ValidationError("Nearbox cannot send to localhost; use a public address.")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not is_public(literal):
            raise ValidationError("Nearbox cannot send to a private or local address.")
    return url


def check_resolved(url: str) -> str | None:
    """The address to connect to for this URL: its host resolved once, every address it
    resolves to public (TargetRefused otherwise). The caller connects to this address, not to
    the name, so a name that answers the check with a public address and the connection with a
    private one (DNS rebinding) cannot turn the POST inward. None when private addresses are
    allowed (development): the HTTP client resolves the name itself."""
    if settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise TargetRefused(f"The URL cannot be read: {error}") from error
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"The host name does not resolve: {error}") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if not is_public(address):
            raise TargetRefused(f"{parts.hostname} resolves to {address}, not a public address.")
    if not addresses:
        raise TargetRefused(f"{parts.hostname} resolves to no address.")
    return str(addresses[0])
