"""Places where a higher app (lockers) plugs into tracking without tracking importing it.

Each is a list of callables the other app appends to in its AppConfig.ready():
- PICKUP_CODE_PROVIDERS: f(shipment) -> str | None, the code the shopper collects with;
- PICKUP_POINT_PROVIDERS: f(order) -> PickupPoint | None, where a pickup order's parcel waits
  (asked for an order: a label, a courier booking and a tracking page all need it);
- EXPIRING_PICKUP_PROVIDERS: f(merchant) -> list[ExpiringPickup], pickups about to expire;
- LABEL_QR_PROVIDERS: f(shipment) -> LabelQr | None, what a shipping label's QR says instead
  of the tracking link (a pickup order's check-in code);
- REDIRECT_PROVIDERS: a Redirector (its `options` and `redirect`), how a parcel is sent to a
  locker or pickup shop after a failed attempt or on request (exception actions, #20).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PickupPoint:
    name: str
    address: str
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: str = ""
    # The same address in parts, for a shipping label's TO block (the courier delivers there).
    street_lines: tuple[str, ...] = ()
    city: str = ""
    postal_code: str = ""
    state: str = ""
    country: str = ""
    kind: str = ""  # "parcel locker" or "pickup shop", printed after the name


@dataclass(frozen=True)
class ExpiringPickup:
    shipment_id: int | None
    label: str  # what staff read: "Order 1042 at Locker Clark St"
    expires_at: dt.datetime
    url: str = ""


@dataclass(frozen=True)
class LabelQr:
    payload: str
    caption: str  # printed under the code: "Scan at the locker"


@dataclass(frozen=True)
class RedirectPlace:
    """A locker or shop near a parcel's address that can take it now."""

    ref: str  # "locker:12" or "shop:3"
    kind: str  # "parcel locker" or "pickup shop"
    name: str
    address: str
    distance_m: int
    opening_hours: str
    hold_days: int
    compartment_size: str = ""


class Redirector(Protocol):
    def options(self, shipment: Any, *, limit: int = 3) -> list[RedirectPlace]:
        """The nearest places that fit the parcel, nearest first."""

    def options_for_page(self, shipments: list[Any], *, limit: int = 3) -> dict[int, Any]:
        """options() for a page of one merchant's shipments, in a few queries:
        {shipment id: [RedirectPlace]}."""

    def redirect(
        self, *, shipment: Any, place_ref: str, requested_by: str, user: Any = None
    ) -> tuple[Any, bool]:
        """(ParcelRedirect, created): the parcel now goes to `place_ref`; Http404 for a place
        of another merchant, ValidationError when it cannot."""

    def redirect_to_nearest_locker(self, *, shipment: Any, requested_by: str) -> Any:
        """The nearest locker that fits; ValidationError (on next_step) when none does."""


PICKUP_CODE_PROVIDERS: list[Callable[[Any], str | None]] = []
PICKUP_POINT_PROVIDERS: list[Callable[[Any], PickupPoint | None]] = []
EXPIRING_PICKUP_PROVIDERS: list[Callable[[Any], list[ExpiringPickup]]] = []
LABEL_QR_PROVIDERS: list[Callable[[Any], LabelQr | None]] = []
REDIRECT_PROVIDERS: list[Redirector] = []


def redirector() -> Redirector | None:
    """Who redirects parcels to pickup places (None without the pickup network)."""
    return REDIRECT_PROVIDERS[0] if REDIRECT_PROVIDERS else None


def _first(providers: list[Callable[[Any], Any]], argument: Any) -> Any:
    for provider in providers:
        try:
            value = provider(argument)
        except Exception:  # a broken plug-in must not break tracking pages or messages
            logger.exception("tracking hook %r failed", provider)
            continue
        if value:
            return value
    return None


def pickup_code(shipment: Any) -> str | None:
    return _first(PICKUP_CODE_PROVIDERS, shipment)


def label_qr(shipment: Any) -> LabelQr | None:
    return _first(LABEL_QR_PROVIDERS, shipment)


def order_pickup_point(order: Any) -> PickupPoint | None:
    """Where a pickup order's parcel goes and waits (None for a home order)."""
    return _first(PICKUP_POINT_PROVIDERS, order)


def pickup_point(shipment: Any) -> PickupPoint | None:
    """The pickup point of the shipment's order."""
    return order_pickup_point(shipment.order)


def expiring_pickups(merchant: Any) -> list[ExpiringPickup]:
    found: list[ExpiringPickup] = []
    for provider in EXPIRING_PICKUP_PROVIDERS:
        try:
            found.extend(provider(merchant) or [])
        except Exception:
            logger.exception("tracking hook %r failed", provider)
    return sorted(found, key=lambda p: p.expires_at)
