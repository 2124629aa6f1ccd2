"""The one HTTP layer every courier adapter talks through.

- timeouts: connect and read, from RetryPolicy;
- retries: up to `max_attempts` on 5xx, 429, timeouts, dropped connections and truncated
  bodies, waiting exponential backoff with full jitter, or the courier's `Retry-After`
  (seconds or an HTTP date, capped at `retry_after_cap_s`) when it sends one;
- a POST is retried after it may have reached the courier (timeout, 5xx) only when it carries
  an `Idempotency-Key` header; a 429 or a refused connection is always safe to retry;
- every attempt first takes a token from the account's shared rate limiter (ratelimit.py);
- after the last attempt: CourierUnavailable, or MalformedResponse for a truncated body;
- log lines and error messages pass through a Redactor built from the adapter's credentials.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from fulfillment.couriers.adapters.errors import CourierUnavailable, MalformedResponse
from fulfillment.couriers.adapters.ratelimit import RateLimiter, rate_limiter_for_account
from fulfillment.couriers.adapters.redaction import Redactor, redacting

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base_s: float = 0.25
    backoff_max_s: float = 8.0
    retry_after_cap_s: float = 30.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt-1))]."""
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class CourierResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    courier: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            raise MalformedResponse(
                f"the courier answered {self.status_code} with a body that is not JSON "
                f"({len(self.content)} bytes)",
                courier=self.courier,
                status_code=self.status_code,
            ) from None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client. httpx builds its own per client by loading
    the CA bundle, about 0.1 s of CPU, and a client is made for each booking and live quote
    (bulk ship's 500 bookings spent more CPU there than in anything else)."""
    return httpx.create_ssl_context()


class CourierHttp:
    """An httpx.Client for one courier account, with its retry policy and rate limit."""

    def __init__(
        self,
        *,
        account_id: str,
        rate_limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account_id = account_id
        self.policy = policy or RetryPolicy()
        self.rate_limiter = rate_limiter
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                self.policy.read_timeout_s, connect=self.policy.connect_timeout_s
            ),
            transport=transport,
            verify=_tls_context(),
            follow_redirects=False,
            headers={"User-Agent": "Nearbox/1 (+courier integration)"},
        )

    @classmethod
    def for_account(
        cls,
        account_id: str,
        *,
        requests_per_second: float,
        burst: int = 1,
        policy: RetryPolicy | None = None,
        redis_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> CourierHttp:
        limiter = rate_limiter_for_account(
            account_id, rate=requests_per_second, burst=burst, redis_url=redis_url
        )
        return cls(account_id=account_id, rate_limiter=limiter, policy=policy, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CourierHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        courier: str,
        secrets: Iterable[str] = (),
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        content: bytes | None = None,
        keep_server_errors: bool = False,
    ) -> CourierResponse:
        """Send with retries; return any non-retryable answer (2xx, 3xx, 4xx but 429).

        The caller turns 4xx answers into CourierRejected/TrackingNotFound in its own words.
        `content`: a raw body (SOAP XML). `keep_server_errors`: return the last 5xx answer
        instead of raising, for protocols that put their faults in a 500 (SOAP).
        """
        redact = Redactor(secrets)
        method = method.upper()
        headers = dict(headers or {})
        may_repeat = method in SAFE_METHODS or any(k.lower() == "idempotency-key" for k in headers)
        request = self._client.build_request(
            method, url, params=params, headers=headers, json=json_body, data=form, content=content
        )
        target = redact(f"{method} {request.url}")
        policy = self.policy
        problem = ""
        truncated = False
        for attempt in range(1, policy.max_attempts + 1):
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            started = time.monotonic()
            wait: float | None = None
            retry = True
            try:
                with redacting(redact):
                    response = self._client.send(request, auth=auth)
            except httpx.TimeoutException as exc:
                problem, truncated = f"timed out ({type(exc).__name__})", False
                retry = may_repeat or isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            except httpx.RemoteProtocolError:
                problem, truncated = "cut the body short (truncated response)", True
                retry = may_repeat
            except httpx.ConnectError:
                problem, truncated = "refused the connection", False
            except httpx.TransportError as exc:
                problem, truncated = f"failed in transport ({type(exc).__name__})", False
                retry = may_repeat
            else:
                elapsed_ms = (time.monotonic() - started) * 1000
                status = response.status_code
                logger.debug(
                    "%s → %s in %.0f ms (attempt %d/%d, %s)",
                    target, status, elapsed_ms, attempt, policy.max_attempts, courier,
                )  # fmt: skip
                if status != 429 and status < 500:
                    return CourierResponse(status, response.headers, response.content, courier)
                problem, truncated = f"answered {status}", False
                retry = status == 429 or may_repeat
                final = not retry or attempt == policy.max_attempts
                if keep_server_errors and status != 429 and final:
                    return CourierResponse(status, response.headers, response.content, courier)
                after = parse_retry_after(response.headers.get("Retry-After"))
                if after is not None:
                    wait = min(after, policy.retry_after_cap_s)
            if not retry or attempt == policy.max_attempts:
                break
            wait = policy.backoff(attempt) if wait is None else wait
            logger.warning(
                "%s %s (attempt %d/%d, %s); retrying in %.2f s",
                target, redact(problem), attempt, policy.max_attempts, courier, wait,
            )  # fmt: skip
            self._sleep(wait)
        message = redact(f"{courier}: {target} {problem} after {attempt} attempt(s)")
        logger.warning("%s", message)
        if truncated:
            raise MalformedResponse(message, courier=courier)
        raise CourierUnavailable(message, courier=courier)
