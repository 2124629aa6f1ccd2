"""Recompute a merchant's rollups for one local day from the source rows.

A day's rows describe the orders created that local day and their forward shipments and events
so far (fulfillment/analytics/report.py). Recomputing a day deletes its rows and inserts them
again in one transaction, under a lock on the merchant's row: a retried, duplicated or
concurrent fold writes the same rows once, never twice.

Definitions (the property tests hold the report to a naive reference of these):
- an order's point is its first-ranked live (not released) allocation; "nearest" means every
  live allocation has rank 1; "split" means more than one point; its distance is the largest
  allocation distance;
- an order's account and service are those of its first booked, not voided shipment (else its
  first shipment); each shipment counts under its own account and service;
- a shipment counts once booked (booked_at or a tracking number); a voided one is a void, the
  others are parcels; return shipments (is_return) are left out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from fulfillment.couriers.adapters.own_fleet import CODE as OWN_FLEET_CODE
from fulfillment.models import Allocation, Order, Shipment, ShipmentEvent
from fulfillment.models.analytics import (
    ALL_COUNTERS,
    CODE_COUNTERS,
    COUNTER_CODES,
    DIMENSIONS,
    HISTOGRAM_BUCKETS,
    ORDER_TO_DELIVERY,
    TRANSIT,
    AnalyticsDay,
    AnalyticsOrderRollup,
    AnalyticsReasonDay,
    AnalyticsZipDay,
)
from fulfillment.models.shipments import COUNTED_EVENT_STATUSES
from merchant.models import Merchant
from merchant.rawsql import (
    CompiledQuery,
    array_literal,
    binary_cursor,
    id_set,
    int_array_literal,
    value_set,
)
from merchant.zones import zone_of

PICKUP_KINDS = (Order.DeliveryKind.LOCKER, Order.DeliveryKind.PICKUP_SHOP)
UNKNOWN_REASON = "unknown"
# (point_id, account_id, own_fleet, service_id, channel, delivery_kind)
Key = tuple[Any, ...]


# Contributions name their counters by code (COUNTER_CODES) from the start: they are encoded,
# decoded and compared per order, the names only matter per day row. C.orders == "o".
C = SimpleNamespace(**COUNTER_CODES)
TRANSIT_CODES = tuple(COUNTER_CODES[name] for name in TRANSIT)
ORDER_TO_DELIVERY_CODES = tuple(COUNTER_CODES[name] for name in ORDER_TO_DELIVERY)
STORED_VERSION = 2  # rows without it name their counters (migration 0022)

# One encoder for every stored contribution and JSON parameter: json.dumps with arguments makes
# a new one per call.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The aware start and end of a local day (23 or 25 hours long across a DST change)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return moment.astimezone(tz).date()


def bucket(days: int) -> int:
    return min(max(days, 0), HISTOGRAM_BUCKETS - 1)


def zip_of(order: dict[str, Any]) -> str:
    return (
        (order["normalized_postal_code"] or order["postal_code"] or "")
        .replace(" ", "")
        .upper()[:12]
    )


class Contribution:
    """One order's share of the day tables: counters (by code) by dimension key, reason counts.
    Sparse: a key holds only the counters the order adds to (most touch a handful of ~60)."""

    __slots__ = ("day", "dims", "reasons", "zip")

    def __init__(self, day: dt.date, zip_code: str) -> None:
        self.day = day
        self.zip = zip_code
        self.dims: dict[Key, dict[str, int]] = {}
        self.reasons: dict[tuple[Key, str, str], int] = defaultdict(int)

    def add(self, key: Key, counters: dict[str, int]) -> None:
        row = self.dims.get(key)
        if row is None:
            self.dims[key] = dict(counters)
        elif row.keys().isdisjoint(counters):  # an order's and its parcel's counters
            row.update(counters)
        else:
            for name, value in counters.items():
                row[name] = row.get(name, 0) + value

    def stored(self) -> dict[str, Any]:
        """The stored form (AnalyticsOrderRollup.rows), as JSON-ready data: compact, counters by
        code, keys as lists (so it equals what json.loads gives back of it)."""
        form: dict[str, Any] = {
            "v": STORED_VERSION,
            "d": [
                [list(key), {c: v for c, v in counters.items() if v}]
                for key, counters in self.dims.items()
            ],
        }
        if self.reasons:
            form["r"] = [
                [list(k), kind, reason, n] for (k, kind, reason), n in self.reasons.items()
            ]
        return form

    def encode(self) -> str:
        return _encode(self.stored())

    @classmethod
    def decode(cls, day: dt.date, zip_code: str, text: str) -> Contribution:
        """The inverse of encode()."""
        return cls.from_stored(day, zip_code, json.loads(text) if text else {})

    @classmethod
    def from_stored(cls, day: dt.date, zip_code: str, form: dict[str, Any]) -> Contribution:
        """The inverse of stored(); also reads rows stored with the counters' names."""
        made = cls(day, zip_code)
        legacy = form.get("v") != STORED_VERSION
        pairs = form.get("d", [])
        if not legacy:
            made.dims = {tuple(key): counters for key, counters in pairs}
            if len(made.dims) == len(pairs):  # one entry a key, as stored() writes them
                pairs = []
            else:
                made.dims = {}
        for key, counters in pairs:
            if legacy:
                counters = {COUNTER_CODES.get(n, n): v for n, v in counters.items()}
            key = tuple(key)
            if key in made.dims:
                made.add(key, counters)
            else:
                made.dims[key] = dict(counters)
        for key, kind, reason, n in form.get("r", []):
            made.reasons[(tuple(key), kind, reason)] += n
        return made


def _orders(merchant_id: int, order_filter: Q) -> QuerySet:
    return (
        Order.objects.filter(order_filter, merchant_id=merchant_id)
        .values(
            "id",
            "source",
            "delivery_kind",
            "normalized_postal_code",
            "postal_code",
            "value",
            "created_at",
            "promised_until",
        )
        .order_by()
    )


def _allocations(merchant_id: int, order_ids: RawSQL) -> QuerySet:
    return (
        Allocation.objects.filter(merchant_id=merchant_id, order_id__in=order_ids)
        .exclude(state=Allocation.State.RELEASED)
        .values("order_id", "point_id", "rank", "distance_m", "id")
        .order_by()
    )


def _shipments(merchant_id: int, order_ids: RawSQL) -> QuerySet:
    return (
        Shipment.objects.filter(merchant_id=merchant_id, order_id__in=order_ids, is_return=False)
        # Only the times the counters measure are read as times (each costs a conversion);
        # the others are reduced in SQL to what is used of them.
        .annotate(
            booked=ExpressionWrapper(
                Q(booked_at__isnull=False) | ~Q(tracking_number=""), output_field=BooleanField()
            ),
            voided=ExpressionWrapper(Q(voided_at__isnull=False), output_field=BooleanField()),
            left_at=Coalesce("handed_over_at", "booked_at", "created_at"),
            # The order's promise (when the shipment has none) is compared in Python: joining
            # the orders again here cost PostgreSQL 500 more index probes a fold.
            promised=ExpressionWrapper(
                Q(promised_until__isnull=False), output_field=BooleanField()
            ),
            on_time=ExpressionWrapper(
                Q(delivered_at__lte=F("promised_until")), output_field=BooleanField()
            ),
        )
        .values(
            "id",
            "order_id",
            "account_id",
            "account__courier",
            "service_id",
            "status",
            "price_minor",
            "booked",
            "voided",
            "left_at",
            "delivered_at",
            "is_stuck",
            "exception_handled_at",
            "promised",
            "on_time",
        )
        .order_by("created_at", "id")
    )


def _events(shipment_ids: RawSQL) -> QuerySet:
    return (
        ShipmentEvent.objects.filter(
            shipment_id__in=shipment_ids,
            status__in=COUNTED_EVENT_STATUSES,  # the partial index shipment_event_counted
        )
        .values("shipment_id", "status", "occurred_at", "reason_code", "id")
        .order_by("occurred_at", "id")
    )


# The fold runs these for every batch: compiled once (merchant/rawsql.py CompiledQuery).
MERCHANT_LOCK = CompiledQuery(
    lambda merchant_id: (
        Merchant.objects.select_for_update().filter(pk=merchant_id).values_list("pk", "time_zone")
    )
)
ORDERS_BY_ID = CompiledQuery(lambda merchant_id, ids: _orders(merchant_id, Q(pk__in=ids)))
ALLOCATIONS = CompiledQuery(_allocations)
SHIPMENTS = CompiledQuery(_shipments)
EVENTS = CompiledQuery(_events)
STORED = CompiledQuery(
    lambda merchant_id, order_ids: AnalyticsOrderRollup.objects.filter(
        merchant_id=merchant_id, order_id__in=order_ids
    ).values_list("order_id", "day", "zip", "rows")
)


def compute_orders(
    merchant: Merchant, order_ids: Iterable[int] | None = None, **order_filter: Any
) -> dict[int, Contribution]:
    """The contributions of the merchant's orders `order_ids`, or those matching `order_filter`
    (a day's range), set-based: four queries however many orders. Reads, writes nothing."""
    tz = zone_of(merchant)
    if order_ids is not None:
        orders = ORDERS_BY_ID.dicts(merchant.pk, id_set(order_ids))
    else:
        orders = list(_orders(merchant.pk, Q(**order_filter)))
    result: dict[int, Contribution] = {}
    if not orders:
        return result
    found = id_set(order["id"] for order in orders)

    allocations: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for allocation in ALLOCATIONS.dicts(merchant.pk, found):
        allocations[allocation["order_id"]].append(allocation)

    shipments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    shipment_ids = []
    for shipment in SHIPMENTS.dicts(merchant.pk, found):
        shipments[shipment["order_id"]].append(shipment)
        shipment_ids.append(shipment["id"])

    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if shipment_ids:
        for event in EVENTS.dicts(id_set(shipment_ids)):
            events[event["shipment_id"]].append(event)

    for order in orders:
        made = result[order["id"]] = Contribution(local_day(order["created_at"], tz), zip_of(order))
        live = allocations.get(order["id"], ())
        if len(live) > 1:
            live = sorted(live, key=_allocation_rank)
        point_id = live[0]["point_id"] if live else None
        mine = shipments.get(order["id"], ())
        booked = [s for s in mine if s["booked"]]
        primary = next((s for s in booked if not s["voided"]), None) or (mine[0] if mine else None)

        order_counters = {C.orders: 1}
        if order["value"]:
            order_counters[C.order_value_minor] = order["value"]
        if order["delivery_kind"] in PICKUP_KINDS:
            order_counters[C.pickup_orders] = 1
            kind = C.locker_orders if order["delivery_kind"] == "locker" else C.shop_orders
            order_counters[kind] = 1
        if live:
            # Only counters that add something: a contribution equals its stored form, so an
            # unchanged one compares equal at once (_add_differences).
            order_counters[C.allocated_orders] = 1
            if all(a["rank"] == 1 for a in live):
                order_counters[C.nearest_point_orders] = 1
            if len(live) > 1 and len({a["point_id"] for a in live}) > 1:
                order_counters[C.split_orders] = 1
            distance = max(a["distance_m"] for a in live)
            if distance:
                order_counters[C.distance_m] = distance
        made.add(_key(point_id, order, primary), order_counters)

        for shipment in booked:
            key = _key(point_id, order, shipment)
            if shipment["voided"]:
                made.add(
                    key, {C.shipments: 1, C.voids: 1, C.voided_spend_minor: shipment["price_minor"]}
                )
                continue
            mine_events = events.get(shipment["id"], ())
            made.add(key, _parcel_counters(order, made.day, shipment, mine_events, tz))
            if not mine_events:
                continue
            for event in mine_events:
                if event["status"] == "failed_attempt":
                    reason = (event["reason_code"] or UNKNOWN_REASON)[:64]
                    made.reasons[(key, "failed_attempt", reason)] += 1
            exceptions = [e for e in mine_events if e["status"] == "exception"]
            if exceptions:
                reason = (exceptions[0]["reason_code"] or UNKNOWN_REASON)[:64]
                made.reasons[(key, "exception", reason)] += 1
    return result


def _allocation_rank(allocation: dict[str, Any]) -> tuple[int, int]:
    return allocation["rank"], allocation["id"]


def compute_day(
    merchant: Merchant, day: dt.date
) -> tuple[
    dict[Key, dict[str, int]],
    dict[tuple[Key, str], dict[str, int]],
    dict[tuple[Key, str, str, str], int],
]:
    """The counters of one local day: by dimensions, by dimensions and ZIP, and the reason
    counts by dimensions, ZIP, kind and reason. Reads the source rows, writes nothing."""
    start, end = day_bounds(day, zone_of(merchant))
    return sum_contributions(compute_orders(merchant, created_at__gte=start, created_at__lt=end))


def sum_contributions(
    contributions: dict[int, Contribution],
) -> tuple[
    dict[Key, dict[str, int]],
    dict[tuple[Key, str], dict[str, int]],
    dict[tuple[Key, str, str, str], int],
]:
    by_dims: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ALL_COUNTERS, 0))
    by_zip: dict[tuple[Key, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(ALL_COUNTERS, 0)
    )
    reasons: dict[tuple[Key, str, str, str], int] = defaultdict(int)
    for made in contributions.values():
        for key, counters in made.dims.items():
            _add(by_dims, by_zip, key, made.zip, counters)
        for (key, kind, reason), n in made.reasons.items():
            reasons[(key, made.zip, kind, reason)] += n
    return by_dims, by_zip, reasons


def _key(point_id: int | None, order: dict[str, Any], shipment: dict[str, Any] | None) -> Key:
    return (
        point_id,
        shipment["account_id"] if shipment else None,
        bool(shipment and shipment["account__courier"] == OWN_FLEET_CODE),
        shipment["service_id"] if shipment else None,
        order["source"],
        order["delivery_kind"],
    )


def _add(by_dims: dict, by_zip: dict, key: Key, zip_code: str, counters: dict[str, int]) -> None:
    """Add a contribution's counters (by code) to the day rows' (by name)."""
    row, zip_row = by_dims[key], by_zip[(key, zip_code)]
    for code, value in counters.items():
        name = CODE_COUNTERS[code]
        row[name] += value
        zip_row[name] += value


def _parcel_counters(
    order: dict[str, Any], order_day: dt.date, shipment: dict[str, Any], events: Any, tz: dt.tzinfo
) -> dict[str, int]:
    """A booked, not voided shipment's counters (only the non-zero ones). `order_day`: the
    order's local day."""
    counters = {C.shipments: 1, C.parcels: 1, C.label_spend_minor: shipment["price_minor"]}
    if shipment["is_stuck"]:
        counters[C.stuck] = 1
    status = shipment["status"]
    if status == "expired":
        counters[C.expired] = 1
    elif status == "returned":
        counters[C.returned] = 1
    failed = 0
    if events:
        failed = sum(1 for e in events if e["status"] == "failed_attempt")
        if failed:
            counters[C.failed_attempts] = failed
        exception = next((e for e in events if e["status"] == "exception"), None)
        if exception is not None:
            counters[C.exceptions] = 1
            if shipment["exception_handled_at"] is not None:
                counters[C.exceptions_resolved] = 1
                waited = shipment["exception_handled_at"] - exception["occurred_at"]
                counters[C.exception_resolve_seconds] = max(int(waited.total_seconds()), 0)
    delivered_at = shipment["delivered_at"]
    if status == "delivered" and delivered_at is not None:
        counters[C.delivered] = 1
        # The shipment's own promise, else the order's (what the report calls the promise).
        if shipment["promised"]:
            counters[C.delivered_with_promise] = 1
            if shipment["on_time"]:
                counters[C.on_time] = 1
        elif order["promised_until"] is not None:
            counters[C.delivered_with_promise] = 1
            if delivered_at <= order["promised_until"]:
                counters[C.on_time] = 1
        if not failed:
            counters[C.first_attempt_success] = 1
        delivered_day = local_day(delivered_at, tz)
        left_day = local_day(shipment["left_at"], tz)
        counters[TRANSIT_CODES[bucket((delivered_day - left_day).days)]] = 1
        waited_days = (delivered_day - order_day).days
        counters[ORDER_TO_DELIVERY_CODES[bucket(waited_days)]] = 1
        if waited_days == 0:
            counters[C.same_day] = 1
        if order["delivery_kind"] in PICKUP_KINDS and events:
            ready = next((e for e in events if e["status"] == "available_for_pickup"), None)
            if ready is not None:
                counters[C.collected] = 1
                waited = delivered_at - ready["occurred_at"]
                counters[C.collection_seconds] = max(int(waited.total_seconds()), 0)
    return counters


def recompute_day(*, merchant: Merchant, day: dt.date) -> int:
    """Replace the merchant's rollups of `day` and its orders' contributions with rows computed
    from the source rows; returns the number of day rows written. Idempotent."""
    with transaction.atomic():
        # One writer per merchant at a time (a recompute or an incremental fold): reads after
        # the lock see every commit before it.
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        start, end = day_bounds(day, zone_of(merchant))
        contributions = compute_orders(merchant, created_at__gte=start, created_at__lt=end)
        by_dims, by_zip, reasons = sum_contributions(contributions)
        for model in (AnalyticsDay, AnalyticsZipDay, AnalyticsReasonDay, AnalyticsOrderRollup):
            model.objects.filter(merchant=merchant, day=day).delete()
        AnalyticsOrderRollup.objects.filter(order_id__in=list(contributions)).delete()
        AnalyticsOrderRollup.objects.bulk_create(
            [
                AnalyticsOrderRollup(
                    merchant_id=merchant.pk, order_id=oid, day=c.day, zip=c.zip, rows=c.encode()
                )
                for oid, c in contributions.items()
            ],
            batch_size=1000,
        )
        AnalyticsDay.objects.bulk_create(
            [_row(AnalyticsDay, merchant, day, key, c) for key, c in by_dims.items()],
            batch_size=500,
        )
        AnalyticsZipDay.objects.bulk_create(
            [
                _row(AnalyticsZipDay, merchant, day, key, c, zip=zip_code)
                for (key, zip_code), c in by_zip.items()
            ],
            batch_size=500,
        )
        AnalyticsReasonDay.objects.bulk_create(
            [
                AnalyticsReasonDay(
                    merchant_id=merchant.pk,
                    day=day,
                    **_dims(key),
                    zip=zip_code,
                    kind=kind,
                    reason=reason[:64],
                    count=count,
                )
                for (key, zip_code, kind, reason), count in reasons.items()
            ],
            batch_size=500,
        )
    return len(by_dims)


def apply_orders(*, merchant: Merchant, order_ids: Iterable[int]) -> set[dt.date]:
    """Bring the day tables up to date for the orders that changed: recompute their
    contributions (set-based), and add new minus stored to the day tables, all in one
    transaction under the merchant's lock, so a retried, duplicated or concurrent fold applies
    each change once (the second finds the stored contribution already new: a zero delta).
    Rows whose counters all reach zero are deleted. Returns the local days whose rows changed."""
    order_ids = sorted({int(i) for i in order_ids})
    if not order_ids:
        return set()
    with transaction.atomic():
        # The merchant is read again under its lock (a caller may pass Merchant(pk=...)).
        locked = MERCHANT_LOCK.tuples(merchant.pk)
        if not locked:
            return set()  # deleted: its rollups went with it
        ((merchant_id, time_zone),) = locked
        merchant = Merchant(pk=merchant_id, time_zone=time_zone)  # only these are read below
        new = compute_orders(merchant, order_ids)
        stored = {
            order_id: (day, zip_code, rows)
            for order_id, day, zip_code, rows in STORED.tuples(merchant.pk, id_set(order_ids))
        }
        d_dims: dict[tuple[dt.date, Key], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        d_zip: dict[tuple[dt.date, Key, str], dict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        d_reasons: dict[tuple[dt.date, Key, str, str, str], int] = defaultdict(int)
        changed: list[tuple[int, Contribution, str]] = []
        gone_ids, days = [], set()
        for oid in order_ids:
            made, row = new.get(oid), stored.get(oid)
            if row is None and made is None:
                continue
            form = made.stored() if made else None
            text = _encode(form) if made else ""
            was = None
            same_place = made is not None and row is not None and (made.day, made.zip) == row[:2]
            if row is not None:
                if same_place and text == row[2]:
                    continue  # already applied (a duplicated fold): nothing to do
                was = json.loads(row[2]) if row[2] else {}
                if same_place and form == was:
                    continue  # the same, written in another order
            if made is None:
                gone_ids.append(oid)
            else:
                changed.append((oid, made, text))
            old = Contribution.from_stored(row[0], row[1], was) if row else None
            _add_differences(d_dims, d_zip, days, made, old)
            if same_place and made.reasons == old.reasons:
                continue  # the usual delivery: its failed attempts were counted already
            for sign, c in ((1, made), (-1, old)):
                if c is not None:
                    for (key, kind, reason), n in c.reasons.items():
                        d_reasons[(c.day, key, c.zip, kind, reason)] += sign * n
                        days.add(c.day)
        if not changed and not gone_ids:
            return set()
        _apply_counters(AnalyticsDay, merchant, d_dims)
        _apply_counters(AnalyticsZipDay, merchant, d_zip, zips=True)
        _apply_reasons(merchant, d_reasons)
        if gone_ids:
            AnalyticsOrderRollup.objects.filter(merchant=merchant, order_id__in=gone_ids).delete()
        _store_contributions(merchant, changed, set(stored))
    return days


def _add_differences(
    d_dims: dict,
    d_zip: dict,
    days: set[dt.date],
    new: Contribution | None,
    old: Contribution | None,
) -> None:
    """Add new minus old to the deltas by (day, key) and (day, key, zip), only the counters that
    changed: an order delivered moves a handful of its counters, so the UPDATEs touch only
    those. `days` gets the days touched."""
    if new is not None and old is not None and (new.day, new.zip) == (old.day, old.zip):
        day, zip_code, before = new.day, new.zip, old.dims
        for key, now in new.dims.items():
            was = before.get(key)
            if was == now:
                continue
            days.add(day)
            by_dims, by_zip = d_dims[(day, key)], d_zip[(day, key, zip_code)]
            if was is None:
                was = {}
            for name, value in now.items():
                change = value - was.get(name, 0)
                if change:
                    by_dims[name] += change
                    by_zip[name] += change
            for name in was.keys() - now.keys():
                by_dims[name] -= was[name]
                by_zip[name] -= was[name]
        for key in before.keys() - new.dims.keys():
            _add_all(d_dims, d_zip, days, day, zip_code, key, before[key], -1)
        return
    for sign, c in ((1, new), (-1, old)):
        if c is not None:
            for key, counters in c.dims.items():
                _add_all(d_dims, d_zip, days, c.day, c.zip, key, counters, sign)


def _add_all(
    d_dims: dict,
    d_zip: dict,
    days: set[dt.date],
    day: dt.date,
    zip_code: str,
    key: Key,
    counters: dict[str, int],
    sign: int,
) -> None:
    days.add(day)
    by_dims, by_zip = d_dims[(day, key)], d_zip[(day, key, zip_code)]
    for name, value in counters.items():
        by_dims[name] += sign * value
        by_zip[name] += sign * value


def _store_contributions(
    merchant: Merchant, changed: list[tuple[int, Contribution, str]], known: set[int]
) -> None:
    """Insert or replace the orders' stored contributions ((order id, contribution, its stored
    form encoded)); `known`: the orders that had one."""
    if not changed:
        return
    if connection.vendor != "postgresql":
        AnalyticsOrderRollup.objects.bulk_create(
            [
                AnalyticsOrderRollup(
                    merchant_id=merchant.pk,
                    order_id=oid,
                    day=made.day,
                    zip=made.zip,
                    rows=text,
                )
                for oid, made, text in changed
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["order_id"],
            update_fields=["day", "zip", "rows"],
        )
        return
    # One array parameter a column (rawsql.array_literal: PostgreSQL parses these for less than
    # the same rows as JSON). A plain UPDATE for the orders stored before: it costs PostgreSQL
    # less than an INSERT ... ON CONFLICT.
    table = connection.ops.quote_name(AnalyticsOrderRollup._meta.db_table)
    columns = (
        "unnest(%s::bigint[], %s::date[], %s::text[], %s::text[]) AS v(order_id, day, zip, rows)"
    )
    with binary_cursor() as cursor:
        for was_known in (True, False):
            rows = [(oid, made, text) for oid, made, text in changed if (oid in known) == was_known]
            if not rows:
                continue
            params = [
                int_array_literal([oid for oid, _made, _text in rows]),
                array_literal([made.day for _oid, made, _text in rows]),
                array_literal([made.zip for _oid, made, _text in rows]),
                array_literal([text for _oid, _made, text in rows]),
            ]
            if was_known:
                cursor.execute(
                    f"UPDATE {table} SET day = v.day, zip = v.zip, rows = v.rows FROM {columns} "
                    f"WHERE {table}.order_id = v.order_id",
                    params,
                )
            else:
                # Under the merchant's lock nothing else stores these orders: ON CONFLICT is a
                # guard, the same replace as the UPDATE above.
                cursor.execute(
                    f"INSERT INTO {table} (merchant_id, order_id, day, zip, rows) "
                    f"SELECT %s, v.order_id, v.day, v.zip, v.rows FROM {columns} "
                    "ON CONFLICT (order_id) DO UPDATE "
                    "SET day = EXCLUDED.day, zip = EXCLUDED.zip, rows = EXCLUDED.rows",
                    [merchant.pk, *params],
                )


def _day_rows(model: type, merchant_id: int, days: RawSQL, zips: RawSQL | None = None) -> QuerySet:
    """The ids and keys of a merchant's rollup rows on `days` (and `zips`)."""
    rows = model.objects.filter(merchant_id=merchant_id, day__in=days)
    if zips is None:
        return rows.values_list("pk", "day", *DIMENSIONS)
    return rows.filter(zip__in=zips).values_list("pk", "day", *DIMENSIONS, "zip")


DAY_ROWS = CompiledQuery(lambda merchant_id, days: _day_rows(AnalyticsDay, merchant_id, days))
ZIP_DAY_ROWS = CompiledQuery(
    lambda merchant_id, days, zips: _day_rows(AnalyticsZipDay, merchant_id, days, zips)
)


def _apply_counters(model: type, merchant: Merchant, deltas: dict, zips: bool = False) -> None:
    """Add `deltas` ({(day, key[, zip]): {counter: delta}}) to the model's rows: find the rows of
    the touched keys (ids only), add to them with one UPDATE (_add_to_rows), create the missing
    ones, delete the ones left all zero. (Matching the rows by their dimensions inside the
    UPDATE instead cost PostgreSQL more than this read: the NULL-able dimensions defeat the
    indexes.)"""
    # By code until here: the day rows name their columns.
    deltas = {k: {CODE_COUNTERS[c]: v for c, v in d.items() if v} for k, d in deltas.items()}
    deltas = {k: d for k, d in deltas.items() if d}
    if not deltas:
        return
    days = value_set({k[0] for k in deltas}, "date")
    if zips:
        rows = ZIP_DAY_ROWS.tuples(merchant.pk, days, value_set({k[2] for k in deltas}, "text"))
    else:
        rows = DAY_ROWS.tuples(merchant.pk, days)
    existing = {}
    for values in rows:
        pk, day, *dims = values
        key = (day, tuple(dims[:6])) + ((dims[6],) if zips else ())
        existing[key] = pk
    updates: dict[int, dict[str, int]] = {}
    created = []
    for k, delta in deltas.items():
        pk = existing.get(k)
        if pk is not None:
            updates[pk] = delta
            continue
        # merchant_id, not merchant: the relation's descriptor costs ~20 µs a row to set.
        row = model(merchant_id=merchant.pk, day=k[0], **_dims(k[1]), **delta)
        if zips:
            row.zip = k[2]
        created.append(row)
    if updates:
        _add_to_rows(model, updates)
        # Only a row something was taken from can have reached all zeros.
        lowered = [pk for pk, delta in updates.items() if min(delta.values()) < 0]
        if lowered:
            _delete_all_zero(model, lowered)
    if created:
        model.objects.bulk_create(created, batch_size=500)


def _delete_all_zero(model: type, ids: list[int]) -> None:
    """Delete the rows of `ids` whose counters are all zero. The statement is written out once
    per model: a filter on ~60 counters cost the ORM ~0.5 ms to build each fold."""
    ids_sql = id_set(ids)
    with connection.cursor() as cursor:
        cursor.execute(_all_zero_delete(model, connection.vendor, ids_sql.sql), ids_sql.params)


@cache
def _all_zero_delete(model: type, vendor: str, ids_sql: str) -> str:
    quote = connection.ops.quote_name
    zeros = " AND ".join(f"{quote(name)} = 0" for name in ALL_COUNTERS)
    return f"DELETE FROM {quote(model._meta.db_table)} WHERE id IN ({ids_sql}) AND {zeros}"


def _add_to_rows(model: type, updates: dict[int, dict[str, int]], chunk: int = 200) -> None:
    """`UPDATE t SET c = t.c + v.c FROM … v WHERE t.id = v.id`, only the counters touched.
    PostgreSQL: one array parameter a column, read with unnest (thousands of plain parameters
    cost psycopg more to render than the UPDATE costs the server; arrays cost PostgreSQL less
    to parse than the same rows as JSON). SQLite (>= 3.33): VALUES rows, named by a CTE."""
    fields = sorted({name for delta in updates.values() for name in delta})
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = [connection.ops.quote_name(name) for name in fields]
    items = list(updates.items())
    sets = ", ".join(f"{q} = {table}.{q} + v.{q}" for q in quoted)
    if connection.vendor == "postgresql":
        arrays = ", ".join(["%s::bigint[]"] * (len(fields) + 1))
        params = [int_array_literal([pk for pk, _delta in items])]
        params += [
            int_array_literal([delta.get(name, 0) for _pk, delta in items]) for name in fields
        ]
        with binary_cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v(id, {', '.join(quoted)}) "
                f"WHERE {table}.id = v.id",
                params,
            )
        return
    with connection.cursor() as cursor:
        for at in range(0, len(items), chunk):
            part = items[at : at + chunk]
            placeholders = ", ".join(
                "(" + ", ".join(["CAST(%s AS bigint)"] * (len(fields) + 1)) + ")" for _ in part
            )
            params: list[int] = []
            for pk, delta in part:
                params.append(pk)
                params.extend(delta.get(name, 0) for name in fields)
            cursor.execute(
                f"WITH v(id, {', '.join(quoted)}) AS (VALUES {placeholders}) "
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.id = v.id",
                params,
            )


REASON_ROWS = CompiledQuery(
    lambda merchant_id, days, zips: AnalyticsReasonDay.objects.filter(
        merchant_id=merchant_id, day__in=days, zip__in=zips
    ).values_list("pk", "day", *DIMENSIONS, "zip", "kind", "reason", "count")
)


def _apply_reasons(merchant: Merchant, deltas: dict) -> None:
    """Add `deltas` ({(day, key, zip, kind, reason): n}) to the reason rows: one UPDATE for the
    rows that stay, a DELETE for those that reach zero, INSERTs for the new ones (read as
    tuples and written by id: model instances of every reason row of the days cost more than
    the rest of a fold with failed deliveries in it)."""
    deltas = {k: d for k, d in deltas.items() if d}
    if not deltas:
        return
    rows = REASON_ROWS.tuples(
        merchant.pk,
        value_set({k[0] for k in deltas}, "date"),
        value_set({k[2] for k in deltas}, "text"),
    )
    existing = {}
    for pk, day, *dims, zip_code, kind, reason, count in rows:
        existing[(day, tuple(dims), zip_code, kind, reason)] = (pk, count)
    updates: dict[int, dict[str, int]] = {}
    created, emptied = [], []
    for k, delta in deltas.items():
        found = existing.get(k)
        if found is None:
            day, key, zip_code, kind, reason = k
            created.append(
                AnalyticsReasonDay(
                    merchant_id=merchant.pk,
                    day=day,
                    **_dims(key),
                    zip=zip_code,
                    kind=kind,
                    reason=reason,
                    count=delta,
                )
            )
            continue
        pk, count = found
        if count + delta:
            updates[pk] = {"count": delta}
        else:
            emptied.append(pk)
    if emptied:
        AnalyticsReasonDay.objects.filter(pk__in=id_set(emptied)).delete()
    if updates:
        _add_to_rows(AnalyticsReasonDay, updates)
    if created:
        AnalyticsReasonDay.objects.bulk_create(created, batch_size=500)


def _dims(key: Key) -> dict[str, Any]:
    point_id, account_id, own_fleet, service_id, channel, delivery_kind = key
    return {
        "point_id": point_id,
        "account_id": account_id,
        "own_fleet": own_fleet,
        "service_id": service_id,
        "channel": channel,
        "delivery_kind": delivery_kind,
    }


def _row(model: type, merchant: Merchant, day: dt.date, key: Key, counters: dict, **extra: Any):
    return model(merchant_id=merchant.pk, day=day, **_dims(key), **counters, **extra)


def order_days(merchant: Merchant) -> tuple[dt.date, dt.date] | None:
    """The first and last local days the merchant has orders on."""
    tz = zone_of(merchant)
    orders = Order.objects.for_merchant(merchant).order_by()
    first = orders.order_by("created_at").values_list("created_at", flat=True).first()
    last = orders.order_by("-created_at").values_list("created_at", flat=True).first()
    if first is None or last is None:
        return None
    return local_day(first, tz), local_day(last, tz)


def rebuild(
    *, merchant: Merchant, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> int:
    """Recompute every day of a range (default: the merchant's first to last order day, and
    drop rollups outside it). Idempotent: rebuilding twice leaves what rebuilding once did."""
    span = order_days(merchant)
    if date_from is None or date_to is None:
        if span is None:
            for model in (AnalyticsDay, AnalyticsZipDay, AnalyticsReasonDay, AnalyticsOrderRollup):
                model.objects.filter(merchant=merchant).delete()
            return 0
        date_from = date_from or span[0]
        date_to = date_to or span[1]
        for model in (AnalyticsDay, AnalyticsZipDay, AnalyticsReasonDay, AnalyticsOrderRollup):
            model.objects.filter(merchant=merchant).exclude(
                day__range=(date_from, date_to)
            ).delete()
    days = 0
    for day in _days(date_from, date_to):
        recompute_day(merchant=merchant, day=day)
        days += 1
    return days


def _days(date_from: dt.date, date_to: dt.date) -> Iterable[dt.date]:
    day = date_from
    while day <= date_to:
        yield day
        day += dt.timedelta(days=1)
