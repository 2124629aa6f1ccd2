"""Demand reads: orders by day and by area, forecasts per area, and the advice built on them.

An "area" is a five-digit ZIP ("60614") or a three-digit ZIP prefix ("606xx"). Days are the
merchant's local days; a series ends yesterday (today is not over yet).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils import timezone

from merchant.demand.forecast import (
    Forecast,
    flag_spikes,
    forecast_daily,
    history_band,
    split_forecast,
)
from merchant.models import DemandRecord, Merchant, StockLevel, StoragePoint
from merchant.services.geocoding import distance_m
from merchant.zones import zone_of

HISTORY_DAYS = 365
SHARE_DAYS = 56
# Shrink a ZIP's recent share towards its share of the year, worth this many orders.
SHARE_PRIOR_ORDERS = 20
ADVICE_MIN_RISE = 0.2
_AREA = re.compile(r"(\d{3})(xx)?|(\d{5})", re.IGNORECASE)


@dataclass(frozen=True)
class DailySeries:
    days: list[dt.date]
    orders: np.ndarray
    units: np.ndarray


@dataclass(frozen=True)
class AreaOutlook:
    area: str
    expected_week: float
    normal_week: float
    peak_day: dt.date
    peak_expected: float
    normal_day: float
    share: float
    latitude: float
    longitude: float

    @property
    def change(self) -> float:
        return (self.expected_week / self.normal_week - 1) if self.normal_week else 0.0

    @property
    def share_percent(self) -> float:
        return self.share * 100

    @property
    def peak_rise(self) -> float:
        return (self.peak_expected / self.normal_day - 1) if self.normal_day else 0.0


def merchant_today(merchant: Merchant) -> dt.date:
    return timezone.localdate(timezone=zone_of(merchant))


def area_of(postal_code: str) -> str:
    return f"{postal_code[:3]}xx"


def parse_area(value: str | None) -> str | None:
    """ "" or None for the whole shop, "606xx" for a prefix, "60614" for one ZIP."""
    text = (value or "").strip()
    if not text:
        return None
    match = _AREA.fullmatch(text)
    if not match:
        raise ValidationError(
            {"area": f"“{text}” is not an area; use a ZIP like 60614 or a prefix like 606xx."}
        )
    return f"{match.group(1)}xx" if match.group(1) else match.group(3)


def records_in_area(merchant: Merchant, area: str | None) -> QuerySet[DemandRecord]:
    records = DemandRecord.objects.for_merchant(merchant)
    if area is None:
        return records
    if area.endswith("xx"):
        return records.filter(postal_code__startswith=area[:3])
    return records.filter(postal_code=area)


def has_demand(merchant: Merchant) -> bool:
    return DemandRecord.objects.for_merchant(merchant).exists()


def daily_orders(
    merchant: Merchant,
    *,
    days: int,
    area: str | None = None,
    today: dt.date | None = None,
    from_first_order: bool = False,
) -> DailySeries:
    """Orders and units per day for the ``days`` days before today, zeros included. With
    ``from_first_order`` the series starts at the first recorded day (a shop that started
    last month has no year of zeros)."""
    today = today or merchant_today(merchant)
    start = today - dt.timedelta(days=days)
    rows = (
        records_in_area(merchant, area)
        .filter(ordered_on__gte=start, ordered_on__lt=today)
        .values("ordered_on")
        .annotate(orders=Count("id"), units=Sum("units"))
    )
    by_day = {row["ordered_on"]: (row["orders"], row["units"]) for row in rows}
    if from_first_order and by_day:
        start = min(by_day)
    span = (today - start).days
    day_list = [start + dt.timedelta(days=i) for i in range(span)]
    return DailySeries(
        days=day_list,
        orders=np.array([by_day.get(d, (0, 0))[0] for d in day_list], dtype=float),
        units=np.array([by_day.get(d, (0, 0))[1] for d in day_list], dtype=float),
    )


def forecast_total(
    merchant: Merchant, *, horizon: int = 28, today: dt.date | None = None
) -> tuple[DailySeries, list[dt.date], Forecast]:
    today = today or merchant_today(merchant)
    history = daily_orders(merchant, days=HISTORY_DAYS, today=today, from_first_order=True)
    forecast = forecast_daily(history.orders, horizon)
    future = [today + dt.timedelta(days=i) for i in range(horizon)]
    return history, future, forecast


def forecast_area(
    merchant: Merchant, *, area: str | None, horizon: int = 28, today: dt.date | None = None
) -> tuple[list[dt.date], Forecast]:
    """The next ``horizon`` days (from today) of orders in ``area``: the shop's forecast times
    the area's recent share of orders (per-ZIP series are too sparse to model alone)."""
    today = today or merchant_today(merchant)
    _history, future, total = forecast_total(merchant, horizon=horizon, today=today)
    if area is None:
        return future, total
    shares = area_shares(merchant, today=today)
    if area.endswith("xx"):
        share = sum(s for code, s in shares.items() if code.startswith(area[:3]))
    else:
        share = shares.get(area, 0.0)
    return future, split_forecast(total, share)


def area_shares(merchant: Merchant, *, today: dt.date) -> dict[str, float]:
    """Each ZIP's share of recent orders, shrunk towards its share of the past year."""
    year_start = today - dt.timedelta(days=HISTORY_DAYS)
    recent_start = today - dt.timedelta(days=SHARE_DAYS)
    rows = (
        DemandRecord.objects.for_merchant(merchant)
        .filter(ordered_on__gte=year_start, ordered_on__lt=today)
        .values("postal_code")
        .annotate(year=Count("id"), recent=Count("id", filter=Q(ordered_on__gte=recent_start)))
    )
    rows = list(rows)
    year_total = sum(r["year"] for r in rows)
    recent_total = sum(r["recent"] for r in rows)
    if not year_total:
        return {}
    return {
        r["postal_code"]: (r["recent"] + SHARE_PRIOR_ORDERS * r["year"] / year_total)
        / (recent_total + SHARE_PRIOR_ORDERS)
        for r in rows
    }


def area_outlooks(
    merchant: Merchant, *, today: dt.date | None = None, horizon: int = 7
) -> list[AreaOutlook]:
    """Per ZIP: orders expected over the next ``horizon`` days against a normal stretch (the
    last four weeks' daily mean), and the busiest day ahead. Busiest areas first."""
    today = today or merchant_today(merchant)
    _history, future, total = forecast_total(merchant, horizon=horizon, today=today)
    shares = area_shares(merchant, today=today)
    since = today - dt.timedelta(days=28)
    recent = {
        row["postal_code"]: row
        for row in DemandRecord.objects.for_merchant(merchant)
        .filter(ordered_on__lt=today, ordered_on__gte=today - dt.timedelta(days=HISTORY_DAYS))
        .values("postal_code")
        .annotate(
            orders=Count("id", filter=Q(ordered_on__gte=since)),
            latitude=Avg("latitude"),
            longitude=Avg("longitude"),
        )
    }
    outlooks = []
    for code, share in shares.items():
        mean = share * total.mean
        peak = int(np.argmax(mean)) if mean.size else 0
        normal_day = recent[code]["orders"] / 28
        outlooks.append(
            AreaOutlook(
                area=code,
                expected_week=float(mean.sum()),
                normal_week=normal_day * horizon,
                peak_day=future[peak],
                peak_expected=float(mean[peak]) if mean.size else 0.0,
                normal_day=normal_day,
                share=share,
                latitude=recent[code]["latitude"],
                longitude=recent[code]["longitude"],
            )
        )
    return sorted(outlooks, key=lambda o: (-o.expected_week, o.area))


def top_products_in_area(
    merchant: Merchant, *, postal_code: str, today: dt.date, days: int = 90, limit: int = 3
) -> list[dict]:
    """Best-selling products in one ZIP: sku, units, and units per order of the ZIP."""
    records = DemandRecord.objects.for_merchant(merchant).filter(
        postal_code=postal_code,
        ordered_on__gte=today - dt.timedelta(days=days),
        ordered_on__lt=today,
    )
    orders = records.count()
    rows = (
        records.filter(product__isnull=False)
        .values("product_id", sku=F("product__sku"))
        .annotate(units=Sum("units"))
        .order_by("-units", "sku")[:limit]
    )
    return [{**row, "units_per_order": row["units"] / orders} for row in rows if orders]


def nearest_point_with_room(
    merchant: Merchant, *, location: tuple[float, float], units: int, product_id: int | None
) -> dict | None:
    """The nearest active storage point with room for ``units`` more, and how many units of
    the product it already has available."""
    points = StoragePoint.objects.for_merchant(merchant).filter(
        is_active=True, latitude__isnull=False, longitude__isnull=False
    )
    held = dict(
        StockLevel.objects.for_merchant(merchant)
        .values("point_id")
        .annotate(on_hand=Sum("on_hand"))
        .values_list("point_id", "on_hand")
    )
    available = {}
    if product_id is not None:
        available = dict(
            StockLevel.objects.for_merchant(merchant)
            .filter(product_id=product_id)
            .annotate(free=F("on_hand") - F("reserved"))
            .values_list("point_id", "free")
        )
    ranked = sorted((distance_m(location, (p.latitude, p.longitude)), p.pk, p) for p in points)
    for metres, _pk, point in ranked:
        if point.capacity_units - held.get(point.pk, 0) >= units:
            return {"point": point, "metres": metres, "available": available.get(point.pk, 0)}
    return None


def shop_peak(forecast: Forecast, *, future: list[dt.date], history: DailySeries) -> dict | None:
    """The shop's busiest day of the next 7 against a normal day (the last 28 days' mean)."""
    if len(history.orders) < 28 or not len(forecast.mean):
        return None
    normal = float(history.orders[-28:].mean())
    week = forecast.mean[:7]
    peak = int(np.argmax(week))
    if normal <= 0:
        return None
    return {
        "day": future[peak],
        "index": peak,
        "expected": float(week[peak]),
        "upper": float(forecast.upper[peak]),
        "normal": normal,
        "rise": float(week[peak]) / normal - 1,
    }


def shop_advice(peak: dict | None, *, today: dt.date) -> dict | None:
    """Advice for the whole shop when its busiest day ahead is well above a normal day."""
    if peak is None or peak["rise"] < ADVICE_MIN_RISE:
        return None
    expected, rise = round(peak["expected"]), round(peak["rise"] * 100)
    return {
        "day": peak["day"],
        "expected": expected,
        "rise_percent": rise,
        "text": (
            f"Expect {_plural(expected, 'order')} {_day_phrase(peak['day'], today)}, {rise}% "
            f"above a normal day (up to {round(peak['upper'])}): book courier capacity and "
            "pickers for that day."
        ),
    }


def demand_advice(
    merchant: Merchant,
    *,
    outlooks: list[AreaOutlook],
    peak: dict | None,
    today: dt.date,
    limit: int = 3,
) -> list[dict]:
    """Advice for the busiest areas when the shop's busiest day ahead is well above normal:
    what they will order that day and this week, and which stock to move where.

    The rise is the shop's (the weekly pattern and trend are estimated on all orders): one
    ZIP's own "1 order, 75% above normal" would be noise.
    """
    if peak is None or peak["rise"] < ADVICE_MIN_RISE:
        return []
    rise = round(peak["rise"] * 100)
    when = _day_phrase(peak["day"], today)
    advice = []
    for outlook in [o for o in outlooks if round(o.peak_expected) >= 1][:limit]:
        expected = round(outlook.peak_expected)
        extra = max(1, round(outlook.share * (peak["expected"] - peak["normal"])))
        text = (
            f"Expect {_plural(expected, 'order')} in {outlook.area} {when}, {rise}% above a "
            f"normal day, and {round(outlook.expected_week)} this week"
        )
        item = {
            "area": outlook.area,
            "day": peak["day"],
            "expected": expected,
            "rise_percent": rise,
            "sku": None,
            "units": 0,
            "point": None,
        }
        top = top_products_in_area(merchant, postal_code=outlook.area, today=today, limit=1)
        if top:
            text += _stock_step(merchant, outlook, top[0], item)
        text += f" and book courier capacity for about {_plural(extra, 'extra delivery')}."
        item["text"] = text
        advice.append(item)
    return advice


def _stock_step(merchant: Merchant, outlook: AreaOutlook, top: dict, item: dict) -> str:
    sku = top["sku"]
    item["sku"] = sku
    needed = math.ceil(outlook.expected_week * top["units_per_order"])
    place = nearest_point_with_room(
        merchant,
        location=(outlook.latitude, outlook.longitude),
        units=needed,
        product_id=top["product_id"],
    )
    if place is None:
        return f": add a storage point with room for {sku} near {outlook.area}"
    point, km = place["point"], place["metres"] / 1000
    move = max(0, needed - place["available"])
    item.update(units=move, point=point)
    if move:
        return f": move {_plural(move, 'unit')} of {sku} to {point.name} ({km:.1f} km away)"
    return f": {point.name} ({km:.1f} km away) already holds {place['available']} units of {sku}"


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def _day_phrase(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "today"
    if day == today + dt.timedelta(days=1):
        return "tomorrow"
    return f"next {day:%A} ({day:%b} {day.day})"


def demand_overview(merchant: Merchant, *, today: dt.date | None = None, weeks: int = 12) -> dict:
    """Everything the demand page shows: the chart series, spikes, areas and advice."""
    today = today or merchant_today(merchant)
    history, future, forecast = forecast_total(merchant, horizon=28, today=today)
    shown = min(weeks * 7, len(history.days))
    lower, upper = history_band(forecast)
    spikes = flag_spikes(history.orders[-shown:], lower[-shown:], upper[-shown:]) if shown else []
    past_days = history.days[-shown:] if shown else []
    actual = history.orders[-shown:]
    outlooks = area_outlooks(merchant, today=today)
    peak = shop_peak(forecast, future=future, history=history)
    return {
        "today": today,
        "past_days": past_days,
        "actual": [int(v) for v in actual],
        "future_days": future,
        "forecast": forecast,
        "spikes": [
            {
                "index": i,
                "day": past_days[i],
                "orders": int(actual[i]),
                "upper": round(float(upper[-shown:][i])),
            }
            for i in spikes
        ],
        "outlooks": outlooks,
        "shop_advice": shop_advice(peak, today=today),
        "advice": demand_advice(merchant, outlooks=outlooks, peak=peak, today=today),
        "next_week": round(float(forecast.mean[:7].sum())),
        "last_week": int(history.orders[-7:].sum()),
    }
