"""A realistic past order history for a consumer shop in Chicago, IL, without a database.

Real Chicago ZIP codes (the `zipcodes` package), denser downtown and on the North Side;
weekly seasonality (weekends busy, Tuesday quiet), a gentle upward trend, mild day-to-day
over-dispersion, and one three-day sale about four weeks ago at about three times normal.
The demo seeder writes it to the database; the benchmark forecasts it in memory.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import zipcodes

# Monday first, as date.weekday() counts.
WEEKDAY_FACTORS = (0.95, 0.8, 0.9, 1.0, 1.1, 1.4, 1.25)
DOWNTOWN = (41.8837, -87.6289)  # the Loop
SPIKE_DAYS_AGO = (31, 30, 29)  # the sale: ~4 weeks before today, just before a 4-week holdout
SPIKE_FACTOR = 3.0
TREND_PER_YEAR = 0.25  # +25 % over a year


@dataclass(frozen=True)
class Area:
    postal_code: str
    latitude: float
    longitude: float
    weight: float


@dataclass(frozen=True)
class SimulatedOrder:
    ordered_on: dt.date
    postal_code: str
    latitude: float
    longitude: float
    product_index: int
    units: int


@lru_cache(maxsize=1)
def chicago_areas() -> tuple[Area, ...]:
    """Active standard Chicago ZIPs with a popularity weight: high near the Loop and on the
    North Side (dense, young, online-shopping neighbourhoods), lower far south and west."""
    areas = []
    for row in zipcodes.filter_by(city="Chicago", state="IL"):
        if not row["active"] or row["zip_code_type"] != "STANDARD":
            continue
        if not row["lat"] or not row["long"]:
            continue
        lat, lon = float(row["lat"]), float(row["long"])
        km = _km(DOWNTOWN, (lat, lon))
        weight = math.exp(-km / 9.0)
        if lat > DOWNTOWN[0]:
            weight *= 1.8  # North Side
        areas.append(Area(row["zip_code"], lat, lon, weight))
    total = sum(a.weight for a in areas)
    return tuple(Area(a.postal_code, a.latitude, a.longitude, a.weight / total) for a in areas)


def daily_rates(*, days: int, orders: int, today: dt.date) -> tuple[list[dt.date], np.ndarray]:
    """Expected orders for each of the ``days`` days before ``today`` (oldest first), scaled
    so that they add up to ``orders``."""
    dates = [today - dt.timedelta(days=days - i) for i in range(days)]
    shape = np.array(
        [
            WEEKDAY_FACTORS[d.weekday()]
            * (1 + TREND_PER_YEAR * i / 365)
            * (SPIKE_FACTOR if (today - d).days in SPIKE_DAYS_AGO else 1.0)
            for i, d in enumerate(dates)
        ]
    )
    return dates, shape * orders / shape.sum()


def simulate_daily_counts(
    *, days: int = 365, orders: int = 4000, seed: int = 7, today: dt.date
) -> tuple[list[dt.date], np.ndarray]:
    """Orders per day (oldest first), over-dispersed Poisson around :func:`daily_rates`."""
    dates, rates = daily_rates(days=days, orders=orders, today=today)
    rng = np.random.default_rng(seed)
    # Gamma-Poisson: some days are just busier (weather, a post that went viral).
    busy = rng.gamma(shape=20.0, scale=1 / 20.0, size=rates.size)
    return dates, rng.poisson(rates * busy)


def simulate_orders(
    *,
    days: int = 365,
    orders: int = 4000,
    seed: int = 7,
    today: dt.date,
    product_count: int = 1,
) -> list[SimulatedOrder]:
    """Every order of the history: a day, a ZIP, a product (skewed: a few best sellers) and
    units (mostly one)."""
    if product_count < 1:
        raise ValueError("product_count must be at least 1")
    dates, counts = simulate_daily_counts(days=days, orders=orders, seed=seed, today=today)
    rng = np.random.default_rng(seed + 1)
    areas = chicago_areas()
    area_weights = np.array([a.weight for a in areas])
    product_weights = 1 / np.arange(1, product_count + 1) ** 1.1  # Zipf-like
    product_weights /= product_weights.sum()
    total = int(counts.sum())
    area_pick = rng.choice(len(areas), size=total, p=area_weights)
    product_pick = rng.choice(product_count, size=total, p=product_weights)
    units = rng.choice((1, 2, 3), size=total, p=(0.75, 0.18, 0.07))
    result = []
    k = 0
    for day, count in zip(dates, counts, strict=True):
        for _ in range(int(count)):
            area = areas[area_pick[k]]
            result.append(
                SimulatedOrder(
                    ordered_on=day,
                    postal_code=area.postal_code,
                    latitude=area.latitude,
                    longitude=area.longitude,
                    product_index=int(product_pick[k]),
                    units=int(units[k]),
                )
            )
            k += 1
    return result


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    # Equirectangular is plenty for weights within one city.
    lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(lat)
    dy = math.radians(b[0] - a[0])
    return 6371 * math.hypot(dx, dy)
