"""The dirty queues: receivers note the orders and shipments that changed, and a fold each minute
(config/beat.py) brings the rollups up to date for those orders only (rollups.apply_orders: the
contributions of the changed orders, applied to the day tables as a delta). Whole days can still
be queued (`mark_days_dirty`: a day recomputed from the source rows, e.g. after a repair).

On the hot path (tracking's ingest announces a batch of status changes) a receiver adds the batch's
orders ("merchant:order") to a Redis set with one SADD when the cache is Redis: no query, no
commit. The fold
claims the noted ids and applies their orders straight from Redis (services/noted.py). Without
Redis (the SQLite `make run`, the database cache) the receiver marks the orders dirty in the
database at once. An order or day re-marked while a fold ran stays queued for the next fold
(`marked_at`), so no change is lost between the read and the delete."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from fulfillment.analytics.services import noted
from fulfillment.analytics.services.rollups import apply_orders, recompute_day
from fulfillment.models import Order, Shipment
from fulfillment.models.analytics import AnalyticsDirtyDay, AnalyticsDirtyOrder
from merchant.models import Merchant
from merchant.rawsql import CompiledQuery

FOLD_LIMIT = 200  # whole days per fold run; the rest wait for the next minute
ORDER_LIMIT = 20_000  # dirty orders per fold run
ORDER_BATCH = noted.ORDER_BATCH


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


def _mark_orders(pairs: Iterable[tuple[int, int]], now: dt.datetime | None = None) -> int:
    """Queue (merchant_id, order_id) pairs: one upsert."""
    now = now or timezone.now()
    rows = {
        order_id: AnalyticsDirtyOrder(merchant_id=merchant_id, order_id=order_id, marked_at=now)
        for merchant_id, order_id in pairs
    }
    if rows:
        AnalyticsDirtyOrder.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["order_id"],
            update_fields=["marked_at"],
            batch_size=1000,
        )
    return len(rows)


def mark_orders_dirty(*, order_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    ids = {int(i) for i in order_ids}
    if not ids:
        return 0
    pairs = Order.objects.filter(pk__in=ids).values_list("merchant_id", "pk")
    return _mark_orders(list(pairs), now)


def mark_shipments_dirty(*, shipment_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    ids = {int(i) for i in shipment_ids}
    if not ids:
        return 0
    pairs = Shipment.objects.filter(pk__in=ids).values_list("merchant_id", "order_id")
    return _mark_orders(list(pairs), now)


def mark_order_dirty(*, order_id: int, now: dt.datetime | None = None) -> None:
    mark_orders_dirty(order_ids=[order_id], now=now)


def mark_shipment_dirty(*, shipment_id: int, now: dt.datetime | None = None) -> None:
    mark_shipments_dirty(shipment_ids=[shipment_id], now=now)


def note_orders(order_ids: Iterable[int], *, merchant_id: int | None = None) -> None:
    """The receivers' entry: remember that orders changed (one SADD, else marked at once).
    `merchant_id`: the orders' merchant, when the sender knows it (saves the fold a query)."""
    ids = [int(i) for i in order_ids]
    if not ids:
        return
    if noted.note(noted.PENDING_ORDERS, [noted.order_member(i, merchant_id) for i in ids]):
        return
    if merchant_id is None:
        mark_orders_dirty(order_ids=ids)
    else:
        _mark_orders([(int(merchant_id), i) for i in ids])


def note_shipments(shipment_ids: Iterable[int]) -> None:
    ids = [int(i) for i in shipment_ids]
    if ids and not noted.note(noted.PENDING_SHIPMENTS, ids):
        mark_shipments_dirty(shipment_ids=ids)


def note_order(order_id: int, *, merchant_id: int | None = None) -> None:
    note_orders([order_id], merchant_id=merchant_id)


def note_shipment(shipment_id: int) -> None:
    note_shipments([shipment_id])


def _queued_orders(limit: int) -> QuerySet:
    return AnalyticsDirtyOrder.objects.order_by("marked_at", "pk").values_list(
        "pk", "merchant_id", "order_id", "marked_at"
    )[:limit]


def _queued_days(limit: int) -> QuerySet:
    return AnalyticsDirtyDay.objects.order_by("marked_at", "pk").values_list(
        "pk", "merchant_id", "day", "marked_at"
    )[:limit]


# Read by every minute's fold, and mostly empty (Redis carries the changes): compiled once.
QUEUED_ORDERS = CompiledQuery(lambda: _queued_orders(ORDER_LIMIT))
QUEUED_DAYS = CompiledQuery(lambda: _queued_days(FOLD_LIMIT))


def fold_dirty_orders(*, limit: int = ORDER_LIMIT) -> set[tuple[int, dt.date]]:
    """Apply the oldest-marked dirty orders (batches of ORDER_BATCH per merchant); returns the
    (merchant id, day) pairs whose rows changed."""
    queued = QUEUED_ORDERS.tuples() if limit == ORDER_LIMIT else list(_queued_orders(limit))
    by_merchant: dict[int, list[tuple[int, int, dt.datetime]]] = defaultdict(list)
    for pk, merchant_id, order_id, marked_at in queued:
        by_merchant[merchant_id].append((pk, order_id, marked_at))
    touched: set[tuple[int, dt.date]] = set()
    for merchant_id, entries in by_merchant.items():
        merchant = Merchant(pk=merchant_id)  # apply reads it under its lock (none: gone)
        for at in range(0, len(entries), ORDER_BATCH):
            chunk = entries[at : at + ORDER_BATCH]
            days = apply_orders(merchant=merchant, order_ids=[e[1] for e in chunk])
            touched |= {(merchant_id, day) for day in days}
            _delete_read(chunk)
    return touched


def _delete_read(chunk: list[tuple[int, int, dt.datetime]]) -> None:
    """Delete the queue entries as read: an entry re-marked since (a later marked_at) stays."""
    by_marked: dict[dt.datetime, list[int]] = defaultdict(list)
    for pk, _order_id, marked_at in chunk:
        by_marked[marked_at].append(pk)
    for marked_at, pks in by_marked.items():
        AnalyticsDirtyOrder.objects.filter(pk__in=pks, marked_at__lte=marked_at).delete()


def fold_dirty_days(*, limit: int = FOLD_LIMIT) -> int:
    """The minute's fold: apply the orders noted in Redis and the dirty orders, recompute
    the dirty whole days; returns how many (merchant, day) pairs changed or were recomputed.
    Safe to run twice at once: each apply and recompute is serialised per merchant and a
    second apply of the same change finds nothing to add."""
    touched = noted.fold_noted()
    touched |= fold_dirty_orders()
    queued = QUEUED_DAYS.tuples() if limit == FOLD_LIMIT else list(_queued_days(limit))
    merchants = Merchant.objects.in_bulk({merchant_id for _pk, merchant_id, *_ in queued})
    for pk, merchant_id, day, marked_at in queued:
        if merchant_id in merchants:
            recompute_day(merchant=merchants[merchant_id], day=day)
        with transaction.atomic():
            AnalyticsDirtyDay.objects.filter(pk=pk, marked_at__lte=marked_at).delete()
        touched.add((merchant_id, day))
    return len(touched)


def pending_days(merchant: Merchant) -> int:
    """Days queued whole plus orders waiting for the fold (the page's 'updating' hint)."""
    return (
        AnalyticsDirtyDay.objects.for_merchant(merchant).count()
        + AnalyticsDirtyOrder.objects.for_merchant(merchant).count()
    )
