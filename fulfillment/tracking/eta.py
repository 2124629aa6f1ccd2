"""ETA: the courier's window when it gives one, else a window predicted from our own history.

The prediction is the narrowest interval of "time from the current status to delivery" that
held `coverage` of similar past parcels: same courier account, service, origin point, distance
band, weekday and current status. When a combination has fewer than MIN_SAMPLES parcels the
conditions are dropped one by one (weekday first, status last). The confidence shown is the
share of past parcels of that group that the window would have caught.

`EtaTable` is pure (bench/eta.py fits it on the sandbox's journeys); `eta_table_for` builds one
from a merchant's delivered shipments and keeps it in the cache for a few hours.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache

MIN_SAMPLES = 40
DEFAULT_COVERAGE = 0.85
CACHE_SECONDS = 6 * 3600
HISTORY_DAYS = 120
DIMENSIONS = ("courier", "service", "origin", "distance", "weekday", "status", "event")
# Which dimensions each fallback level keeps, most specific first. "event" is the courier's
# own words for the latest scan ("ARRIVED AT DELIVERY DEPOT"): within one status, how far
# along the parcel is.
LEVELS = (
    DIMENSIONS,
    ("courier", "service", "origin", "distance", "status", "event"),
    ("courier", "service", "status", "event"),
    ("courier", "status", "event"),
    ("courier", "service", "origin", "distance", "weekday", "status"),
    ("courier", "service", "status"),
    ("courier", "status"),
    ("status",),
)


def distance_band(distance_m: int | None) -> str:
    if distance_m is None:
        return "?"
    km = distance_m / 1000
    for limit in (5, 20, 50, 200, 800):
        if km < limit:
            return f"<{limit}km"
    return ">=800km"


@dataclass(frozen=True)
class Sample:
    conditions: dict[str, str]  # the DIMENSIONS of the parcel at the time of the status
    remaining_s: float  # from that status to delivery


@dataclass(frozen=True)
class Band:
    low_s: float
    high_s: float
    confidence: float
    samples: int


@dataclass(frozen=True)
class EtaWindow:
    start: dt.datetime
    end: dt.datetime
    confidence: float | None  # None: the courier's own estimate
    samples: int = 0


def narrowest_band(values: list[float], coverage: float) -> Band:
    ordered = sorted(values)
    n = len(ordered)
    k = max(1, math.ceil(coverage * n))
    best = min(range(n - k + 1), key=lambda i: ordered[i + k - 1] - ordered[i])
    return Band(ordered[best], ordered[best + k - 1], k / n, n)


class EtaTable:
    def __init__(self, bands: dict[tuple, Band], coverage: float) -> None:
        self.bands, self.coverage = bands, coverage

    @classmethod
    def fit(cls, samples: Iterable[Sample], *, coverage: float = DEFAULT_COVERAGE) -> EtaTable:
        groups: dict[tuple, list[float]] = defaultdict(list)
        for sample in samples:
            for level in LEVELS:
                key = (level, tuple(sample.conditions.get(d, "?") for d in level))
                groups[key].append(sample.remaining_s)
        bands = {
            key: narrowest_band(values, coverage)
            for key, values in groups.items()
            if len(values) >= MIN_SAMPLES
        }
        return cls(bands, coverage)

    def band(self, conditions: dict[str, str]) -> Band | None:
        for level in LEVELS:
            band = self.bands.get((level, tuple(conditions.get(d, "?") for d in level)))
            if band is not None:
                return band
        return None

    def predict(self, conditions: dict[str, str], at: dt.datetime) -> EtaWindow | None:
        band = self.band(conditions)
        if band is None:
            return None
        return EtaWindow(
            at + dt.timedelta(seconds=band.low_s),
            at + dt.timedelta(seconds=band.high_s),
            round(band.confidence, 3),
            band.samples,
        )


def conditions(
    *,
    courier: object,
    service: object,
    origin: object,
    distance_m: int | None,
    at: dt.datetime,
    status: str,
    event: str = "",
) -> dict[str, str]:
    return {
        "event": event[:120] or "?",
        "courier": str(courier),
        "service": str(service),
        "origin": str(origin),
        "distance": distance_band(distance_m),
        "weekday": str(at.weekday()),
        "status": status,
    }


# --- our own history --------------------------------------------------------------------------


def origins_for_orders(order_ids: Iterable[int]) -> dict[int, tuple[int | None, int | None]]:
    """order id → (storage point id, distance in m) of its nearest allocation (one query)."""
    from fulfillment.models import Allocation

    found: dict[int, tuple[int | None, int | None]] = {}
    rows = (
        Allocation.objects.filter(order_id__in=list(order_ids))
        .order_by("order_id", "rank", "pk")
        .values_list("order_id", "point_id", "distance_m")
    )
    for order_id, point_id, distance_m in rows:
        found.setdefault(order_id, (point_id, distance_m))
    return found


def history_samples(merchant_id: int, *, now: dt.datetime) -> list[Sample]:
    from fulfillment.models import ShipmentEvent

    rows = list(
        ShipmentEvent.objects.filter(
            merchant_id=merchant_id,
            shipment__status="delivered",
            shipment__delivered_at__gte=now - dt.timedelta(days=HISTORY_DAYS),
        )
        .exclude(status__in=["delivered", "returned", "expired"])
        .values_list(
            "status", "occurred_at", "shipment__delivered_at", "shipment__account_id",
            "shipment__service_id", "shipment__order_id", "courier_description",
        )
    )  # fmt: skip
    origins = origins_for_orders({row[5] for row in rows})
    samples = []
    for status, at, delivered_at, account_id, service_id, order_id, text in rows:
        if delivered_at < at:
            continue
        origin, distance = origins.get(order_id, (None, None))
        samples.append(
            Sample(
                conditions(
                    courier=account_id,
                    service=service_id,
                    origin=origin,
                    distance_m=distance,
                    at=at,
                    status=status,
                    event=text,
                ),
                (delivered_at - at).total_seconds(),
            )
        )
    return samples


def merchants_with_deliveries() -> list[int]:
    """Ids of the merchants with a delivered shipment: those that have an ETA table to build."""
    from fulfillment.models import Shipment

    delivered = Shipment.objects.filter(status="delivered").order_by()
    return sorted(set(delivered.values_list("merchant_id", flat=True)))


def _cache_key(merchant_id: int) -> str:
    return f"nearbox:eta-table:{merchant_id}"


def eta_table_for(merchant_id: int, *, now: dt.datetime, rebuild: bool = False) -> EtaTable:
    if not rebuild:
        cached = cache.get(_cache_key(merchant_id))
        if cached is not None:
            return EtaTable(cached["bands"], cached["coverage"])
    table = EtaTable.fit(history_samples(merchant_id, now=now))
    cache.set(
        _cache_key(merchant_id),
        {"bands": table.bands, "coverage": table.coverage},
        CACHE_SECONDS,
    )
    return table
