"""Live courier positions: the latest place of the courier carrying a shipment.

On-demand couriers (Stuart, Uber Direct…) push a position every few seconds, and webhooks
arrive out of order; only a position newer (in the courier's clock) than the stored one moves
the marker. One statement, INSERT … ON CONFLICT (shipment) DO UPDATE … WHERE the stored one is
older: the one-row-per-shipment constraint and the row lock it takes mean two workers storing
positions of the same courier at once never lose the newest (PostgreSQL and SQLite alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
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


# Hand-written: the webhook's hot path (hundreds of positions a second). Building the ORM's
# UPDATE, then EXISTS, then INSERT cost more CPU than PostgreSQL spent storing the position,
# and took up to three round trips; this is one. Portable (SQLite >= 3.35 has upsert and
# RETURNING).
_COLUMNS = ("latitude", "longitude", "recorded_at", "received_at", "courier_name", "vehicle",
            "eta_at")  # fmt: skip
_TABLE = CourierPosition._meta.db_table


def upsert_sql(source: str) -> str:
    """The position upsert; `source` gives its one row (merchant_id, shipment_id, then
    _COLUMNS): `VALUES (…)` or a SELECT. Returns the shipment_id of a stored position."""
    return (
        f'INSERT INTO "{_TABLE}" AS stored (merchant_id, shipment_id, {", ".join(_COLUMNS)}) '
        f"{source} ON CONFLICT (shipment_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS)
        + " WHERE stored.recorded_at < excluded.recorded_at RETURNING shipment_id"
    )


ROW_PLACEHOLDERS = ", ".join(["%s"] * (len(_COLUMNS) + 2))
UPSERT_SQL = upsert_sql(f"VALUES ({ROW_PLACEHOLDERS})")


def row_values(*, merchant_id: int, shipment_id: int, position: Position) -> tuple:
    """The upsert's parameters for `position`, in ROW_PLACEHOLDERS order."""
    at = connection.ops.adapt_datetimefield_value  # the stored form (SQLite: naive UTC text)
    return (
        merchant_id,
        shipment_id,
        position.latitude,
        position.longitude,
        at(position.recorded_at),
        at(timezone.now()),
        position.courier_name[:80],
        position.vehicle[:40],
        at(position.eta_at),
    )


def record_position(*, merchant_id: int, shipment_id: int, position: Position) -> bool:
    """Store `position` as the shipment's courier position if it is the newest; True if stored."""
    values = row_values(merchant_id=merchant_id, shipment_id=shipment_id, position=position)
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, values)
        return cursor.fetchone() is not None


def receive_position(*, merchant_id: int, shipment_id: int, position: Position) -> bool:
    """Store a pushed position and, when it is the newest, tell the shopper-facing side (the
    "your courier is nearby" notification). What webhook receivers call."""
    stored = record_position(merchant_id=merchant_id, shipment_id=shipment_id, position=position)
    if stored:
        nearby.position_stored(shipment_id=shipment_id, position=position)
    return stored


def latest_position(shipment_id: int) -> CourierPosition | None:
    return CourierPosition.objects.filter(shipment_id=shipment_id).first()
