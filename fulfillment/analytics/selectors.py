"""The analytics report, read from the daily rollups only (never from raw rows or events).

A report is a handful of aggregate queries over AnalyticsDay (AnalyticsZipDay when a ZIP filter
is set, AnalyticsReasonDay for reasons), each an index range scan on (merchant, day)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import QuerySet, Sum

from fulfillment.analytics.filters import OWN_FLEET, AnalyticsFilters
from fulfillment.analytics.report import (
    DAILY_FIGURES,
    FIGURES,
    SECTION_FIGURES,
    AnalyticsReport,
    Number,
    PlacementEffect,
    Section,
)
from fulfillment.models import CourierAccount, CourierService
from fulfillment.models.analytics import (
    ALL_COUNTERS,
    COUNTERS,
    HISTOGRAM_BUCKETS,
    AnalyticsDay,
    AnalyticsDirtyDay,
    AnalyticsDirtyOrder,
    AnalyticsReasonDay,
    AnalyticsZipDay,
)
from merchant.models import Merchant, StoragePoint
from merchant.models.demand import PlacementPlan
from merchant.zones import zone_of

BREAKDOWN_ROWS = 100  # ZIPs and reasons shown (the largest first)
BREAKDOWN_FIGURES = (
    "orders",
    "parcels",
    "label_spend_minor",
    "cost_per_order_minor",
    "cost_per_parcel_minor",
    "cost_share_of_value",
    "voids",
    "delivered",
    "on_time_share",
    "first_attempt_share",
    "failed_attempts",
    "pickup_orders",
    "nearest_point_share",
    "split_share",
    "distance_m_mean",
    "same_day_share",
)


def rollup_rows(merchant: Merchant, filters: AnalyticsFilters) -> QuerySet:
    """The rollup rows under the filters' dimensions (any period): the ZIP table for a ZIP."""
    model = AnalyticsZipDay if filters.zip else AnalyticsDay
    return _scoped(model.objects.for_merchant(merchant), filters)


def _scoped(rows: QuerySet, filters: AnalyticsFilters) -> QuerySet:
    if filters.point_id is not None:
        rows = rows.filter(point_id=filters.point_id)
    if filters.carrier == OWN_FLEET:
        rows = rows.filter(own_fleet=True)
    elif filters.carrier is not None:
        rows = rows.filter(account_id=filters.carrier)
    if filters.service_id is not None:
        rows = rows.filter(service_id=filters.service_id)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.zip:
        rows = rows.filter(zip__startswith=filters.zip)
    return rows.order_by()


def _sums(names: tuple[str, ...]) -> dict[str, Sum]:
    return {name: Sum(name) for name in names}


def _totals(rows: QuerySet, date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    found = rows.filter(day__range=(date_from, date_to)).aggregate(**_sums(ALL_COUNTERS))
    return {name: int(value or 0) for name, value in found.items()}


def quantile_from_histogram(counts: list[int], q: float) -> int | None:
    """The nearest-rank q-quantile of values counted in buckets 0..n-1 (the last is "n-1 or
    more"): the smallest bucket whose cumulative count reaches ceil(q * total)."""
    total = sum(counts)
    if total == 0:
        return None
    rank = max(math.ceil(q * total), 1)
    seen = 0
    for value, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return value
    return len(counts) - 1


def _ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _money_per(amount: int, count: int) -> int | None:
    return round(amount / count) if count else None


def derive(t: dict[str, int]) -> dict[str, Number]:
    """Every figure of FIGURES from summed counters."""
    transit = [t.get(f"transit_d{n}", 0) for n in range(HISTOGRAM_BUCKETS)]
    o2d = [t.get(f"o2d_d{n}", 0) for n in range(HISTOGRAM_BUCKETS)]
    resolved, collected = t["exceptions_resolved"], t["collected"]
    figures: dict[str, Number] = {name: t[name] for name in COUNTERS if name in FIGURES}
    figures.update(
        cost_per_order_minor=_money_per(t["label_spend_minor"], t["orders"]),
        cost_per_parcel_minor=_money_per(t["label_spend_minor"], t["parcels"]),
        cost_share_of_value=_ratio(t["label_spend_minor"], t["order_value_minor"]),
        # Neither is recorded per order or shipment yet: shown as "not recorded".
        shipping_charged_minor=None,
        surcharges_minor=None,
        on_time_share=_ratio(t["on_time"], t["delivered_with_promise"]),
        first_attempt_share=_ratio(t["first_attempt_success"], t["delivered"]),
        transit_days_median=quantile_from_histogram(transit, 0.5),
        transit_days_p90=quantile_from_histogram(transit, 0.9),
        order_to_delivery_days_median=quantile_from_histogram(o2d, 0.5),
        order_to_delivery_days_p90=quantile_from_histogram(o2d, 0.9),
        exception_resolve_hours_mean=(
            round(t["exception_resolve_seconds"] / resolved / 3600, 2) if resolved else None
        ),
        locker_share=_ratio(t["locker_orders"], t["orders"]),
        shop_share=_ratio(t["shop_orders"], t["orders"]),
        collection_hours_mean=(
            round(t["collection_seconds"] / collected / 3600, 2) if collected else None
        ),
        nearest_point_share=_ratio(t["nearest_point_orders"], t["allocated_orders"]),
        split_share=_ratio(t["split_orders"], t["allocated_orders"]),
        distance_m_mean=(
            round(t["distance_m"] / t["allocated_orders"], 1) if t["allocated_orders"] else None
        ),
        same_day_share=_ratio(t["same_day"], t["delivered"]),
    )
    return figures


def _pick(figures: dict[str, Number], names: tuple[str, ...]) -> dict[str, Number]:
    return {name: figures.get(name) for name in names}


def daily_figures(merchant: Merchant, filters: AnalyticsFilters) -> list[dict[str, Number]]:
    """Every figure for each day of the period (the CSV export)."""
    return _daily(rollup_rows(merchant, filters), filters, ALL_COUNTERS)


def _daily(
    rows: QuerySet, filters: AnalyticsFilters, counters: tuple[str, ...] = COUNTERS
) -> list[dict[str, Number]]:
    found = {
        row["day"]: row
        for row in rows.filter(day__range=(filters.date_from, filters.date_to))
        .values("day")
        .annotate(**_sums(counters))
    }
    empty = dict.fromkeys(ALL_COUNTERS, 0)
    series = []
    for n in range(filters.days):
        day = filters.date_from + dt.timedelta(days=n)
        counters = {
            **empty,
            **{k: int(v or 0) for k, v in found.get(day, {}).items() if k != "day"},
        }
        series.append({"day": day.isoformat(), **derive(counters)})
    return series


# The breakdowns the day table gives (by courier, service, point, channel) and the period's
# totals, from ONE scan grouped by all four: a few hundred groups, regrouped in Python, where a
# query per breakdown read a year's rows five times.
GROUPING = ("account_id", "service_id", "point_id", "channel")


def _by_dimensions(period: QuerySet) -> list[dict[str, Any]]:
    return [
        {**{d: row[d] for d in GROUPING}, **{n: int(row[n] or 0) for n in ALL_COUNTERS}}
        for row in period.values(*GROUPING).annotate(**_sums(ALL_COUNTERS)).order_by()
    ]


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys(ALL_COUNTERS, 0)
    for row in rows:
        for name in ALL_COUNTERS:
            totals[name] += row[name]
    return totals


def _regrouped(rows: list[dict[str, Any]], dimension: str) -> list[dict[str, Any]]:
    """A breakdown by `dimension` of _by_dimensions' rows: most orders first, then by key, the
    unknown key (None) last."""
    by_key: dict[Any, dict[str, int]] = {}
    for row in rows:
        totals = by_key.setdefault(row[dimension], dict.fromkeys(ALL_COUNTERS, 0))
        for name in COUNTERS:
            totals[name] += row[name]
    out = [{"key": key, **_pick(derive(t), BREAKDOWN_FIGURES)} for key, t in by_key.items()]
    # Ties break on the key; at most one key is None, so a None never meets a real key here.
    out.sort(key=lambda r: (-(r["orders"] or 0), r["key"] is None, _or_zero(r["key"])))
    return out


def _or_zero(key: Any) -> Any:
    return 0 if key is None else key


def _grouped(rows: QuerySet, dimension: str, limit: int | None = None) -> list[dict[str, Any]]:
    grouped = rows.values(dimension).annotate(**_sums(COUNTERS)).order_by("-orders", dimension)
    if limit is not None:
        grouped = grouped[:limit]
    out = []
    for row in grouped:
        counters = {**dict.fromkeys(ALL_COUNTERS, 0), **{k: int(row[k] or 0) for k in COUNTERS}}
        out.append({"key": row[dimension], **_pick(derive(counters), BREAKDOWN_FIGURES)})
    return out


def _label(rows: list[dict[str, Any]], names: dict[Any, str], none: str) -> list[dict[str, Any]]:
    for row in rows:
        row["label"] = none if row["key"] is None else names.get(row["key"], f"#{row['key']}")
    return rows


def build_report(
    merchant: Merchant, filters: AnalyticsFilters, *, include_effect: bool = True
) -> AnalyticsReport:
    previous = filters.previous()
    rows = rollup_rows(merchant, filters)
    period = rows.filter(day__range=(filters.date_from, filters.date_to))
    grouped = _by_dimensions(period)
    totals = _sum_rows(grouped)
    now = derive(totals)
    before = derive(_totals(rows, previous.date_from, previous.date_to))
    daily = _daily(rows, filters)

    accounts = dict(
        CourierAccount.objects.for_merchant(merchant).values_list("pk", "name").order_by()
    )
    services = dict(
        CourierService.objects.for_merchant(merchant).values_list("pk", "name").order_by()
    )
    points = dict(StoragePoint.objects.for_merchant(merchant).values_list("pk", "name").order_by())
    by_courier = _label(_regrouped(grouped, "account_id"), accounts, "Not shipped yet")
    by_service = _label(_regrouped(grouped, "service_id"), services, "Not shipped yet")
    by_point = _label(_regrouped(grouped, "point_id"), points, "Not allocated")
    by_channel = _label(_regrouped(grouped, "channel"), {}, "")
    for row in by_channel:
        row["label"] = str(row["key"])
    zip_rows = _scoped(AnalyticsZipDay.objects.for_merchant(merchant), filters).filter(
        day__range=(filters.date_from, filters.date_to)
    )
    by_zip = _grouped(zip_rows, "zip", BREAKDOWN_ROWS)
    for row in by_zip:
        row["label"] = row["key"] or "No ZIP"
    failed_by_zip = sorted(
        (
            {"key": row["key"], "label": row["label"], "failed_attempts": row["failed_attempts"]}
            for row in by_zip
            if row["failed_attempts"]
        ),
        key=lambda row: (-row["failed_attempts"], row["key"]),
    )
    reasons = _scoped(AnalyticsReasonDay.objects.for_merchant(merchant), filters).filter(
        day__range=(filters.date_from, filters.date_to)
    )
    by_reason: dict[str, list[dict[str, Any]]] = {"failed_attempt": [], "exception": []}
    for row in (
        reasons.values("kind", "reason").annotate(count=Sum("count")).order_by("-count", "reason")
    ):
        if len(by_reason[row["kind"]]) < BREAKDOWN_ROWS:
            by_reason[row["kind"]].append(
                {"key": row["reason"], "label": row["reason"], "count": int(row["count"])}
            )

    report = AnalyticsReport(
        merchant_id=merchant.pk,
        currency=merchant.currency,
        date_from=filters.date_from.isoformat(),
        date_to=filters.date_to.isoformat(),
        previous_from=previous.date_from.isoformat(),
        previous_to=previous.date_to.isoformat(),
        filters=filters.as_query(),
        # Days queued whole in the period, plus the shop's orders waiting for the minute's fold.
        counter_totals=totals,
        pending_days=AnalyticsDirtyDay.objects.for_merchant(merchant)
        .filter(day__range=(previous.date_from, filters.date_to))
        .count()
        + AnalyticsDirtyOrder.objects.for_merchant(merchant).count(),
    )
    breakdowns = {
        "cost": {
            "by_courier": by_courier,
            "by_service": by_service,
            "by_point": by_point,
            "by_zip": by_zip,
        },
        "performance": {
            "by_courier": by_courier,
            "failed_by_reason": by_reason["failed_attempt"],
            "failed_by_zip": failed_by_zip,
            "exceptions_by_category": by_reason["exception"],
        },
        "pickup": {"by_point": by_point, "by_channel": by_channel},
        "placement": {"by_point": by_point, "by_channel": by_channel},
    }
    for name, figures in SECTION_FIGURES.items():
        setattr(
            report,
            name,
            Section(
                figures=_pick(now, figures),
                previous=_pick(before, figures),
                daily=[{"day": day["day"], **_pick(day, DAILY_FIGURES[name])} for day in daily],
                breakdowns=breakdowns[name],
            ),
        )
    if include_effect:
        report.placement_effect = placement_effect(merchant, filters, rows)
    return report


def placement_effect(
    merchant: Merchant, filters: AnalyticsFilters, rows: QuerySet | None = None
) -> PlacementEffect | None:
    """The latest accepted plan's before/after, from the rollups: the same number of days on
    each side of the local day it was accepted (the report's length, at most the days since)."""
    plan = (
        PlacementPlan.objects.for_merchant(merchant)
        .filter(status=PlacementPlan.Status.ACCEPTED, accepted_at__isnull=False)
        .order_by("-accepted_at", "-pk")
        .first()
    )
    if plan is None:
        return None
    rows = rows if rows is not None else rollup_rows(merchant, filters)
    accepted_on = plan.accepted_at.astimezone(zone_of(merchant)).date()
    days = max(min(filters.days, (filters.date_to - accepted_on).days), 0)
    names = SECTION_FIGURES["placement"]
    if days == 0:
        return PlacementEffect(plan.pk, accepted_on.isoformat(), 0, {}, {})
    span = dt.timedelta(days=days)
    before = derive(_totals(rows, accepted_on - span, accepted_on - dt.timedelta(days=1)))
    # The day of acceptance is mixed: "after" starts the next day.
    after = derive(_totals(rows, accepted_on + dt.timedelta(days=1), accepted_on + span))
    return PlacementEffect(
        plan.pk, accepted_on.isoformat(), days, _pick(before, names), _pick(after, names)
    )
