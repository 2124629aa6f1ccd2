"""Benchmark the order list and order detail pages at many orders for one merchant.

python -m bench.order_pages [--orders 100000] [--repeat 30] [--keep-db] [--reuse-db]
                            [--only todays_work,list_last_page]

Creates a throwaway PostgreSQL database (`nearbox_bench_pages` on the server of DATABASE_URL,
default postgres://postgres:postgres@127.0.0.1:5432), migrates it, bulk-inserts the orders of
one merchant directly (lines, allocations, events: a read benchmark, so routing is skipped),
then requests the pages through Django's test Client signed in as the owner, and reports the
p50/p95 server time and the SQL query count of each. Writes bench/results/order_pages.json
and drops the database. `--reuse-db` measures a database kept by an earlier `--keep-db` run
(skips the minutes of populating) and `--only` some pages, for iterating on one page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import time
from pathlib import Path
from types import SimpleNamespace

from bench.common import database_urls, drop_database, recreate_database, setup_django
from bench.orders_intake import chicago_zips

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "order_pages.json"
BENCH_DB = "nearbox_bench_pages"
POINTS, PRODUCTS, BATCH = 5, 50, 5_000


def populate(orders: int, zips: list[str]):
    from django.utils import timezone

    from fulfillment.models import Allocation, Order, OrderEvent, OrderLine
    from merchant.models import Product, StoragePoint
    from merchant.services.merchants import create_merchant

    new = create_merchant(
        name="Bench pages shop",
        owner_email=f"pages-{time.monotonic_ns()}@example.com",
        owner_password=None,
        time_zone="America/Chicago",
        issue_keys=False,
    )
    merchant = new.merchant
    points = [
        StoragePoint.objects.create(
            merchant=merchant,
            name=f"Point {n + 1}",
            address_line="1 Bench St",
            city="Chicago",
            state="IL",
            postal_code=zips[n],
            latitude=41.88 + n / 100,
            longitude=-87.63,
        )
        for n in range(POINTS)
    ]
    products = Product.objects.bulk_create(
        [
            Product(
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
    )
    rng = random.Random(7)
    statuses = ["allocated"] * 3 + ["picked", "packed", "handed_over"] + ["delivered"] * 6
    statuses += ["cancelled"]
    now = timezone.now()
    problem = [{"code": "postal_code_city_mismatch", "field": "destination.city", "message": "x"}]
    for start in range(0, orders, BATCH):
        batch = []
        for n in range(start, min(orders, start + BATCH)):
            zip_code = rng.choice(zips)
            bad = rng.random() < 0.02
            batch.append(
                Order(
                    merchant=merchant,
                    reference=f"WEB-{n:07d}",
                    source="api",
                    shopper_name=f"Shopper {n}",
                    shopper_email=f"s{n}@example.com",
                    shopper_phone="3125550100",
                    line1=f"{n % 9000 + 1} N Clark St",
                    city="Chicago",
                    state="IL",
                    postal_code=zip_code,
                    normalized_postal_code=zip_code,
                    normalized_city="CHICAGO",
                    normalized_state="IL",
                    normalized_address=f"{n % 9000 + 1} N CLARK ST, CHICAGO, IL {zip_code}, US",
                    latitude=41.9,
                    longitude=-87.65,
                    status=rng.choice(statuses),
                    address_status="problem" if bad else "ok",
                    address_problems=problem if bad else [],
                    value=rng.randint(1000, 20000),
                    created_at=now - dt.timedelta(minutes=(orders - n) * 3),
                    routing={"rule": "nearest point holding every line", "considered": []},
                )
            )
        made = Order.objects.bulk_create(batch)
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    merchant=merchant,
                    order=o,
                    product=p,
                    quantity=rng.randint(1, 3),
                    unit_value=p.value,
                )
                for o in made
                for p in rng.sample(products, rng.choice([1, 1, 2, 3]))
            ]
        )
        Allocation.objects.bulk_create(
            [
                Allocation(
                    merchant=merchant,
                    order=line.order,
                    line=line,
                    point=points[line.order_id % POINTS],
                    quantity=line.quantity,
                    state="released" if line.order.status == "cancelled" else "reserved",
                    distance_m=1500,
                    rank=1,
                    why="Nearest point holding all lines: 1.5 km",
                )
                for line in lines
            ]
        )
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(merchant=merchant, order=o, from_status=a, to_status=b, at=o.created_at)
                for o in made
                for a, b in (("", "received"), ("received", "allocated"))
            ]
        )
        print(f"  {min(orders, start + BATCH)} orders", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return new, points


def measure(client, url: str, repeat: int) -> dict:
    from django.db import connections

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    client.get(url)  # warm-up
    with connections["default"].execute_wrapper(count):
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "url": url,
        "queries": len(executed),
        "ms_p50": round(times[len(times) // 2], 1),
        "ms_p95": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep-db", action="store_true", help=f"do not drop {BENCH_DB}")
    parser.add_argument("--reuse-db", action="store_true", help="measure a kept database")
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args()
    args.keep_db = args.keep_db or args.reuse_db

    bench_url, admin_url = database_urls(BENCH_DB)
    if not args.reuse_db:
        recreate_database(admin_url, BENCH_DB)
    try:
        setup_django(bench_url, DEBUG="0")
        from django.test import Client

        from fulfillment.models import Order

        zips = chicago_zips()
        if args.reuse_db:
            from merchant.models import Merchant, StoragePoint

            merchant = Merchant.objects.get(name="Bench pages shop")
            new = SimpleNamespace(merchant=merchant, owner=merchant.memberships.get().user)
            points = list(StoragePoint.objects.for_merchant(merchant).order_by("pk"))
            args.orders = Order.objects.for_merchant(merchant).count()
        else:
            started = time.perf_counter()
            new, points = populate(args.orders, zips)
            print(f"populated in {time.perf_counter() - started:.0f} s", flush=True)
        client = Client()
        client.force_login(new.owner)
        merchant = new.merchant
        today = dt.date.today()
        last_page = (args.orders + 49) // 50
        orders = list(
            Order.objects.for_merchant(merchant).order_by("?").values_list("pk", flat=True)[:5]
        )
        pages = {
            "list_first_page": "/app/orders/",
            "list_page_10": "/app/orders/?page=10",
            "list_last_page": f"/app/orders/?page={last_page}",
            "filter_status": "/app/orders/?status=allocated",
            "filter_point": f"/app/orders/?point={points[2].pk}",
            "filter_status_and_point": f"/app/orders/?status=picked&point={points[1].pk}",
            "filter_address_problem": "/app/orders/?address=problem",
            "filter_dates": f"/app/orders/?created_from={today - dt.timedelta(days=30)}"
            f"&created_to={today}",
            "search_reference": "/app/orders/?q=WEB-00123",
            "search_email": "/app/orders/?q=s4242@example.com",
            "search_zip": "/app/orders/?q=60614",
            "exceptions": "/app/orders/exceptions/",
            "todays_work": "/app/orders/today/",
        }
        for n, pk in enumerate(orders):
            pages[f"detail_{n + 1}"] = f"/app/orders/{pk}/"
        only = [name for name in args.only.split(",") if name]
        results = {
            name: measure(client, url, args.repeat)
            for name, url in pages.items()
            if not only or name in only
        }
        if only:  # a partial run does not replace the report
            for name, result in results.items():
                print(name, result, flush=True)
            return
        for name, result in results.items():
            print(
                f"{name:28} {result['queries']:3} queries  p50 {result['ms_p50']:7.1f} ms  "
                f"p95 {result['ms_p95']:7.1f} ms",
                flush=True,
            )
        from django.db import connections

        connections.close_all()
        report = {
            "benchmark": "order_pages",
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count()},
            "orders": args.orders,
            "repeat": args.repeat,
            "goal": {"queries_max": 20},
            "max_queries": max(r["queries"] for r in results.values()),
            "max_ms_p95": max(r["ms_p95"] for r in results.values()),
            "pages": results,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(admin_url, BENCH_DB)


if __name__ == "__main__":
    main()
