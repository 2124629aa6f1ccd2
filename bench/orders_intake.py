"""Benchmark API order intake (validation, address checks, routing, stock reservation).

python -m bench.orders_intake [--orders 10000] [--points 5,30] [--keep-db]

Creates a throwaway PostgreSQL database (`nearbox_bench` on the server of DATABASE_URL, default
postgres://postgres:postgres@127.0.0.1:5432), migrates it, and for each number of storage points
makes a merchant with that many points and 50 products stocked everywhere, then POSTs the orders
through the real API in-process (Django's test Client, secret-key auth, Idempotency-Key) and
reports orders/s, the Python CPU time per order, SQL queries per order (counted on a sample) and,
as a ceiling measured in the same run, the rate of bare GET /api/v1/merchant requests. Writes
bench/results/orders_intake.json and drops the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "orders_intake.json"
BENCH_DB = "nearbox_bench"
PRODUCTS = 50
SAMPLE = 300  # orders whose queries are counted
BASELINE_REQUESTS = 500  # GET /api/v1/merchant requests timed as the ceiling


def database_urls() -> tuple[str, str]:
    """(URL of the bench database, URL of the server's maintenance database)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/nearbox")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/orders_intake.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    return (
        urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
        urlunsplit(parts._replace(path="/postgres")),
    )


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def setup_django(bench_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def chicago_zips() -> list[str]:
    import zipcodes

    return sorted(
        z["zip_code"]
        for z in zipcodes.filter_by(city="Chicago", state="IL")
        if z["zip_code_type"] == "STANDARD" and z["active"]
    )


def make_shop(points: int, zips: list[str]):
    from merchant.models import Product, StoragePoint
    from merchant.services.merchants import create_merchant
    from merchant.services.stock import receive_stock

    new = create_merchant(
        name=f"Bench shop {points} points",
        owner_email=f"bench-{points}-{time.monotonic_ns()}@example.com",
        owner_password=None,
        time_zone="America/Chicago",
        issue_keys=True,
    )
    merchant = new.merchant
    rng = random.Random(points)
    from merchant.services.geocoding import geocode

    point_rows = []
    for n in range(points):
        found = geocode(postal_code=zips[n % len(zips)])
        point_rows.append(
            StoragePoint.objects.create(
                merchant=merchant,
                name=f"Point {n + 1}",
                address_line=f"{n + 1} Bench St",
                city="Chicago",
                state="IL",
                postal_code=found.postal_code,
                latitude=found.latitude + rng.uniform(-0.005, 0.005),
                longitude=found.longitude + rng.uniform(-0.005, 0.005),
                same_day_cutoff=dt.time(23, 59),
            )
        )
    products = [
        Product.objects.create(
            merchant=merchant,
            sku=f"SKU-{n:03d}",
            name=f"Product {n}",
            weight_g=500,
            length_mm=200,
            width_mm=150,
            height_mm=100,
            value=1000 + n * 10,
        )
        for n in range(PRODUCTS)
    ]
    for point in point_rows:
        for product in products:
            receive_stock(merchant=merchant, product=product, point=point, quantity=100_000)
    return new, products


def order_bodies(count: int, products, zips: list[str], seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    bodies = []
    for n in range(count):
        lines = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
        chosen = rng.sample(products, lines)
        body = {
            "reference": f"B{seed}-{n}",
            "shopper": {
                "name": f"Shopper {n}",
                "email": f"s{n}@example.com",
                "phone": "3125550100",
            },
            "destination": {
                "line1": f"{rng.randint(1, 9999)} N Clark St",
                "city": "Chicago",
                "state": "IL",
                "postal_code": rng.choice(zips),
            },
            "delivery": {"service_level": rng.choice(["same_day", "next_day", "next_day"])},
            "lines": [{"sku": p.sku, "quantity": rng.randint(1, 2)} for p in chosen],
        }
        bodies.append((json.dumps(body), lines))
    return bodies


def run(points: int, orders: int, zips: list[str]) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fulfillment.models import Order
    from merchant.services.stock import ledger_mismatches

    new, products = make_shop(points, zips)
    client = Client(headers={"Authorization": f"Bearer {new.secret_key.raw}"})
    bodies = order_bodies(orders + SAMPLE, products, zips, seed=points)

    def post(n: int, body: str) -> None:
        response = client.post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": f"bench-{points}-{n}"},
        )
        if response.status_code != 201:
            raise SystemExit(f"order {n}: {response.status_code} {response.content[:300]!r}")

    # Warm-up and query count on a sample (not timed: the debug cursor slows it down).
    by_lines: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for n, (body, lines) in enumerate(bodies[:SAMPLE]):
        with CaptureQueriesContext(connection) as queries:
            post(n, body)
        by_lines[lines].append(len(queries.captured_queries))
    sample_queries = [q for qs in by_lines.values() for q in qs]

    # Ceiling measured in the same process and moment: the cheapest authenticated API request
    # (one query), so a noisy machine shows in both figures.
    baseline_started = time.perf_counter()
    for _ in range(BASELINE_REQUESTS):
        client.get("/api/v1/merchant")
    baseline_rate = BASELINE_REQUESTS / (time.perf_counter() - baseline_started)

    started = time.perf_counter()
    cpu_started = time.process_time()
    latencies = []
    for n, (body, _) in enumerate(bodies[SAMPLE:], start=SAMPLE):
        t0 = time.perf_counter()
        post(n, body)
        latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    latencies.sort()
    merchant = new.merchant
    return {
        "points": points,
        "products": PRODUCTS,
        "orders": orders,
        "seconds": round(seconds, 2),
        "orders_per_second": round(orders / seconds, 1),
        "baseline_get_merchant_per_second": round(baseline_rate, 1),
        "relative_to_baseline": round(orders / seconds / baseline_rate, 3),
        "python_cpu_ms_per_order": round(cpu_seconds / orders * 1000, 2),
        "latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "queries_per_order_mean": round(statistics.mean(sample_queries), 2),
        "queries_per_order_max": max(sample_queries),
        "queries_by_lines": {
            f"{k}_line{'s' if k > 1 else ''}": {
                "orders": len(v),
                "mean": round(statistics.mean(v), 2),
                "max": max(v),
            }
            for k, v in by_lines.items()
            if v
        },
        "orders_in_db": Order.objects.for_merchant(merchant).count(),
        "ledger_mismatches": len(ledger_mismatches(merchant)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--points", default="5,30", help="comma-separated point counts")
    parser.add_argument("--keep-db", action="store_true", help="do not drop nearbox_bench")
    args = parser.parse_args()

    bench_url, admin_url = database_urls()
    admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin(admin_url, f"CREATE DATABASE {BENCH_DB}")
    try:
        setup_django(bench_url)
        zips = chicago_zips()
        runs = []
        for points in (int(p) for p in args.points.split(",")):
            result = run(points, args.orders, zips)
            print(json.dumps(result), flush=True)
            runs.append(result)
        from django.conf import settings
        from django.db import connections

        connections.close_all()
        report = {
            "benchmark": "orders_intake",
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count()},
            "geocoder": settings.NEARBOX_GEOCODER,
            "goal": {"orders_per_second": 200, "queries_per_order_max": 15},
            "runs": runs,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
