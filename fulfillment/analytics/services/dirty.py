"""The dirty-day queue: receivers mark the (merchant, local day) an order belongs to, and a fold
each minute (config/beat.py) recomputes those days. A day re-marked while its fold ran stays
queued for the next fold, so no event is lost between the read and the delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fulfillment.analytics.services.rollups import local_day, recompute_day
from fulfillment.models import Order, Shipment
from fulfillment.models.analytics import AnalyticsDirtyDay
from merchant.models import Merchant
from merchant.zones import zone_of

FOLD_LIMIT = 200  # days per fold run; the rest wait for the next minute


def mark_days_dirty(
    *, merchant_id: int, days: Iterable[dt.date], now: dt.datetime | None = None
) -> None:
    now = now or timezone.now()
    AnalyticsDirtyDay.objects.bulk_create(
        [AnalyticsDirtyDay(merchant_id=merchant_id, day=day, marked_at=now) for day in set(days)],
        update_conflicts=True,
        unique_fields=["merchant", "day"],
        update_fields=["marked_at"],
    )


def mark_order_dirty(*, order_id: int, now: dt.datetime | None = None) -> None:
    row = (
        Order.objects.filter(pk=order_id)
        .values_list("merchant_id", "created_at", "merchant__time_zone")
        .first()
    )
    if row is not None:
        merchant_id, created_at, zone = row
        day = local_day(created_at, zone_of(Merchant(time_zone=zone)))
        mark_days_dirty(merchant_id=merchant_id, days=[day], now=now)


def mark_shipment_dirty(*, shipment_id: int, now: dt.datetime | None = None) -> None:
    row = (
        Shipment.objects.filter(pk=shipment_id)
        .values_list("merchant_id", "order__created_at", "merchant__time_zone")
        .first()
    )
    if row is not None:
        merchant_id, created_at, zone = row
        day = local_day(created_at, zone_of(Merchant(time_zone=zone)))
        mark_days_dirty(merchant_id=merchant_id, days=[day], now=now)


def fold_dirty_days(*, limit: int = FOLD_LIMIT) -> int:
    """Recompute the oldest-marked dirty days; returns how many were folded. Safe to run twice
    at once: each recompute is idempotent and serialised per merchant."""
    folded = 0
    queued = list(
        AnalyticsDirtyDay.objects.select_related("merchant").order_by("marked_at", "pk")[:limit]
    )
    for dirty in queued:
        recompute_day(merchant=dirty.merchant, day=dirty.day)
        with transaction.atomic():
            AnalyticsDirtyDay.objects.filter(pk=dirty.pk, marked_at__lte=dirty.marked_at).delete()
        folded += 1
    return folded


def pending_days(merchant: Merchant) -> int:
    return AnalyticsDirtyDay.objects.for_merchant(merchant).count()
