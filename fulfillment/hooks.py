"""Places where a higher app (lockers) plugs into order intake without fulfillment importing it.

- RESERVATION_CONFIRMERS: f(*, reservation_token: str, order: Order) -> Any. Called inside
  create_order's transaction for an order that carries `delivery.reservation_token`; it must
  raise ValidationError (on any key) when the hold cannot be confirmed, which rolls the whole
  order back. lockers registers confirm_reservation in LockersConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

RESERVATION_CONFIRMERS: list[Callable[..., Any]] = []

FIELD = "delivery.reservation_token"


def confirm_pickup_reservation(*, reservation_token: str, order: Any) -> None:
    """Confirm the checkout's hold for `order`, or raise ValidationError on FIELD.

    Unlike tracking's hooks, a failing confirmer is not logged and skipped: an order must not
    be taken for a compartment that is no longer held for it."""
    if not RESERVATION_CONFIRMERS:
        raise ValidationError({FIELD: "Locker reservations are not available here."})
    for confirm in RESERVATION_CONFIRMERS:
        try:
            confirm(reservation_token=reservation_token, order=order)
        except ValidationError as error:
            raise ValidationError({FIELD: error.messages}) from error
