"""Errors every courier adapter raises, whatever the courier.

A message never contains credentials: the shared HTTP layer redacts them before it builds one.
`retryable` tells a task whether trying again later can help (autoretry_for those only).
"""

from __future__ import annotations


class CourierError(Exception):
    """Base of every courier failure; `courier` is the adapter code ("dhl", "sandbox", ...)."""

    retryable = False

    def __init__(self, message: str, *, courier: str = "", status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.courier = courier
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message


class CourierUnavailable(CourierError):
    """Transient: timeouts, connection failures, 5xx or 429 still failing after the retries."""

    retryable = True


class RateLimited(CourierUnavailable):
    """Our own per-account budget stayed exhausted longer than the caller was willing to wait."""


class CourierRejected(CourierError):
    """The courier refused the request (4xx); the message carries the courier's own words."""

    def __init__(
        self,
        message: str,
        *,
        courier: str = "",
        status_code: int | None = None,
        courier_code: str = "",
    ):
        super().__init__(message, courier=courier, status_code=status_code)
        self.courier_code = courier_code


class TrackingNotFound(CourierRejected):
    """The courier does not know this tracking number (yet)."""


class MalformedResponse(CourierError):
    """The courier answered something we cannot read: bad JSON, a truncated body, missing keys."""

    retryable = True


class CourierNotSupported(CourierError):
    """This courier has no such operation (e.g. a tracking-only API asked to create a shipment)."""


class WebhookRejected(CourierError):
    """A pushed webhook whose signature, timestamp or body does not check out."""
