"""Counting limits kept in the cache (Redis in production, a file cache on `make run`).

Used where a request may cost someone else something: a password-reset mail lands in a
person's inbox, so its sender is limited per address and per client IP in a window."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def within_limit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one more use of `key` in `scope`; False once `limit` uses fell in this window.

    The window starts at the first use (cache.add) and is not extended by later ones, so a
    client that keeps trying is let through again `window_seconds` after its first try."""
    digest = hashlib.sha256(key.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
    name = f"throttle:{scope}:{digest}"
    if cache.add(name, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: this is the first use again
        cache.add(name, 1, timeout=window_seconds)
        count = 1
    return count <= limit
