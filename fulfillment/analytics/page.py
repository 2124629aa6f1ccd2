"""The report as the Analytics page shows it: each figure in words (money through
merchant/money.py, distances in the merchant's units) with its change against the previous
period, the trend lines, bars, histograms and the ZIP map's rows, each with the numbers of its
table. Pure functions of a report, except `page_series` (two aggregate reads of the rollups)."""

from __future__ import annotations

import datetime as dt
import html

from django.conf import settings
from django.db.models import Sum
from django.utils.safestring import mark_safe

from fulfillment.analytics import charts
from fulfillment.analytics.filters import AnalyticsFilters
from fulfillment.analytics.report import DAILY_FIGURES, FIGURES, AnalyticsReport, Section
from fulfillment.analytics.selectors import derive, rollup_rows
from fulfillment.models import Order
from fulfillment.models.analytics import ALL_COUNTERS, COUNTERS, ORDER_TO_DELIVERY, TRANSIT
from merchant.models import Merchant
from merchant.money import format_money
from merchant.units import IMPERIAL

METRES_PER_MILE = 1609.344

SECTIONS = (
    ("cost", "Cost", "What the last mile costs, per order and per parcel, against order value."),
    ("performance", "Performance", "Deliveries against the promise, attempts and delivery days."),
    ("pickup", "Pickup", "Orders sent to lockers and pickup shops, and how they were collected."),
    ("placement", "Stock and placement", "Where orders ship from, split orders and distance."),
)
# The figures shown large at the top of each section; the table under it has them all.
HEADLINES = {
    "cost": ("cost_per_order_minor", "cost_share_of_value", "label_spend_minor", "orders"),
    "performance": (
        "on_time_share",
        "first_attempt_share",
        "failed_attempts",
        "order_to_delivery_days_median",
    ),
    "pickup": ("pickup_orders", "locker_share", "shop_share", "collection_hours_mean"),
    "placement": ("nearest_point_share", "split_share", "distance_m_mean", "same_day_share"),
}
HIGHER_IS_BETTER = {
    "on_time_share",
    "first_attempt_share",
    "first_attempt_success",
    "on_time",
    "delivered",
    "collected",
    "nearest_point_share",
    "nearest_point_orders",
    "same_day",
    "same_day_share",
    "exceptions_resolved",
    "order_value_minor",
    "shipping_charged_minor",
}
LOWER_IS_BETTER = {
    "label_spend_minor",
    "cost_per_order_minor",
    "cost_per_parcel_minor",
    "cost_share_of_value",
    "surcharges_minor",
    "voids",
    "voided_spend_minor",
    "failed_attempts",
    "transit_days_median",
    "transit_days_p90",
    "order_to_delivery_days_median",
    "order_to_delivery_days_p90",
    "stuck",
    "exceptions",
    "exception_resolve_hours_mean",
    "collection_hours_mean",
    "expired",
    "returned",
    "split_orders",
    "split_share",
    "distance_m_mean",
}


def report_context(
    report: AnalyticsReport, merchant: Merchant, *, compare: bool, series: dict | None = None
) -> dict:
    """The page's words and chart geometry for a report; `series` (page_series) adds the
    previous period's daily lines and the delivery-days histograms."""
    series = series or {}
    fmt = Formatter(currency=report.currency, unit_system=merchant.unit_system)
    previous_daily = series.get("previous_daily") or {}
    sections = [
        _section(
            key,
            title,
            text,
            getattr(report, key),
            fmt,
            compare=compare,
            previous_daily=previous_daily.get(key) or [],
        )
        for key, title, text in SECTIONS
    ]
    sections[1]["histograms"] = _histograms(series.get("histograms") or {})
    zip_rows = _zip_rows(report.cost.breakdowns.get("by_zip") or [])
    return {
        "report": report,
        "compare": compare,
        "period": _period(report.date_from, report.date_to),
        "previous_period": _period(report.previous_from, report.previous_to),
        "sections": sections,
        "empty": not report.cost.figures.get("orders") and not report.cost.previous.get("orders"),
        "zip_rows": zip_rows,
        "map_points": charts.zip_map_points(zip_rows),
        "map_tiles_url": settings.NEARBOX_MAP_TILES_URL,
        "map_tiles_attribution": getattr(settings, "NEARBOX_MAP_TILES_ATTRIBUTION", ""),
        "placement_effect": _placement_effect(report, fmt),
    }


def page_series(
    merchant: Merchant, filters: AnalyticsFilters, report: AnalyticsReport | None = None
) -> dict:
    """What the charts draw beyond the report: the previous period's daily figures (its line
    under this period's) and this period's delivery-days histograms (from the report's counter
    totals when given). One or two aggregate queries over the same rollup rows the report read
    (selectors.rollup_rows), never raw rows."""
    previous = filters.previous()
    rows = rollup_rows(merchant, filters)
    found = {
        row["day"]: row
        for row in rows.filter(day__range=(previous.date_from, previous.date_to))
        .values("day")
        .annotate(**{name: Sum(name) for name in COUNTERS})
    }
    empty = dict.fromkeys(ALL_COUNTERS, 0)
    days = []
    for n in range(previous.days):
        counters = found.get(previous.date_from + dt.timedelta(days=n), {})
        days.append(derive({**empty, **{k: int(counters.get(k) or 0) for k in COUNTERS}}))
    totals = (report.counter_totals if report is not None else None) or rows.filter(
        day__range=(filters.date_from, filters.date_to)
    ).aggregate(**{name: Sum(name) for name in (*TRANSIT, *ORDER_TO_DELIVERY)})
    return {
        "previous_daily": {
            key: [{name: day.get(name) for name in names} for day in days]
            for key, names in DAILY_FIGURES.items()
        },
        "histograms": {
            "transit": [int(totals[name] or 0) for name in TRANSIT],
            "order_to_delivery": [int(totals[name] or 0) for name in ORDER_TO_DELIVERY],
        },
    }


class Formatter:
    """A figure in the page's words: money through merchant/money.py, distances in the
    merchant's unit system, shares as percentages."""

    def __init__(self, *, currency: str, unit_system: str) -> None:
        self.currency, self.unit_system = currency, unit_system

    def __call__(self, value: float | None, unit: str) -> str:
        if value is None:
            return "—"
        if unit == "money":
            return format_money(round(value), self.currency)
        if unit == "share":
            return f"{value * 100:.1f}%"
        if unit == "days":
            return f"{value:.1f} days"
        if unit == "hours":
            return f"{value:.1f} h"
        if unit == "metres":
            if self.unit_system == IMPERIAL:
                return f"{value / METRES_PER_MILE:.1f} mi"
            return f"{value / 1000:.1f} km"
        return f"{round(value):,}"

    def tick(self, unit: str):
        """The y-axis label of a chart of `unit` (shares are drawn as fractions)."""
        if unit == "share":
            return lambda v: f"{v * 100:g}%"
        return lambda v: self(v, unit)


def _unit(name: str) -> str:
    return FIGURES.get(name, ("count", ""))[0]


def _label(name: str) -> str:
    return FIGURES.get(name, ("count", name.replace("_", " ").capitalize()))[1]


def change(name: str, now: float | None, before: float | None) -> dict:
    """The change of a figure against the previous period: its words, its arrow and whether
    it is better, worse or neither (the colour only repeats what the words say)."""
    if now is None or before is None:
        return {"text": "—", "tone": "same", "words": "no comparison"}
    if _unit(name) == "share":
        delta = (now - before) * 100
        text = f"{delta:+.1f} pts"
        moved = abs(delta) >= 0.05
    elif before == 0:
        return (
            {"text": "new", "tone": "same", "words": "none in the previous period"}
            if now
            else {"text": "±0", "tone": "same", "words": "unchanged"}
        )
    else:
        ratio = (now - before) / before
        text = f"{ratio * 100:+.0f}%"
        moved = abs(ratio) >= 0.005
    if not moved:
        return {"text": "±0", "tone": "same", "words": "unchanged"}
    up = now > before
    tone = "same"
    if name in HIGHER_IS_BETTER:
        tone = "good" if up else "bad"
    elif name in LOWER_IS_BETTER:
        tone = "bad" if up else "good"
    words = {"good": "better", "bad": "worse", "same": "up" if up else "down"}[tone]
    return {"text": ("▲ " if up else "▼ ") + text, "tone": tone, "words": words}


def _figure(name: str, section: Section, fmt: Formatter) -> dict:
    now, before = section.figures.get(name), section.previous.get(name)
    unit = _unit(name)
    return {
        "name": name,
        "label": _label(name),
        "value": fmt(now, unit),
        "previous": fmt(before, unit),
        "change": change(name, now, before),
    }


def _section(
    key: str,
    title: str,
    text: str,
    section: Section,
    fmt: Formatter,
    *,
    compare: bool,
    previous_daily: list[dict],
) -> dict:
    days = [dt.date.fromisoformat(row["day"]) for row in section.daily]
    trends = []
    for name in DAILY_FIGURES.get(key, ()):
        unit = _unit(name)
        current = [row.get(name) for row in section.daily]
        previous = [row.get(name) for row in previous_daily] if compare else []
        # A rate with nothing to divide on every day (no promise dates yet) draws no chart.
        drawn = days and any(v is not None for v in (*current, *previous))
        trends.append(
            {
                "id": f"{key}-{name}".replace("_", "-"),
                "name": name,
                "label": _label(name),
                "unit": unit,
                "total": fmt(section.figures.get(name), unit),
                "previous_total": fmt(section.previous.get(name), unit),
                "chart": charts.trend_chart(
                    days=days,
                    current=current,
                    previous=previous,
                    share=unit == "share",
                    whole=unit == "count",
                    label=fmt.tick(unit),
                )
                if drawn
                else None,
            }
        )
    # Joined here (escaped): a template loop over 92 rows × 4 sections is slow. Past 92 days
    # the daily numbers are the CSV's (a 365-row table is read by nobody and cost the page).
    daily_rows = mark_safe(  # every value went through html.escape
        "".join(
            f'<tr><th scope="row">{day:%a %b} {day.day}</th>'
            + "".join(
                f'<td class="num">{html.escape(fmt(row.get(t["name"]), t["unit"]))}</td>'
                for t in trends
            )
            + "</tr>"
            for day, row in zip(days, section.daily, strict=True)
        )
        if len(days) <= DAILY_TABLE_DAYS
        else ""
    )
    return {
        "key": key,
        "title": title,
        "text": text,
        "headlines": [_figure(n, section, fmt) for n in HEADLINES[key]],
        "figures": [_figure(n, section, fmt) for n in section.figures],
        "trends": trends,
        "has_days": bool(days),
        "daily_rows": daily_rows,
        "breakdowns": [
            _breakdown(key, name, rows, fmt)
            for name, rows in section.breakdowns.items()
            if rows and (key, name) in BREAKDOWNS
        ],
    }


# (section, breakdown) -> title, what a row is, the figure its bars show, the table's columns.
_COST = ("orders", "parcels", "label_spend_minor", "cost_per_order_minor", "cost_share_of_value")
_PLACE = ("orders", "nearest_point_share", "split_share", "distance_m_mean", "same_day_share")
_DELIVERY = ("delivered", "on_time_share", "first_attempt_share", "failed_attempts")
BREAKDOWNS: dict[tuple[str, str], tuple[str, str, str, tuple[str, ...]]] = {
    ("cost", "by_courier"): ("Cost per order by courier", "Courier", "cost_per_order_minor", _COST),
    ("cost", "by_service"): ("Cost per order by service", "Service", "cost_per_order_minor", _COST),
    ("cost", "by_point"): (
        "Cost per order by storage point",
        "Storage point",
        "cost_per_order_minor",
        _COST,
    ),
    ("cost", "by_zip"): ("Cost per order by destination ZIP", "ZIP", "cost_per_order_minor", _COST),
    ("performance", "by_courier"): ("On time by courier", "Courier", "on_time_share", _DELIVERY),
    ("performance", "failed_by_reason"): (
        "Failed attempts by reason",
        "Reason",
        "count",
        ("count",),
    ),
    ("performance", "exceptions_by_category"): (
        "Exceptions by category",
        "Category",
        "count",
        ("count",),
    ),
    ("pickup", "by_point"): (
        "Pickup orders by storage point",
        "Storage point",
        "pickup_orders",
        ("orders", "pickup_orders"),
    ),
    ("pickup", "by_channel"): (
        "Pickup orders by channel",
        "Channel",
        "pickup_orders",
        ("orders", "pickup_orders"),
    ),
    ("placement", "by_point"): (
        "Shipped from the nearest point, by storage point",
        "Storage point",
        "nearest_point_share",
        _PLACE,
    ),
    ("placement", "by_channel"): (
        "Shipped from the nearest point, by channel",
        "Channel",
        "nearest_point_share",
        _PLACE,
    ),
}
COUNT_LABELS = {"failed_by_reason": "Failed attempts", "exceptions_by_category": "Exceptions"}
DAILY_TABLE_DAYS = 92
BARS = 12  # the chart shows the largest rows; the table under it has them all
CHANNELS = dict(Order.Source.choices)


def _breakdown(key: str, name: str, rows: list[dict], fmt: Formatter) -> dict:
    title, key_label, main, columns = BREAKDOWNS[(key, name)]
    unit = _unit(main)

    def label(column: str) -> str:
        return COUNT_LABELS[name] if column == "count" else _label(column)

    def row_label(row: dict) -> str:
        if name == "by_channel":
            return CHANNELS.get(row["key"], str(row["key"]))
        return str(row.get("label") or row.get("key") or "—")

    return {
        "id": f"{key}-{name.replace('_', '-')}",
        "title": title,
        "key_label": key_label,
        "main_label": label(main),
        "columns": [label(c) for c in columns],
        "rows": [
            {"label": row_label(row), "values": [fmt(row.get(c), _unit(c)) for c in columns]}
            for row in rows
        ],
        "chart": charts.bar_chart(
            rows=[(row_label(r), r.get(main) or 0, None) for r in rows[:BARS]],
            share=unit == "share",
            label=lambda v: fmt(v, unit),
        ),
    }


def _histograms(counts: dict[str, list[int]]) -> list[dict]:
    found = []
    for name, title in HISTOGRAMS.items():
        values = counts.get(name) or []
        if not any(values):
            continue
        last = len(values) - 1
        buckets = [(f"{n}+" if n == last else str(n), c) for n, c in enumerate(values)]
        found.append(
            {
                "id": f"hist-{name.replace('_', '-')}",
                "title": title,
                "buckets": buckets,
                "chart": charts.histogram(buckets=buckets),
            }
        )
    return found


HISTOGRAMS = {
    "transit": "Transit days (booked to delivered)",
    "order_to_delivery": "Order to delivery days",
}


def _zip_rows(by_zip: list[dict]) -> list[dict]:
    """Delivery attempts per destination ZIP (a delivery is a successful attempt), highest
    failure rate first: the map's circles and the table under it."""
    rows = []
    for row in by_zip:
        failed = int(row.get("failed_attempts") or 0)
        attempts = failed + int(row.get("delivered") or 0)
        if attempts and row.get("key"):
            rows.append(
                {
                    "zip": str(row["key"]),
                    "attempts": attempts,
                    "failed": failed,
                    "rate": failed / attempts,
                    "rate_text": f"{failed / attempts * 100:.1f}%",
                }
            )
    rows.sort(key=lambda r: (-r["rate"], -r["failed"], r["zip"]))
    return rows


def _placement_effect(report: AnalyticsReport, fmt: Formatter) -> dict | None:
    effect = report.placement_effect
    if effect is None:
        return None
    return {
        "plan_id": effect.plan_id,
        "accepted_on": dt.date.fromisoformat(effect.accepted_on),
        "days": effect.days,
        "rows": [
            {
                "label": _label(name),
                "before": fmt(effect.before.get(name), _unit(name)),
                "after": fmt(effect.after.get(name), _unit(name)),
                "change": change(name, effect.after.get(name), effect.before.get(name)),
            }
            for name in effect.after
        ],
    }


def _period(date_from: str, date_to: str) -> dict:
    return {"start": dt.date.fromisoformat(date_from), "end": dt.date.fromisoformat(date_to)}
