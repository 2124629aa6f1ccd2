"""Fixed-window counters in the shared cache (Redis in production, a file cache on `make run`),
for per-key API limits, wrong pickup codes and password-reset mails. Every web process sees the
same counts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


@dataclass(frozen=True)
class Window:
    count: int
    limit: int
    retry_after: int  # seconds until the window ends
    read: dict[str, Any] = field(default_factory=dict)  # the `read` keys that were set

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _key(scope: str, window_seconds: int) -> tuple[str, int]:
    now = time.time()
    start = int(now // window_seconds) * window_seconds
    # The key kept its prefix from when this module lived in lockers: windows running at a
    # deploy keep counting, and the lockers tests' cache clean-up (`*lockers:*`) still finds it.
    return f"lockers:rl:{scope}:{start}", max(1, int(start + window_seconds - now + 0.999))


_clients: dict[int, Any] = {}


def redis_client(cache: RedisCache) -> Any:
    """This process's client of the cache's (first) Redis server. Django makes a new client
    object per call, which costs more than the round trip itself on the checkout's hot path."""
    client = _clients.get(id(cache._cache))
    if client is None:
        client = _clients[id(cache._cache)] = cache._cache.get_client(write=True)
    return client


def hit(
    scope: str, *, limit: int, window_seconds: int, amount: int = 1, read: Sequence[str] = ()
) -> Window:
    """Count `amount` against `scope` in the current window and return the new total, with
    the values of the cache keys in `read` fetched in the same round trip."""
    key, retry_after = _key(scope, window_seconds)
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = redis_client(cache)
        full_key = cache.make_and_validate_key(key)
        pipe = client.pipeline()
        pipe.incrby(full_key, amount)
        pipe.expire(full_key, window_seconds + 1, nx=True)
        if read:
            pipe.mget([cache.make_and_validate_key(k) for k in read])
        answers = pipe.execute()
        count = int(answers[0])
        loads = cache._cache._serializer.loads
        values = answers[2] if read else []
        found = {k: loads(v) for k, v in zip(read, values, strict=True) if v is not None}
    else:
        cache.add(key, 0, window_seconds + 1)
        count = cache.incr(key, amount)
        found = cache.get_many(read) if read else {}
    return Window(count=count, limit=limit, retry_after=retry_after, read=found)


def peek(scope: str, *, limit: int, window_seconds: int) -> Window:
    key, retry_after = _key(scope, window_seconds)
    return Window(count=int(caches["default"].get(key) or 0), limit=limit, retry_after=retry_after)
