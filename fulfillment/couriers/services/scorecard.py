"""Courier scorecard from shipment history, per courier account and service.

- on-time rate: delivered parcels whose delivery was inside the promise (delivered_at ≤
  promised_until), of the delivered parcels that had a promise;
- first-attempt success: delivered parcels without a failed attempt, of parcels that were
  delivered or had a failed attempt;
- transit time: handed over (or booked) → delivered, mean and 90th percentile, in hours;
- cost per parcel: the mean price paid, in the merchant's currency: a parcel priced in another
  currency is converted at the configured rate (said in `cost_note`) or left out, saying so.
Three queries whatever the number of accounts; the "best on-time" rule reads `on_time_records`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus
from fulfillment.models import Shipment, ShipmentEvent
from merchant.models import Merchant
from merchant.money import NoExchangeRate, convert

WINDOW = dt.timedelta(days=90)


@dataclass(frozen=True)
class ScoreLine:
    account_id: int
    service_id: int
    parcels: int
    delivered: int
    on_time_rate: float | None
    on_time_sample: int
    first_attempt_rate: float | None
    mean_transit_h: float | None
    p90_transit_h: float | None
    cost_per_parcel_minor: int | None  # in `currency`, the merchant's
    currency: str
    cost_note: str = ""  # parcels converted from another currency, or left out for want of a rate


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def scorecard(
    merchant: Merchant, *, since: dt.datetime | None = None
) -> dict[tuple[int, int], ScoreLine]:
    since = since or timezone.now() - WINDOW
    shipments = (
        Shipment.objects.for_merchant(merchant)
        .filter(created_at__gte=since)
        .exclude(tracking_number="")
    )
    totals = _costs(
        merchant,
        shipments.values("account_id", "service_id", "currency").annotate(
            parcels=Count("pk"), cost=Sum("price_minor")
        ),
    )
    failed = set(
        ShipmentEvent.objects.filter(
            shipment__in=shipments, status=TrackingStatus.FAILED_ATTEMPT.value
        ).values_list("shipment_id", flat=True)
    )
    delivered: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for row in shipments.filter(delivered_at__isnull=False).values_list(
        "pk", "account_id", "service_id", "delivered_at", "promised_until", "handed_over_at",
        "booked_at", "created_at",
    ):  # fmt: skip
        delivered[(row[1], row[2])].append(row)
    attempted: dict[tuple[int, int], int] = defaultdict(int)
    for _pk, account_id, service_id in shipments.filter(pk__in=failed).values_list(
        "pk", "account_id", "service_id"
    ):
        attempted[(account_id, service_id)] += 1
    lines = {}
    for key, row in totals.items():
        done = delivered.get(key, [])
        promised = [r for r in done if r[4] is not None]
        on_time = sum(1 for r in promised if r[3] <= r[4])
        transit = [(r[3] - (r[5] or r[6] or r[7])).total_seconds() / 3600 for r in done]
        clean_first = sum(1 for r in done if r[0] not in failed)
        failed_not_delivered = attempted.get(key, 0) - sum(1 for r in done if r[0] in failed)
        tried = len(done) + failed_not_delivered
        lines[key] = ScoreLine(
            account_id=key[0],
            service_id=key[1],
            parcels=row["parcels"],
            delivered=len(done),
            on_time_rate=on_time / len(promised) if promised else None,
            on_time_sample=len(promised),
            first_attempt_rate=clean_first / tried if tried else None,
            mean_transit_h=sum(transit) / len(transit) if transit else None,
            p90_transit_h=percentile(transit, 0.9) if transit else None,
            cost_per_parcel_minor=round(row["cost"] / row["priced"]) if row["priced"] else None,
            currency=merchant.currency,
            cost_note="; ".join(row["notes"]),
        )
    return lines


def _costs(merchant: Merchant, rows) -> dict[tuple[int, int], dict]:
    """Per (account, service): parcels, their summed price in the merchant's currency, how many
    parcels that sum covers, and notes on what was converted or left out."""
    totals: dict[tuple[int, int], dict] = {}
    for row in rows:
        key = (row["account_id"], row["service_id"])
        total = totals.setdefault(key, {"parcels": 0, "cost": 0, "priced": 0, "notes": []})
        total["parcels"] += row["parcels"]
        try:
            converted = convert(
                int(row["cost"] or 0),
                from_currency=row["currency"],
                to_currency=merchant.currency,
                what=f"{row['parcels']} parcel(s) priced",
            )
        except NoExchangeRate as refusal:
            total["notes"].append(f"left out of the cost: {refusal}")
            continue
        total["cost"] += converted.minor
        total["priced"] += row["parcels"]
        if converted.note:
            total["notes"].append(f"{row['parcels']} parcel(s) converted from {converted.note}")
    return totals


def on_time_records(merchant: Merchant) -> dict[tuple[int, int], tuple[float, int]]:
    """(account, service) → (on-time rate, parcels it is measured on), for the rule."""
    return {
        key: (line.on_time_rate, line.on_time_sample)
        for key, line in scorecard(merchant).items()
        if line.on_time_rate is not None
    }
