"""Live courier positions: the latest place of the courier carrying a shipment.

On-demand couriers (Stuart, Uber Direct…) push a position every few seconds, and webhooks
arrive out of order; only a position newer (in the courier's clock) than the stored one moves
the marker. One conditional UPDATE, then an INSERT guarded by the one-row-per-shipment
constraint: two workers storing positions of the same courier at once never lose the newest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.models import CourierPosition
from fulfillment.tracking import nearby


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    recorded_at: datetime  # aware, courier's clock
    courier_name: str = ""
    vehicle: str = ""
    eta_at: datetime | None = None
    arriving: bool = False  # the courier says it is about to arrive (Uber's courier_imminent…)

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None:
            raise ValueError("Position.recorded_at must be timezone-aware")
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError(f"not a place on Earth: {self.latitude}, {self.longitude}")


def record_position(*, merchant_id: int, shipment_id: int, position: Position) -> bool:
    """Store `position` as the shipment's courier position if it is the newest; True if stored."""
    fields = {
        "latitude": position.latitude,
        "longitude": position.longitude,
        "recorded_at": position.recorded_at,
        "received_at": timezone.now(),
        "courier_name": position.courier_name[:80],
        "vehicle": position.vehicle[:40],
        "eta_at": position.eta_at,
    }
    newer_than_stored = CourierPosition.objects.filter(
        shipment_id=shipment_id, recorded_at__lt=position.recorded_at
    )
    if newer_than_stored.update(**fields):
        return True
    if CourierPosition.objects.filter(shipment_id=shipment_id).exists():
        return False  # the stored one is as new or newer
    try:
        with transaction.atomic():
            CourierPosition.objects.create(
                merchant_id=merchant_id, shipment_id=shipment_id, **fields
            )
        return True
    except IntegrityError:  # another worker stored the first position meanwhile
        return bool(newer_than_stored.update(**fields))


def receive_position(*, merchant_id: int, shipment_id: int, position: Position) -> bool:
    """Store a pushed position and, when it is the newest, tell the shopper-facing side (the
    "your courier is nearby" notification). What webhook receivers call."""
    stored = record_position(merchant_id=merchant_id, shipment_id=shipment_id, position=position)
    if stored:
        nearby.position_stored(shipment_id=shipment_id, position=position)
    return stored


def latest_position(shipment_id: int) -> CourierPosition | None:
    return CourierPosition.objects.filter(shipment_id=shipment_id).first()
