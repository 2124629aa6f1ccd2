"""OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), cached per courier account.

Both on-demand couriers issue month-long bearer tokens and ask integrators to cache them and
fetch a new one only when it expires or the API answers 401 (Stuart's authentication guide;
Uber Direct's token lasts 30 days). The cache is per process, keyed by the courier, the token
endpoint, the account's HTTP identity and the client id, so two accounts never share a token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fulfillment.couriers.adapters.errors import CourierRejected, MalformedResponse
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.adapters.mapping import as_mapping, join_text

# Refresh this long before the courier's own expiry, so a token never lapses mid-request.
EXPIRY_MARGIN_S = 300
# Never trust a stated lifetime longer than this (a typo in expires_in must not pin a token).
MAX_LIFETIME_S = 31 * 24 * 3600


@dataclass(frozen=True)
class CachedToken:
    value: str
    expires_at: float  # time.monotonic()


_tokens: dict[tuple[str, ...], CachedToken] = {}
_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every cached token (tests, and an account whose credentials changed)."""
    with _lock:
        _tokens.clear()


def cached_token(key: tuple[str, ...], fetch: Callable[[], tuple[str, float]]) -> str:
    """The cached token for `key`, or a new one from `fetch()` → (token, lifetime in seconds)."""
    now = time.monotonic()
    with _lock:
        cached = _tokens.get(key)
        if cached is not None and cached.expires_at > now:
            return cached.value
    value, lifetime = fetch()
    with _lock:
        _tokens[key] = CachedToken(value, now + max(0.0, lifetime - EXPIRY_MARGIN_S))
    return value


def drop_token(key: tuple[str, ...], value: str) -> None:
    """Forget `value` (the API refused it) unless another thread already replaced it."""
    with _lock:
        if key in _tokens and _tokens[key].value == value:
            del _tokens[key]


def fetch_client_credentials_token(
    http: CourierHttp,
    url: str,
    *,
    courier: str,
    client_id: str,
    client_secret: str,
    scope: str,
    secrets: tuple[str, ...],
) -> tuple[str, float]:
    """POST the client credentials (form-encoded); (access_token, lifetime in seconds)."""
    if not client_id or not client_secret:
        raise CourierRejected(
            f"{courier}: the account has no client_id/client_secret", courier=courier
        )
    response = http.request(
        "POST",
        url,
        courier=courier,
        secrets=secrets,
        form={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": scope,
        },
        headers={"Accept": "application/json"},
    )
    if not response.ok:
        try:
            body = response.json()
        except MalformedResponse:
            body = {}
        words = ""
        if isinstance(body, Mapping):
            words = join_text([body.get("error"), body.get("error_description")], ": ")
        raise CourierRejected(
            f"{courier} refused the API credentials ({response.status_code}"
            f"{': ' + words if words else ''})",
            courier=courier,
            status_code=response.status_code,
            courier_code=str(body.get("error", "")) if isinstance(body, Mapping) else "",
        )
    body = as_mapping(response.json(), courier=courier, field="token answer")
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise MalformedResponse(f"{courier}: token answer without access_token", courier=courier)
    try:
        lifetime = float(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600.0
    return token, min(max(lifetime, 0.0), MAX_LIFETIME_S)
