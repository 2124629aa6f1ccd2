"""Benchmark API order intake (validation, address checks, routing, stock reservation).

python -m bench.orders_intake [--orders 10000] [--points 5,30] [--clients 8] [--threads 4]
                              [--port 8767] [--keep-db]

Creates a throwaway PostgreSQL database (`nearbox_bench` on the server of DATABASE_URL, default
postgres://postgres:postgres@127.0.0.1:5432), migrates it, and for each number of storage points
makes a merchant with that many points and 50 products stocked everywhere. SQL queries per order
are counted in-process on a sample (Django's test Client). Then the app is served by gunicorn
(2 workers, `--threads` threads each, 127.0.0.1) and `--clients` client threads with keep-alive
httpx clients POST the orders (secret-key auth, Idempotency-Key) over loopback: orders/s,
latency p50/p95 and the server's CPU per order (the workers' user+system time). The baseline,
measured against the same server in the same run, is the cheapest authenticated request
(GET /api/v1/merchant, one query) from the same clients; its ratio is reported because the
machine is shared. Writes bench/results/orders_intake.json and drops the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import (
    database_urls,
    drop_database,
    recreate_database,
    setup_django,
    vacuum_analyze,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "orders_intake.json"
BENCH_DB = "nearbox_bench"
PRODUCTS = 50
SAMPLE = 300  # orders whose queries are counted (in-process, before the timed run)
WARM_UP = 200  # orders posted to gunicorn before timing
BASELINE = 3000  # GET /api/v1/merchant requests timed as the ceiling


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


def count_queries(new, bodies: list[tuple[str, int]], tag: str) -> dict[int, list[int]]:
    """Queries of each order of `bodies`, posted in-process (the count needs the connection)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {new.secret_key.raw}"})
    by_lines: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for n, (body, lines) in enumerate(bodies):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/orders",
                body,
                content_type="application/json",
                headers={"Idempotency-Key": f"{tag}-sample-{n}"},
            )
        if response.status_code != 201:
            raise SystemExit(f"sample {n}: {response.status_code} {response.content[:300]!r}")
        by_lines[lines].append(len(queries.captured_queries))
    return by_lines


def start_server(port: int, threads: int) -> subprocess.Popen:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # /healthz 503 without beat

    env = dict(os.environ, DEBUG="0", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "2",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def worker_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU time of the gunicorn workers (children of the master) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_cpu_seconds() -> float | None:
    """User + system CPU time of the local PostgreSQL server's processes (None if not local)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split(") ", 1)
        except OSError:  # the process ended
            continue
        if name.endswith("(postgres"):
            parts = fields.split()
            total += (int(parts[11]) + int(parts[12])) / tick
            found = True
    return total if found else None


def load(base: str, key: str, requests: list[tuple[str, str, str | None]], clients: int) -> dict:
    """Send `requests` (method, path, body) from `clients` threads; every answer must be 2xx."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    shares = [requests[n::clients] for n in range(clients)]

    def client_thread(share: list[tuple[str, str, str | None]], n: int) -> None:
        mine = []
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            for i, (method, path, body) in enumerate(share):
                extra = {"Idempotency-Key": f"{path}-{n}-{i}-{time.time_ns()}"} if body else {}
                t0 = time.perf_counter()
                response = client.request(method, path, content=body, headers=extra)
                mine.append(time.perf_counter() - t0)
                if response.status_code >= 300:
                    with lock:
                        failures.append(f"{response.status_code} {response.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=client_thread, args=(share, n)) for n, share in enumerate(shares)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "per_second": round(len(latencies) / seconds, 1),
        "latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
    }


def run(points: int, orders: int, zips: list[str], args) -> dict:
    from django.db import connections

    from fulfillment.models import Order
    from merchant.services.stock import ledger_mismatches

    new, products = make_shop(points, zips)
    bodies = order_bodies(orders + SAMPLE + WARM_UP, products, zips, seed=points)
    by_lines = count_queries(new, bodies[:SAMPLE], tag=f"p{points}")
    sample_queries = [q for qs in by_lines.values() for q in qs]
    vacuum_analyze()  # after the shop's bulk load and the previous run, as autovacuum would
    connections.close_all()

    server = start_server(args.port, args.threads)
    try:
        base, key = f"http://127.0.0.1:{args.port}", new.secret_key.raw
        post = [("POST", "/api/v1/orders", body) for body, _ in bodies[SAMPLE:]]
        load(base, key, post[:WARM_UP], args.clients)  # both workers connected and warm
        baseline = load(base, key, [("GET", "/api/v1/merchant", None)] * BASELINE, args.clients)
        cpu_before, client_before = worker_cpu_seconds(server), time.process_time()
        postgres_before = postgres_cpu_seconds()
        intake = load(base, key, post[WARM_UP:], args.clients)
        server_cpu = worker_cpu_seconds(server) - cpu_before
        client_cpu = time.process_time() - client_before
        postgres_after = postgres_cpu_seconds()
    finally:
        server.terminate()
        server.wait(timeout=30)
    merchant = new.merchant
    return {
        "points": points,
        "products": PRODUCTS,
        "orders": orders,
        "seconds": intake["seconds"],
        "orders_per_second": intake["per_second"],
        "latency_ms_p50": intake["latency_ms_p50"],
        "latency_ms_p95": intake["latency_ms_p95"],
        "server_cpu_ms_per_order": round(server_cpu / orders * 1000, 2),
        "client_cpu_ms_per_order": round(client_cpu / orders * 1000, 2),
        "postgres_cpu_ms_per_order": (
            round((postgres_after - postgres_before) / orders * 1000, 2)
            if postgres_before is not None and postgres_after is not None
            else None
        ),
        "baseline_get_merchant_per_second": baseline["per_second"],
        "baseline_latency_ms_p50": baseline["latency_ms_p50"],
        "relative_to_baseline": round(intake["per_second"] / baseline["per_second"], 3),
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
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--keep-db", action="store_true", help="do not drop nearbox_bench")
    args = parser.parse_args()

    bench_url, admin_url = database_urls(BENCH_DB)
    recreate_database(admin_url, BENCH_DB)
    try:
        setup_django(bench_url, DEBUG="0")
        zips = chicago_zips()
        runs = []
        for points in (int(p) for p in args.points.split(",")):
            result = run(points, args.orders, zips, args)
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
            "server": f"gunicorn, 2 workers x {args.threads} threads (gthread), 127.0.0.1",
            "client": f"{args.clients} threads with keep-alive httpx clients over loopback",
            "host_load_note": "shared 2-CPU host: other helpers' tests and benchmarks ran "
            "at the same time; compare with the baseline measured in the same run",
            "runs": runs,
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
