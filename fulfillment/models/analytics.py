"""Analytics daily rollups (#20 item 2).

A row holds additive counters for the orders a merchant received on one local day with one set
of dimensions (storage point, courier account, service, channel, delivery kind), and for their
shipments and events so far. `AnalyticsDay` has no ZIP, so a report without a ZIP filter reads a
small table; `AnalyticsZipDay` adds the destination ZIP (the map and the ZIP filter);
`AnalyticsReasonDay` counts failed attempts and exceptions by reason. `AnalyticsOrderRollup`
holds each order's contribution, so the fold applies the changed orders' deltas
(fulfillment/analytics/services/rollups.py) and a retried or duplicated fold never double
counts. `AnalyticsDirtyOrder` and `AnalyticsDirtyDay` are the queues of orders to apply and of
whole days to recompute.
"""

from __future__ import annotations

from django.db import models

from merchant.models import MerchantOwned

__all__ = [
    "AnalyticsDay",
    "AnalyticsDirtyDay",
    "AnalyticsDirtyOrder",
    "AnalyticsOrderRollup",
    "AnalyticsReasonDay",
    "AnalyticsZipDay",
]

# Transit and order-to-delivery days are counted in buckets 0..14 and "15 or more", so the median
# and p90 come from the rollups, never from raw rows.
HISTOGRAM_BUCKETS = 16

COUNTERS = (
    "orders",
    "order_value_minor",
    "shipments",
    "parcels",
    "label_spend_minor",
    "voids",
    "voided_spend_minor",
    "delivered",
    "delivered_with_promise",
    "on_time",
    "first_attempt_success",
    "failed_attempts",
    "stuck",
    "exceptions",
    "exceptions_resolved",
    "exception_resolve_seconds",
    "pickup_orders",
    "locker_orders",
    "shop_orders",
    "collected",
    "collection_seconds",
    "expired",
    "returned",
    "allocated_orders",
    "nearest_point_orders",
    "split_orders",
    "distance_m",
    "same_day",
)
TRANSIT = tuple(f"transit_d{n}" for n in range(HISTOGRAM_BUCKETS))
ORDER_TO_DELIVERY = tuple(f"o2d_d{n}" for n in range(HISTOGRAM_BUCKETS))
ALL_COUNTERS = COUNTERS + TRANSIT + ORDER_TO_DELIVERY
DIMENSIONS = ("point_id", "account_id", "own_fleet", "service_id", "channel", "delivery_kind")

# A stored contribution (AnalyticsOrderRollup.rows) names each counter by a short code: the fold
# rewrites the row each time the order changes, and PostgreSQL's cost grows with its length
# (rewriting 500 rows as text: 4.8 ms at the names' length, 2.3 ms at the codes'; 8.4 ms as
# jsonb with the names). A code is never changed or given to
# another counter; a new counter takes a new code. Rows written with the names still read.
COUNTER_CODES: dict[str, str] = {
    "orders": "o",
    "order_value_minor": "v",
    "shipments": "s",
    "parcels": "p",
    "label_spend_minor": "l",
    "voids": "x",
    "voided_spend_minor": "X",
    "delivered": "d",
    "delivered_with_promise": "P",
    "on_time": "t",
    "first_attempt_success": "f",
    "failed_attempts": "F",
    "stuck": "S",
    "exceptions": "e",
    "exceptions_resolved": "r",
    "exception_resolve_seconds": "R",
    "pickup_orders": "k",
    "locker_orders": "L",
    "shop_orders": "h",
    "collected": "c",
    "collection_seconds": "C",
    "expired": "E",
    "returned": "b",
    "allocated_orders": "a",
    "nearest_point_orders": "n",
    "split_orders": "i",
    "distance_m": "m",
    "same_day": "y",
    **{f"transit_d{n}": f"T{n}" for n in range(HISTOGRAM_BUCKETS)},
    **{f"o2d_d{n}": f"W{n}" for n in range(HISTOGRAM_BUCKETS)},
}
CODE_COUNTERS: dict[str, str] = {code: name for name, code in COUNTER_CODES.items()}


class RollupDimensions(MerchantOwned):
    day = models.DateField()
    # Plain ids, no foreign keys: a rollup outlives nothing it points at and is rebuilt from the
    # source rows; the filters check ownership before they are used.
    point_id = models.BigIntegerField(null=True)  # the order's first-ranked allocation
    account_id = models.BigIntegerField(null=True)  # the shipment's (orders: first shipment's)
    own_fleet = models.BooleanField(default=False)
    service_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=12)
    delivery_kind = models.CharField(max_length=12)

    class Meta:
        abstract = True


class RollupCounters(RollupDimensions):
    for _name in ALL_COUNTERS:
        locals()[_name] = models.BigIntegerField(default=0)
    del _name

    class Meta:
        abstract = True


class AnalyticsDay(RollupCounters):
    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="analytics_day")]


class AnalyticsZipDay(RollupCounters):
    zip = models.CharField(max_length=12)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "day"], name="analytics_zip_day"),
            models.Index(fields=["merchant", "zip", "day"], name="analytics_zip_by_zip"),
        ]


class AnalyticsReasonDay(RollupDimensions):
    class Kind(models.TextChoices):
        FAILED_ATTEMPT = "failed_attempt", "Failed attempt"
        EXCEPTION = "exception", "Exception"

    zip = models.CharField(max_length=12)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="analytics_reason_day")]


class AnalyticsDirtyDay(MerchantOwned):
    """A (merchant, local day) whose rollups wait to be recomputed; marked by the receivers,
    folded each minute by beat. `marked_at` lets a fold keep a day re-marked while it ran."""

    day = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day"], name="analytics_dirty_day_unique")
        ]


class AnalyticsOrderRollup(MerchantOwned):
    """One order's contribution to the day tables (its day, ZIP, and per dimension key its
    non-zero counters and reason counts). The fold recomputes the contributions of the orders
    that changed and applies new minus stored to the day tables, so its cost follows the orders,
    not the days. `rows` is compact JSON text, {"d": [[key, {code: n}]], "r": [[key, kind,
    reason, n]]} with the COUNTER_CODES: text, not jsonb, because the fold only ever reads and
    rewrites it whole, and jsonb's parsing doubled the cost of the rewrite."""

    order_id = models.BigIntegerField(unique=True)  # plain id, like the dimensions
    day = models.DateField()
    zip = models.CharField(max_length=12)
    rows = models.TextField(default="{}")

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="analytics_order_day")]


class AnalyticsDirtyOrder(MerchantOwned):
    """An order whose contribution waits to be recomputed (the fold's queue, filled from the
    receivers' Redis set or at once without Redis). `marked_at` keeps one re-marked mid-fold."""

    order_id = models.BigIntegerField(unique=True)
    marked_at = models.DateTimeField()
