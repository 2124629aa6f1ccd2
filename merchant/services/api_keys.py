"""Issue, check and revoke a merchant's API keys."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from merchant.models import ApiKey, Merchant

KEY_PREFIXES = {ApiKey.Kind.SECRET: "nbx_sk_", ApiKey.Kind.PUBLISHABLE: "nbx_pk_"}
# Touch last_used_at at most this often, so that busy keys do not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60
# Each process keeps a key it has read for this long, so the checkout API (called on every
# keystroke) does not query it per request. Revoking or saving a key clears this process's
# copies at once; other processes drop theirs within these seconds.
KEY_CACHE_SECONDS = 10
_key_cache: dict[tuple[str, str], tuple[float, ApiKey]] = {}
_key_cache_lock = threading.Lock()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown to the merchant once, never stored


def digest_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalize_origin(value: str) -> str:
    """`https://Shop.example.com/` -> `https://shop.example.com`; raises ValidationError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(
            f"“{value}” is not an origin: write it as https://shop.example.com", code="origin"
        )
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ValidationError(f"“{value}” has a path: an origin is scheme, host and port only.")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def issue_api_key(
    *, merchant: Merchant, kind: str, name: str, allowed_origins: list[str] | tuple = ()
) -> IssuedKey:
    if kind not in KEY_PREFIXES:
        raise ValidationError(f"Unknown key kind {kind!r}.")
    origins = sorted({normalize_origin(origin) for origin in allowed_origins})
    if kind == ApiKey.Kind.PUBLISHABLE and not origins:
        raise ValidationError("A publishable key needs at least one allowed origin.")
    raw = KEY_PREFIXES[kind] + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        merchant=merchant,
        kind=kind,
        name=name.strip() or ApiKey.Kind(kind).label,
        prefix=raw[: len(KEY_PREFIXES[kind]) + 6],
        digest=digest_key(raw),
        allowed_origins=origins,
    )
    return IssuedKey(api_key=api_key, raw=raw)


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    with transaction.atomic():
        ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    forget_cached_keys()
    api_key.refresh_from_db()
    return api_key


@receiver(post_save, sender=ApiKey, dispatch_uid="api_keys.forget_cached_keys")
def forget_cached_keys(**kwargs) -> None:
    with _key_cache_lock:
        _key_cache.clear()


def _active_key(digest: str, kind: str) -> ApiKey | None:
    now = time.monotonic()
    cached = _key_cache.get((digest, kind))
    if cached is not None and cached[0] > now:
        return cached[1]
    api_key = (
        ApiKey.objects.select_related("merchant")
        .filter(digest=digest, kind=kind, revoked_at__isnull=True)
        .first()
    )
    if api_key is not None:  # an unknown key is asked again: nothing to spend memory on
        with _key_cache_lock:
            _key_cache[(digest, kind)] = (now + KEY_CACHE_SECONDS, api_key)
    return api_key


def authenticate_key(raw: str, *, kind: str) -> ApiKey | None:
    """The active key of that kind with that value, or None."""
    if not raw or not raw.startswith(KEY_PREFIXES.get(kind, "\0")):
        return None
    api_key = _active_key(digest_key(raw), kind)
    if api_key is not None:
        now = timezone.now()
        stale = now - timezone.timedelta(seconds=LAST_USED_RESOLUTION_SECONDS)
        # Decided on the row just read, so a busy key costs no write (nor query) per request;
        # the condition is repeated in SQL so that concurrent requests write it once.
        if api_key.last_used_at is None or api_key.last_used_at <= stale:
            ApiKey.objects.filter(pk=api_key.pk).exclude(last_used_at__gt=stale).update(
                last_used_at=now
            )
            api_key.last_used_at = now
    return api_key


def origin_is_allowed(api_key: ApiKey, origin: str) -> bool:
    try:
        return normalize_origin(origin) in api_key.allowed_origins
    except ValidationError:
        return False
