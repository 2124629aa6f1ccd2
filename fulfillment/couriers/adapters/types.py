"""The normalised courier vocabulary: statuses, events, tracking results, quotes, shipments.

Every adapter maps its courier's payloads onto these types; tracking, rate shopping and the
pages only ever see these. Errors live in errors.py and are re-exported here.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierNotSupported,
    CourierRejected,
    CourierUnavailable,
    MalformedResponse,
    RateLimited,
    TrackingNotFound,
    WebhookRejected,
)

__all__ = [
    "ChangeBatch",
    "CourierError",
    "CourierNotSupported",
    "CourierRejected",
    "CourierUnavailable",
    "CreatedShipment",
    "DeliveryWindow",
    "MalformedResponse",
    "Parcel",
    "PositionReport",
    "Quote",
    "RateLimited",
    "ShipmentRequest",
    "TrackingEvent",
    "TrackingNotFound",
    "TrackingResult",
    "TrackingStatus",
    "WebhookRejected",
    "WebhookUpdate",
    "make_event_id",
]


class TrackingStatus(enum.StrEnum):
    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    FAILED_ATTEMPT = "failed_attempt"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    EXPIRED = "expired"
    RETURNED = "returned"

    @property
    def rank(self) -> int:
        """How far along the parcel is; a status never moves to a lower rank (see advance)."""
        return _RANK[self]

    @property
    def is_terminal(self) -> bool:
        return self in (TrackingStatus.DELIVERED, TrackingStatus.RETURNED, TrackingStatus.EXPIRED)

    def advance(self, new: TrackingStatus) -> TrackingStatus:
        """The status after `new` is reported while the parcel is in `self`.

        Ranks only go up (a late "in transit" scan never undoes "out for delivery"); equal ranks
        may alternate (out for delivery ↔ failed attempt). An exception can interrupt any
        non-final status, and from an exception (rank of in transit) the parcel moves on.
        """
        if new is TrackingStatus.EXCEPTION and not self.is_terminal:
            return new
        return new if new.rank >= self.rank else self


_RANK = {
    TrackingStatus.PENDING: 0,
    TrackingStatus.INFO_RECEIVED: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.EXCEPTION: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.FAILED_ATTEMPT: 3,
    TrackingStatus.AVAILABLE_FOR_PICKUP: 4,
    TrackingStatus.EXPIRED: 5,
    TrackingStatus.RETURNED: 5,
    TrackingStatus.DELIVERED: 6,
}


def make_event_id(courier: str, tracking_number: str, *parts: object) -> str:
    """A stable key for a courier event that has no id of its own (hash of what identifies it)."""
    text = "\x1f".join([courier, tracking_number, *(_id_part(p) for p in parts)])
    return f"{courier}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _id_part(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return "" if value is None else str(value)


@dataclass(frozen=True)
class DeliveryWindow:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str
    status: TrackingStatus
    occurred_at: datetime  # aware
    courier_code: str  # the courier's own status/event code, unchanged
    courier_description: str  # the courier's own words
    location: str = ""
    reason_code: str | None = None  # why a parcel failed/stopped, as the courier says it
    event_id: str = ""  # unique per courier event: store events once however often fetched

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("TrackingEvent.occurred_at must be timezone-aware")


@dataclass(frozen=True)
class TrackingResult:
    tracking_number: str
    events: tuple[TrackingEvent, ...]  # oldest first; duplicates kept (same event_id)
    status: TrackingStatus
    estimated_delivery: DeliveryWindow | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The courier's own id for the booking where it differs from what it tracks by, or is
    # needed to cancel it and match its webhooks (an on-demand courier's job id); stored as
    # Shipment.courier_reference.
    courier_reference: str = ""

    @classmethod
    def from_events(
        cls,
        tracking_number: str,
        events: Iterable[TrackingEvent],
        *,
        estimated_delivery: DeliveryWindow | None = None,
        raw: Mapping[str, Any] | None = None,
        fallback_status: TrackingStatus = TrackingStatus.PENDING,
    ) -> TrackingResult:
        ordered = tuple(sorted(events, key=lambda e: e.occurred_at))
        status = TrackingStatus.PENDING if ordered else fallback_status
        for event in ordered:
            status = status.advance(event.status)
        return cls(tracking_number, ordered, status, estimated_delivery, raw or {})

    @property
    def unique_events(self) -> tuple[TrackingEvent, ...]:
        seen: set[str] = set()
        unique = []
        for event in self.events:
            if event.event_id not in seen:
                seen.add(event.event_id)
                unique.append(event)
        return tuple(unique)


@dataclass(frozen=True)
class ChangeBatch:
    """New events from a courier's change feed, and the cursor to ask from next time."""

    events: tuple[TrackingEvent, ...]
    cursor: str


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class ShipmentRequest:
    sender: Mapping[str, str]  # keys: name, street, city, postal_code, country (ISO 2)
    recipient: Mapping[str, str]
    parcels: tuple[Parcel, ...]
    service_code: str
    reference: str  # ours, e.g. the order number; shown on the label
    idempotency_key: str  # same key → the courier must not create a second shipment


@dataclass(frozen=True)
class Quote:
    courier: str
    service_code: str
    service_name: str
    price_minor: int
    currency: str
    estimated_delivery: DeliveryWindow | None = None


@dataclass(frozen=True)
class CreatedShipment:
    tracking_number: str
    label: bytes | None = None
    label_format: str | None = None  # "PDF", "ZPL", ... when the courier makes the label
    estimated_delivery: DeliveryWindow | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The courier's own id for the booking where it differs from what it tracks by, or is
    # needed to cancel it and match its webhooks (an on-demand courier's job id); stored as
    # Shipment.courier_reference.
    courier_reference: str = ""


@dataclass(frozen=True)
class PositionReport:
    """Where a live courier is, as its courier pushed it, for the booking whose courier id
    (Shipment.courier_reference) is `reference`. tracking/positions.py stores it."""

    reference: str
    latitude: float
    longitude: float
    recorded_at: datetime  # aware; the courier's clock, or arrival when the courier sends none
    courier_name: str = ""  # first name only
    vehicle: str = ""
    eta_at: datetime | None = None
    arriving: bool = False  # the courier says it is about to arrive at the drop-off

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None:
            raise ValueError("PositionReport.recorded_at must be timezone-aware")
        # Written so that NaN (json.loads accepts it) fails too.
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError(f"not a place on Earth: {self.latitude}, {self.longitude}")


@dataclass(frozen=True)
class WebhookUpdate:
    """What one verified webhook says: tracking events, courier positions, or both.

    `nonce` names this delivery of the webhook (the courier's own event id, or a hash of the
    body when it has none): the receiver accepts each nonce once per account. Empty: the
    receiver's default (the signed headers with the body).
    """

    events: tuple[TrackingEvent, ...] = ()
    positions: tuple[PositionReport, ...] = ()
    nonce: str = ""
