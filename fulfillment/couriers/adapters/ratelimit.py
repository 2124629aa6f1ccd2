"""Per-account request budgets shared by every worker process (a token bucket in Redis).

Each courier account gets `rate` requests per second with bursts of up to `burst`. The bucket
lives in one Redis hash per account and is updated by a Lua script, so the check-and-take is
atomic across processes and machines; the script reads Redis's clock, so workers' clocks do
not matter. When the bucket is empty, `acquire` sleeps until the next token (the script says
how long) and gives up with RateLimited after `max_wait_s`.

If Redis cannot be reached the limiter lets the request through and logs a warning: the
courier's own 429s (retried by the HTTP layer) still protect us, and an outage of our cache
must not stop every shipment. Without REDIS_URL (the embedded demo) a per-process bucket is used.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from fulfillment.couriers.adapters.errors import RateLimited

logger = logging.getLogger(__name__)

KEY_PREFIX = "nearbox:courier-rate:"

# KEYS[1] bucket; ARGV rate (tokens/s), burst. Returns 0 when a token was taken, else the
# microseconds until one will be available (nothing taken).
TOKEN_BUCKET_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
  'ts', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RateLimiter(Protocol):
    def acquire(self) -> None: ...


class RedisRateLimiter:
    def __init__(
        self,
        *,
        account_id: str,
        rate: float,
        burst: int = 1,
        redis_url: str,
        max_wait_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.key = f"{KEY_PREFIX}{account_id}"
        self.rate = rate
        self.burst = burst
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self.waited_s = 0.0
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._redis.register_script(TOKEN_BUCKET_LUA)

    def try_acquire(self) -> float:
        """Take a token now (returns 0.0) or return the seconds until one is due."""
        wait_us = int(self._script(keys=[self.key], args=[self.rate, self.burst]))
        return wait_us / 1_000_000

    def acquire(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        while True:
            try:
                wait = self.try_acquire()
            except redis.RedisError as exc:
                logger.warning("rate limit not enforced for %s: Redis failed (%s)", self.key, exc)
                return
            if wait == 0:
                return
            if time.monotonic() + wait > deadline:
                raise RateLimited(
                    f"request budget of {self.rate:g}/s for this courier account is used up"
                )
            # A little jitter so that waiting workers do not all wake in the same microsecond.
            pause = wait + random.uniform(0, 0.005)
            self.waited_s += pause  # read by the tracking batch's phase timings
            self._sleep(pause)


class LocalRateLimiter:
    """The same token bucket inside one process (embedded demo without Redis)."""

    def __init__(self, *, rate: float, burst: int = 1, max_wait_s: float = 10.0) -> None:
        self.rate, self.burst, self.max_wait_s = rate, burst, max_wait_s
        self._tokens = float(burst)
        self._ts = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._ts) * self.rate)
                self._ts = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            if time.monotonic() + wait > deadline:
                raise RateLimited(
                    f"request budget of {self.rate:g}/s for this courier account is used up"
                )
            time.sleep(wait)


def rate_limiter_for_account(
    account_id: str, *, rate: float, burst: int = 1, redis_url: str | None = None
) -> RateLimiter:
    """Redis-backed when REDIS_URL (or redis_url) is set, per-process otherwise."""
    if redis_url is None:
        from django.conf import settings

        redis_url = getattr(settings, "REDIS_URL", "") or ""
    if redis_url:
        return RedisRateLimiter(account_id=account_id, rate=rate, burst=burst, redis_url=redis_url)
    return LocalRateLimiter(rate=rate, burst=burst)
