"""HMAC-SHA256 webhook signatures (the sandbox signs, the sandbox adapter verifies).

signature = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + raw body)), sent in
X-Sandbox-Signature with the unix timestamp in X-Sandbox-Timestamp. Signing the timestamp
with the body and refusing old timestamps stops replays. Standard library only: the sandbox
server imports this without Django.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from fulfillment.couriers.adapters.errors import WebhookRejected

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance_s: int = TOLERANCE_S,
    now: float | None = None,
) -> None:
    """Raise WebhookRejected unless the body was signed with `secret` recently."""
    if not secret:
        raise WebhookRejected("no webhook secret is configured for this courier account")
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp.isdigit() or not signature:
        raise WebhookRejected("webhook without timestamp or signature header")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_s:
        raise WebhookRejected("webhook timestamp is too old or in the future")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise WebhookRejected("webhook signature does not match")
