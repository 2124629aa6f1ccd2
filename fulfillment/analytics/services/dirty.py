"""The dirty-day queue: receivers mark the (merchant, local day) an order belongs to, and a fold
each minute (config/beat.py) recomputes those days. A day re-marked while its fold ran stays
queued for the next fold, so no event is lost between the read and the delete.

On the hot path (tracking's ingest sends a signal per status change) a receiver only adds the
shipment or order id to a Redis set when the cache is Redis: one round trip, no query, no
commit. The fold first moves those ids to dirty days in the database (one query each kind).
Without Redis (the SQLite `make run`, the database cache) the receiver marks the day at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
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


PENDING_SHIPMENTS = "analytics:pending-shipments"
PENDING_ORDERS = "analytics:pending-orders"
MOVE_LIMIT = 50_000


def _redis():
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None, None
    from merchant.ratelimit import redis_client

    return redis_client(cache), cache


def note_order(order_id: int) -> None:
    """The receivers' entry: remember that an order changed (Redis set, else its day at once)."""
    client, cache = _redis()
    if client is None:
        mark_order_dirty(order_id=order_id)
    else:
        client.sadd(cache.make_and_validate_key(PENDING_ORDERS), order_id)


def note_shipment(shipment_id: int) -> None:
    client, cache = _redis()
    if client is None:
        mark_shipment_dirty(shipment_id=shipment_id)
    else:
        client.sadd(cache.make_and_validate_key(PENDING_SHIPMENTS), shipment_id)


def move_pending_to_days(*, now: dt.datetime | None = None) -> int:
    """Turn the ids noted in Redis into dirty days (one query per kind); returns the ids moved.
    Ids popped but not written (an error) are put back."""
    client, cache = _redis()
    if client is None:
        return 0
    moved = 0
    for name, model, created in (
        (PENDING_ORDERS, Order, "created_at"),
        (PENDING_SHIPMENTS, Shipment, "order__created_at"),
    ):
        key = cache.make_and_validate_key(name)
        ids = [int(i) for i in client.spop(key, MOVE_LIMIT) or []]
        if not ids:
            continue
        try:
            days: dict[int, set[dt.date]] = {}
            for merchant_id, at, zone in model.objects.filter(pk__in=ids).values_list(
                "merchant_id", created, "merchant__time_zone"
            ):
                days.setdefault(merchant_id, set()).add(
                    local_day(at, zone_of(Merchant(time_zone=zone)))
                )
            for merchant_id, found in days.items():
                mark_days_dirty(merchant_id=merchant_id, days=found, now=now)
        except Exception:
            client.sadd(key, *ids)
            raise
        moved += len(ids)
    return moved


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
    move_pending_to_days()
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
