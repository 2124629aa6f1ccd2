"""Benchmark rate shopping: quotes for one order across 10 couriers × 3 services.

python -m bench.rate_shopping [--runs 500] [--keep-db]

Half the couriers have a GeoJSON polygon area (a 256-vertex ring around Chicago), half a
ZIP-code list (60 codes). Measures, in process and in the same run:
- `shop` on a preloaded RateBook (prepared geometries cached per process): the path pages use;
- `rate_book` + `shop`: preloading included (five queries);
- a naive version: a query per service for its account and areas, the geometry parsed and
  tested unprepared on every call.
Uses a throwaway PostgreSQL database `nearbox_bench_rates` (server of DATABASE_URL) and writes
bench/results/rate_shopping.json. Target: p95 of `shop` ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import statistics
import time
from pathlib import Path

from bench.common import database_urls, drop_database, recreate_database, setup_django

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "rate_shopping.json"
BENCH_DB = "nearbox_bench_rates"
TARGET_P95_MS = 5.0


def ring(lat: float, lon: float, km: float, vertices: int = 256) -> dict:
    coords = []
    for i in range(vertices):
        a = 2 * math.pi * i / vertices
        r = km * (1 + 0.15 * math.sin(7 * a))  # not a circle: a wobbly ring
        coords.append(
            [
                lon + r / (111.32 * math.cos(math.radians(lat))) * math.cos(a),
                lat + r / 110.57 * math.sin(a),
            ]
        )
    coords.append(coords[0])
    return {"type": "Polygon", "coordinates": [coords]}


def make_shop():
    import zipcodes

    from fulfillment.couriers.services.accounts import create_account, create_area, create_service
    from fulfillment.orders.services.orders import create_order
    from merchant.models import Product, StoragePoint
    from merchant.services.merchants import create_merchant
    from merchant.services.stock import receive_stock

    new = create_merchant(
        name="Rate bench", owner_email=f"rates-{time.time_ns()}@example.com",
        owner_password="bench-password-123", issue_keys=False,
    )  # fmt: skip
    merchant = new.merchant
    point = StoragePoint.objects.create(
        merchant=merchant, name="Hub", address_line="1 W Fulton", city="Chicago", state="IL",
        postal_code="60607", latitude=41.8866, longitude=-87.6527,
    )  # fmt: skip
    product = Product.objects.create(
        merchant=merchant, sku="BOX", name="Box", weight_g=1200, length_mm=300, width_mm=200,
        height_mm=150, value=2500,
    )  # fmt: skip
    receive_stock(merchant=merchant, product=product, point=point, quantity=10)
    zips = sorted(
        z["zip_code"] for z in zipcodes.filter_by(state="IL") if z["zip_code"].startswith("606")
    )[:60]
    for n in range(10):
        account = create_account(merchant=merchant, courier="manual", name=f"Courier {n}")
        for level, hours in (("same_day", 6), ("next_day", 24), ("economy", 72)):
            create_service(
                account=account, level=level, code=f"{level}-{n}", name=level, transit_hours=hours,
                pickup_cutoff=dt.time(23, 59), base_minor=400 + 17 * n, per_km_minor=5 + n,
                per_kg_minor=40, fuel_pct=8, minimum_minor=300, max_weight_g=30000,
                size_surcharges=[{"over_g": 5000, "surcharge": 250}],
            )  # fmt: skip
        if n % 2:
            create_area(account=account, kind="zip", zip_codes=" ".join(zips))
        else:
            create_area(account=account, kind="polygon", polygon=ring(41.88, -87.65, 25 + n))
    order, _ = create_order(
        merchant=merchant,
        data={
            "reference": "BENCH-1",
            "shopper": {"name": "Ada"},
            "destination": {
                "line1": "2001 N Clark St",
                "city": "Chicago",
                "state": "IL",
                "postal_code": "60614",
                "country": "US",
            },
            "delivery": {"kind": "home", "service_level": "next_day"},
            "lines": [{"sku": "BOX", "quantity": 2}],
        },
    )
    return merchant, order


def naive_shop(merchant, order, now):
    """What it costs without preloading or prepared geometry: a query per service."""
    from shapely import Point
    from shapely.geometry import shape

    from fulfillment.couriers.selectors import rate_input_for_order
    from fulfillment.couriers.services.rates import (
        ServiceEntry,
        build_options,
        choose,
        haversine_m,
    )
    from fulfillment.models import CourierAccount, CourierService, ServiceArea

    inp = rate_input_for_order(order)
    entries = []
    for service in CourierService.objects.filter(merchant=merchant, is_active=True):
        account = CourierAccount.objects.get(pk=service.account_id)
        covered = False
        for area in ServiceArea.objects.filter(account=account):
            if area.kind == "zip":
                covered |= inp.zip_code in area.zip_codes
            elif area.kind == "polygon":
                covered |= shape(area.polygon).contains(Point(inp.longitude, inp.latitude))
            else:
                metres = haversine_m(
                    area.center_latitude, area.center_longitude, inp.latitude, inp.longitude
                )
                covered |= metres <= area.radius_km * 1000
        entries.append(ServiceEntry.from_models(account, service, (_Always(covered),)))
    from fulfillment.couriers.services.rates import RateBook

    book = RateBook(merchant.pk, merchant.time_zone, merchant.currency, tuple(entries))
    options = build_options(book, inp, now)
    return choose(book, options, inp)


class _Always:
    def __init__(self, value: bool) -> None:
        self.value = value

    def covers(self, *args) -> bool:
        return self.value


def timed(fn, runs: int) -> dict:
    for _ in range(min(20, runs)):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "runs": runs,
        "mean_ms": round(statistics.fmean(samples), 3),
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p95_ms": round(samples[math.ceil(0.95 * len(samples)) - 1], 3),
        "max_ms": round(samples[-1], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    bench_url, maintenance_url = database_urls(BENCH_DB)
    recreate_database(maintenance_url, BENCH_DB)
    try:
        setup_django(bench_url)
        from django.utils import timezone

        from fulfillment.couriers.selectors import rate_book, rate_input_for_order
        from fulfillment.couriers.services.rates import shop

        merchant, order = make_shop()
        now = timezone.now().replace(hour=14, minute=0)
        book = rate_book(merchant)
        inp = rate_input_for_order(order)
        result = shop(book, inp, now)
        naive_choice, _ = naive_shop(merchant, order, now)
        assert naive_choice.option_id == result.chosen.option_id, "naive and fast disagree"
        figures = {
            "shop_preloaded": timed(lambda: shop(book, inp, now), args.runs),
            "rate_book_plus_shop": timed(
                lambda: shop(rate_book(merchant), inp, now), args.runs // 5
            ),
            "naive_query_per_service": timed(
                lambda: naive_shop(merchant, order, now), args.runs // 5
            ),
        }
        report = {
            "benchmark": "rate_shopping",
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "couriers": 10,
            "services": len(book.services),
            "eligible": len(result.eligible),
            "areas": "5 polygons (256-vertex rings), 5 ZIP lists (60 codes)",
            "target_p95_ms": TARGET_P95_MS,
            "meets_target": figures["shop_preloaded"]["p95_ms"] <= TARGET_P95_MS,
            **figures,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
        return 0 if report["meets_target"] else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            drop_database(maintenance_url, BENCH_DB)


if __name__ == "__main__":
    raise SystemExit(main())
