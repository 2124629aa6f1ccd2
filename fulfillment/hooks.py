"""Places where a higher app (lockers) plugs into order intake without fulfillment importing it.

- RESERVATION_CONFIRMERS: f(*, reservation_token: str, order: Order) -> Any. Called inside
  create_order's transaction for an order that carries `delivery.reservation_token`; it must
  raise ValidationError (on any key) when the hold cannot be confirmed, which rolls the whole
  order back. lockers registers confirm_reservation in LockersConfig.ready().
- PICKUP_PLACE_PROVIDERS: f(order) -> PickupPlace | None: the locker or shop a pickup order
  goes to, with its compartment and reservation, for the order page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

RESERVATION_CONFIRMERS: list[Callable[..., Any]] = []


@dataclass(frozen=True)
class PickupPlace:
    kind: str  # "Parcel locker" or "Pickup shop"
    name: str
    address: str
    url: str  # the place's dashboard page
    compartment: str = ""  # "A3 (medium)", for lockers once one is held or used
    reservation_status: str = ""  # the compartment hold: "Confirmed", "Expired"...
    reservation_until: dt.datetime | None = None  # a hold's expiry
    parcel_status: str = ""  # the parcel at the place: "Ready for pickup", "Collected"...
    collect_by: dt.datetime | None = None


PICKUP_PLACE_PROVIDERS: list[Callable[[Any], PickupPlace | None]] = []


def pickup_place(order: Any) -> PickupPlace | None:
    """Where a pickup order goes, from the first provider that knows (None for home orders)."""
    if not getattr(order, "pickup_location_ref", ""):
        return None
    for provider in PICKUP_PLACE_PROVIDERS:
        place = provider(order)
        if place is not None:
            return place
    return None


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
