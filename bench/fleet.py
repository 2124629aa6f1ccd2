"""Own fleet at one hub (#16): plan 400 stops on 15 drivers with 2-hour windows, insert new
orders into the running routes, recompute a 30-stop route's ETAs on a position, and carry 200
drivers posting a position every 10 s.

python -m bench.fleet [--stops 400] [--drivers 15] [--plan-seconds 20] [--inserts 20]
                      [--positions 300] [--load-drivers 200] [--load-seconds 60] [--port 8783]

Sets up a throwaway PostgreSQL database `nearbox_bench_fleet` on the server of DATABASE_URL:
one merchant, a hub in the Loop with its own-fleet service (saved through the service page's
service, so its courier account is the real own_fleet one), `--stops` orders booked on it at
random places within 10 km, each promised one of four 2-hour windows (10-12 … 16-18), and
`--drivers` shifts 09:00-20:00 (cars, vans and cargo bikes, 40 parcels each).

1. Plan: "Plan wave" as the page starts it (start_plan) and the job's body (run_plan: gather,
   solve with --plan-seconds, store), timed from the click to the stored routes. Goal ≤ 30 s.
2. Insert: the plan is dispatched, every route started at 10:00 with its first third done;
   `--inserts` new same-day orders are inserted one by one at 11:00 (insert_order: the
   cheapest feasible place after the done stops). Goal ≤ 1 s each.
3. Position: the phone's service (record_position: the route's newest position and the ETAs
   of its 30 remaining stops recomputed and stored), `--positions` times, in process (server
   time). Goal p95 ≤ 20 ms.
4. Load: `--load-drivers` drivers, each on a started 30-stop route, post a position every 10 s
   to POST /driver/positions (their signed-in session, CSRF token) on gunicorn (3 gthread
   workers of 4 threads), for `--load-seconds`; latency as the client sees it. Goal p95 ≤ 50 ms.
Writes bench/results/fleet.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import platform
import random
import secrets
import subprocess
import sys
import threading
import time
import zoneinfo
from pathlib import Path

from bench.common import database_urls, drop_database, recreate_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "fleet.json"
BENCH_DB = "nearbox_bench_fleet"
BENCH_REDIS = "redis://127.0.0.1:6379/11"
TZ = zoneinfo.ZoneInfo("America/Chicago")
HUB = (41.8837, -87.6289)
SLOTS = (10, 12, 14, 16)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def random_place(rng: random.Random, km: float = 10.0) -> tuple[float, float]:
    r = km * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    return (
        HUB[0] + r / 111.2 * math.sin(a),
        HUB[1] + r / (111.2 * math.cos(math.radians(HUB[0]))) * math.cos(a),
    )


def book(merchant, service, day: dt.date, rng: random.Random, count: int, prefix: str) -> list:
    """`count` orders booked on the own-fleet service, each promised a 2-hour window."""
    from fulfillment.models import Order, Shipment

    orders = []
    for i in range(count):
        lat, lon = random_place(rng)
        slot = rng.choice(SLOTS)
        orders.append(
            Order(
                merchant=merchant, reference=f"{prefix}-{i:04d}", source=Order.Source.API,
                shopper_name=f"Bench Shopper {i}", shopper_phone="+13125550100",
                line1=f"{100 + i} N Bench St", postal_code="60601", normalized_postal_code="60601",
                city="Chicago", state="IL", latitude=lat, longitude=lon,
                coordinates_source="shop", status=Order.Status.PACKED,
                promised_from=at(day, slot), promised_until=at(day, slot + 2),
            )
        )  # fmt: skip
    orders = Order.objects.bulk_create(orders, batch_size=500)
    courier = service.courier_service
    Shipment.objects.bulk_create(
        [
            Shipment(
                merchant=merchant,
                order=o,
                account=courier.account,
                service=courier,
                tracking_number=f"NBXB{prefix}{o.pk:06d}",
                idempotency_key=f"bench-{prefix}-{o.pk}",
                price_minor=500,
                currency="USD",
                status="info_received",
                promised_from=o.promised_from,
                promised_until=o.promised_until,
            )
            for o in orders
        ],
        batch_size=500,
    )
    return orders


def populate(stops: int, drivers: int, day: dt.date):
    from fulfillment.fleet.services.setup import save_fleet_service
    from fulfillment.models import Driver, Shift, Vehicle
    from merchant.models import Merchant, StoragePoint

    merchant = Merchant.objects.create(
        name="Bench Fleet", slug="bench-fleet", time_zone="America/Chicago"
    )
    hub = StoragePoint.objects.create(
        merchant=merchant, name="Loop hub", address_line="1 Bench St", city="Chicago",
        state="IL", postal_code="60601", latitude=HUB[0], longitude=HUB[1],
    )  # fmt: skip
    service = save_fleet_service(
        merchant=merchant, hub=hub, name="Own drivers", area_kind="radius", radius_km=15.0,
        per_hour_minor=2200, per_km_minor=40, per_stop_minor=150, service_seconds=180,
        cutoff=dt.time(18), waves=["09:00", "19:00"], window_minutes=120,
    )  # fmt: skip
    kinds = ("car", "van", "cargo_bike")
    for i in range(drivers):
        driver = Driver.objects.create(merchant=merchant, name=f"Driver {i:02d}")
        vehicle = Vehicle.objects.create(
            merchant=merchant, name=f"Vehicle {i:02d}", kind=kinds[i % 3],
            capacity_parcels=40, capacity_g=400_000, capacity_ml=3_000_000,
        )  # fmt: skip
        Shift.objects.create(
            merchant=merchant, driver=driver, vehicle=vehicle, date=day,
            starts_at=dt.time(9), ends_at=dt.time(20), start_point=hub, end_point=hub,
        )  # fmt: skip
    orders = book(merchant, service, day, random.Random(7), stops, "B")
    return merchant, hub, service, orders


def bench_plan(merchant, hub, day: dt.date, seconds: float) -> tuple[dict, object]:
    from fulfillment.fleet.plans.services import planning

    began = time.perf_counter()
    plan = planning.start_plan(merchant=merchant, date=day, wave=None, hubs=[hub])
    plan = planning.run_plan(plan_id=plan.pk, time_limit_s=seconds)
    elapsed = time.perf_counter() - began
    s = plan.summary
    return {
        "seconds": round(elapsed, 2),
        "solver_time_limit_s": seconds,
        "stops_planned": s.get("stops"),
        "unassigned": s.get("unassigned"),
        "routes": s.get("routes"),
        "km": round(s.get("distance_m", 0) / 1000, 1),
        "hours": round(s.get("duration_s", 0) / 3600, 1),
        "goal_s": 30,
    }, plan


def start_routes(plan, day: dt.date) -> None:
    from fulfillment.fleet.plans.services import editing
    from fulfillment.models import Route, RouteStop

    editing.dispatch_plan(plan=plan)
    for route in plan.routes.all():
        stops = list(route.stops.order_by("sequence"))
        done = stops[: len(stops) // 3]
        RouteStop.objects.filter(pk__in=[s.pk for s in done]).update(
            state=RouteStop.State.DELIVERED, done_at=at(day, 11)
        )
        here = done[-1] if done else None
        Route.objects.filter(pk=route.pk).update(
            state=Route.State.STARTED, started_at=at(day, 10),
            latitude=here.latitude if here else HUB[0],
            longitude=here.longitude if here else HUB[1], position_at=at(day, 11),
        )  # fmt: skip


def bench_insert(merchant, service, day: dt.date, count: int) -> dict:
    from django.core.exceptions import ValidationError

    from fulfillment.fleet.dispatch.services import insert_order

    orders = book(merchant, service, day, random.Random(11), count, "N")
    times, refused = [], []
    for order in orders:
        began = time.perf_counter()
        try:
            insert_order(order=order, now=at(day, 11))
        except ValidationError as error:
            refused.append(" ".join(error.messages)[:120])
        times.append(time.perf_counter() - began)
    return {
        "orders": count,
        "inserted": count - len(refused),
        "refused": refused[:5],
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "goal_ms": 1000,
    }


def thirty_stop_route(plan):
    """The longest route, its stops made pending again, cut or filled to 30 stops."""
    from fulfillment.models import Route, RouteStop

    route = max(plan.routes.all(), key=lambda r: r.stops.count())
    stops = list(route.stops.order_by("sequence"))
    RouteStop.objects.filter(route=route).update(state=RouteStop.State.PENDING, done_at=None)
    if len(stops) > 30:
        RouteStop.objects.filter(pk__in=[s.pk for s in stops[30:]]).delete()
    Route.objects.filter(pk=route.pk).update(position_at=None)
    route.refresh_from_db()
    return route, min(30, len(stops))


def bench_position(route, count: int) -> dict:
    from django.utils import timezone

    from fulfillment.fleet.live import services as live

    times = []
    rng = random.Random(3)
    for _ in range(count):
        lat, lon = random_place(rng, 3)
        began = time.perf_counter()
        live.record_position(
            driver=route.driver, route=route, latitude=lat, longitude=lon,
            recorded_at=timezone.now(),
        )  # fmt: skip
        times.append(time.perf_counter() - began)
    return {
        "stops": route.stops.filter(state="pending").count(),
        "positions": count,
        "p50_ms": round(percentile(times, 0.5) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "goal_p95_ms": 20,
    }


def load_drivers(merchant, hub, orders: list, count: int) -> list[tuple[int, str, str]]:
    """`count` drivers, each on a started 30-stop route of a plan of its own; (route id,
    session key, CSRF secret) each."""
    from importlib import import_module

    from django.conf import settings
    from django.utils import timezone

    from fulfillment.fleet.auth.session import SESSION_KEY
    from fulfillment.models import Driver, Route, RoutePlan, RouteStop, Vehicle

    store = import_module(settings.SESSION_ENGINE).SessionStore
    today = timezone.now().astimezone(TZ).date()
    out = []
    for i in range(count):
        driver = Driver.objects.create(merchant=merchant, name=f"Load Driver {i:03d}")
        vehicle = Vehicle.objects.create(
            merchant=merchant, name=f"Load Vehicle {i:03d}", kind="car",
            capacity_parcels=60, capacity_g=900_000, capacity_ml=9_000_000,
        )  # fmt: skip
        plan = RoutePlan.objects.create(
            merchant=merchant, date=today, state=RoutePlan.State.DISPATCHED
        )
        now = timezone.now()
        route = Route.objects.create(
            merchant=merchant, plan=plan, driver=driver, vehicle=vehicle, hub=hub,
            state=Route.State.STARTED, started_at=now, departs_at=now,
            returns_at=now + dt.timedelta(hours=8),
        )  # fmt: skip
        RouteStop.objects.bulk_create(
            [
                RouteStop(
                    merchant=merchant,
                    plan=plan,
                    route=route,
                    sequence=k + 1,
                    order=o,
                    latitude=o.latitude,
                    longitude=o.longitude,
                    service_seconds=180,
                )
                for k, o in enumerate(orders[i % 10 * 30 : i % 10 * 30 + 30])
            ]
        )
        session = store()
        session[SESSION_KEY] = driver.pk
        session.create()
        out.append((route.pk, session.session_key, secrets.token_hex(16)))
    return out


def bench_load(base_port: int, drivers: list, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    per_thread = 25
    groups = [drivers[i : i + per_thread] for i in range(0, len(drivers), per_thread)]

    def run(group: list, offset: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=10)
        rng = random.Random(offset)
        # Each driver posts every 10 s; the group's drivers are spread over the 10 s.
        step = 10.0 / len(group)
        next_at = time.monotonic() + offset
        k = 0
        while True:
            route_id, session_key, csrf = group[k % len(group)]
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() > deadline:
                break
            lat, lon = random_place(rng, 8)
            body = json.dumps({"route_id": route_id, "latitude": lat, "longitude": lon})
            headers = {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Origin": f"http://127.0.0.1:{base_port}",
                "Referer": f"http://127.0.0.1:{base_port}/driver/",
            }
            began = time.perf_counter()
            try:
                conn.request("POST", "/driver/positions", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=10)
                status = 0
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
            k += 1
            next_at += step

    threads = [
        threading.Thread(target=run, args=(g, i * 10.0 / max(1, len(groups)) / 25))
        for i, g in enumerate(groups)
    ]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return {
        "drivers": len(drivers),
        "seconds": round(elapsed, 1),
        "posts": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "goal_p95_ms": 50,
        "server": "gunicorn 3 gthread workers x 4 threads, 127.0.0.1, PostgreSQL",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stops", type=int, default=400)
    parser.add_argument("--drivers", type=int, default=15)
    parser.add_argument("--plan-seconds", type=float, default=20.0)
    parser.add_argument("--inserts", type=int, default=20)
    parser.add_argument("--positions", type=int, default=300)
    parser.add_argument("--load-drivers", type=int, default=200)
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8783)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    bench_url, admin_url = database_urls(BENCH_DB)
    recreate_database(admin_url, BENCH_DB)
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["REDIS_URL"] = os.environ.get("NEARBOX_BENCH_REDIS_URL", BENCH_REDIS)
    os.environ["NEARBOX_FLEET_OSRM_URL"] = ""
    os.environ["NEARBOX_FLEET_VALHALLA_URL"] = ""
    env = dict(os.environ, DEBUG="0", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from unittest import mock

    from django.core.management import call_command
    from django.db import connections

    server = None
    results: dict = {}
    try:
        call_command("migrate", verbosity=0)
        day = dt.date.today() + dt.timedelta(days=1)
        # No worker in this bench: the job row is made, its body run here (run_plan).
        with mock.patch("merchant.services.jobs._enqueue_on_commit"):
            merchant, hub, service, orders = populate(args.stops, args.drivers, day)
            results["plan"], plan = bench_plan(merchant, hub, day, args.plan_seconds)
        print("plan:", results["plan"], flush=True)
        start_routes(plan, day)
        results["insert"] = bench_insert(merchant, service, day, args.inserts)
        print("insert:", results["insert"], flush=True)
        route, _stops = thirty_stop_route(plan)
        results["position"] = bench_position(route, args.positions)
        print("position:", results["position"], flush=True)
        if args.load_drivers:
            drivers = load_drivers(merchant, hub, orders, args.load_drivers)
            connections.close_all()
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application",
                 "--workers", "3", "--threads", "4", "--bind", f"127.0.0.1:{args.port}",
                 "--log-level", "warning"],
                cwd=ROOT, env=env,
            )  # fmt: skip
            for _ in range(300):
                try:
                    http.client.HTTPConnection("127.0.0.1", args.port, timeout=2).request(
                        "GET", "/healthz"
                    )
                    break
                except OSError:
                    time.sleep(0.1)
            bench_load(args.port, drivers, 15)  # warm-up: the workers boot and connect
            results["load"] = bench_load(args.port, drivers, args.load_seconds)
            print("load:", results["load"], flush=True)
        results["machine"] = {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": "python -m bench.fleet " + " ".join(sys.argv[1:]),
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        connections.close_all()
        if not args.keep_db:
            drop_database(admin_url, BENCH_DB)


if __name__ == "__main__":
    main()
