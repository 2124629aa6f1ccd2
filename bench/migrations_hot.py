"""Migrations on a hot table: the project's pending migrations while tracking inserts events.

python -m bench.migrations_hot [--events 10000000] [--rate 200] [--no-control]

1. A throwaway PostgreSQL database `nearbox_bench_migrations_hot` (dropped and made again),
   migrated to the latest and then back to fulfillment 0014: what is pending is this issue's
   slot 0015, anything after it and what depends on them.
2. A ShipmentEvent table of --events rows over 1,000 shipments, made by generate_series in SQL
   (in chunks of a million), then VACUUM ANALYZE as autovacuum would.
3. A writer (its own connection, autocommit, as tracking ingest does) inserts one event at a time
   at --rate a second and times each INSERT; after a few quiet seconds, `manage.py migrate`
   applies every pending migration (0015 builds shipment_event_age CONCURRENTLY) in a
   subprocess. Reported: the longest INSERT and the longest gap between two INSERTs while the
   migrations ran (goal: no stall beyond ~1 s), beside the quiet baseline.
4. Control (unless --no-control): the same index built the plain way (CREATE INDEX, which takes
   a SHARE lock on the table) under the same writer, to show what CONCURRENTLY avoids.

Writes bench/results/migrations_hot.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import threading
import time

from bench import common

DB_NAME = "nearbox_bench_migrations_hot"
BEFORE = ("fulfillment", "0014_returns_portal")
SHIPMENTS = 1000
CHUNK = 1_000_000
RESULT = common.ROOT / "bench" / "results" / "migrations_hot.json"


class Writer(threading.Thread):
    """Inserts events one by one at `rate` a second; records (start, seconds) of each INSERT."""

    def __init__(self, url: str, *, merchant_id: int, shipment_ids: list[int], rate: float):
        super().__init__(daemon=True)
        self.url, self.merchant_id, self.shipment_ids = url, merchant_id, shipment_ids
        self.interval = 1.0 / rate
        self.samples: list[tuple[float, float]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            n = 0
            next_at = time.monotonic()
            while not self.stop.is_set():
                n += 1
                shipment_id = self.shipment_ids[n % len(self.shipment_ids)]
                started = time.monotonic()
                try:
                    conn.execute(
                        "INSERT INTO fulfillment_shipmentevent (merchant_id, shipment_id, event_id,"
                        " status, occurred_at, courier_code, courier_description, location,"
                        " reason_code, proof, source, created_at) VALUES (%s, %s, %s, 'in_transit',"
                        " now(), 'IT', 'Live scan', 'Chicago, IL', '', '', 'courier', now())",
                        (self.merchant_id, shipment_id, f"live-{os.getpid()}-{n}"),
                    )
                except Exception as exc:  # a failed insert is a result, not a crash
                    self.errors.append(repr(exc)[:200])
                self.samples.append((started, time.monotonic() - started))
                next_at += self.interval
                self.stop.wait(max(0.0, next_at - time.monotonic()))

    def window(self, start: float, end: float) -> dict:
        inside = [(t, d) for t, d in self.samples if start <= t <= end]
        durations = sorted(d for _, d in inside)
        ends = [t + d for t, d in inside]
        gaps = [b - a for a, b in itertools.pairwise(ends)]
        if not durations:
            return {"inserts": 0}
        return {
            "inserts": len(durations),
            "longest_insert_ms": round(durations[-1] * 1000, 1),
            "p99_insert_ms": round(durations[int(0.99 * (len(durations) - 1))] * 1000, 2),
            "median_insert_ms": round(durations[len(durations) // 2] * 1000, 2),
            "longest_gap_between_inserts_ms": round(max(gaps, default=0) * 1000, 1),
            "expected_gap_ms": round(self.interval * 1000, 1),
        }


def load_events(count: int, merchant_id: int, first_shipment: int) -> float:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        for low in range(1, count + 1, CHUNK):
            high = min(count, low + CHUNK - 1)
            cursor.execute(
                "INSERT INTO fulfillment_shipmentevent (merchant_id, shipment_id, event_id, status,"
                " occurred_at, courier_code, courier_description, location, reason_code, proof,"
                " source, created_at)"
                " SELECT %s, %s + (g %% %s), 'ev' || g, 'in_transit',"
                " now() - make_interval(secs => g), 'IT', 'In transit, sorting centre',"
                " 'Chicago, IL', '', '', 'courier', now() - make_interval(secs => g)"
                " FROM generate_series(%s, %s) g",
                [merchant_id, first_shipment, SHIPMENTS, low, high],
            )
            print(f"  {high:,} events ({time.monotonic() - started:.0f} s)", flush=True)
    return time.monotonic() - started


def make_shipments() -> tuple[int, list[int]]:
    """One shipment made the usual way, copied SHIPMENTS - 1 times in SQL."""
    from django.db import connection

    from fulfillment.models import Shipment
    from merchant.services.merchants import create_merchant
    from tests.factories.couriers import make_shipment

    merchant = create_merchant(
        name="Bench shop", owner_email="bench@example.com", owner_password="bench-pass-123"
    ).merchant
    template = make_shipment(merchant, status="in_transit")
    unique = {"tracking_number", "idempotency_key", "public_token"}
    columns = [f.column for f in Shipment._meta.concrete_fields if f.column != "id"]
    select = [f"{c} || '-' || g" if c in unique else c for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO fulfillment_shipment ({', '.join(columns)})"
            f" SELECT {', '.join(select)} FROM fulfillment_shipment, generate_series(2, %s) g"
            " WHERE id = %s",
            [SHIPMENTS, template.pk],
        )
    ids = list(Shipment.objects.order_by("pk").values_list("pk", flat=True))
    return merchant.pk, ids


def measure(writer: Writer, action, *, quiet_s: float = 5.0) -> dict:
    """Baseline window, then `action()` under the writer, then the writer's figures for each."""
    base_start = time.monotonic()
    writer.stop.wait(quiet_s)
    base_end = time.monotonic()
    detail = action()
    end = time.monotonic()
    return {
        "seconds": round(end - base_end, 1),
        "quiet_baseline": writer.window(base_start, base_end),
        "during": writer.window(base_end, end),
        **detail,
    }


def run_migrate(bench_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v", "1"],
        cwd=common.ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    applied = [
        line.split("Applying ", 1)[1].split("...", 1)[0]
        for line in proc.stdout.splitlines()
        if "Applying " in line
    ]
    if proc.returncode:
        sys.exit(f"migrate failed:\n{proc.stdout}\n{proc.stderr}")
    return {"migrate_seconds": round(time.monotonic() - started, 1), "applied": applied}


def plain_index(bench_url: str) -> dict:
    import psycopg

    with psycopg.connect(bench_url, autocommit=True) as conn:
        started = time.monotonic()
        conn.execute(
            "CREATE INDEX shipment_event_age_plain ON fulfillment_shipmentevent (created_at)"
        )
        took = time.monotonic() - started
        conn.execute("DROP INDEX shipment_event_age_plain")
    return {"create_index_seconds": round(took, 1)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.migrations_hot")
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--rate", type=float, default=200.0, help="writer inserts a second")
    p.add_argument("--no-control", action="store_true")
    args = p.parse_args(argv)

    bench_url, admin_url = common.database_urls(DB_NAME)
    common.recreate_database(admin_url, DB_NAME)
    sys.path.insert(0, str(common.ROOT))
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    # Every app at its latest migration, then fulfillment (and what depends on it) back to
    # BEFORE: what is left to apply is this slot and anything after it.
    print(f"migrating, then back to {BEFORE[0]} {BEFORE[1]}", flush=True)
    call_command("migrate", verbosity=0, skip_checks=True)
    call_command("migrate", *BEFORE, verbosity=0, skip_checks=True)
    merchant_id, shipment_ids = make_shipments()
    print(f"loading {args.events:,} events", flush=True)
    load_s = load_events(args.events, merchant_id, shipment_ids[0])
    common.vacuum_analyze("fulfillment_shipmentevent", "fulfillment_shipment")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('fulfillment_shipmentevent')")
        table_bytes = cursor.fetchone()[0]
    connection.close()

    writer = Writer(bench_url, merchant_id=merchant_id, shipment_ids=shipment_ids, rate=args.rate)
    writer.start()
    print("migrate (pending migrations) under the writer", flush=True)
    migrations = measure(writer, lambda: run_migrate(bench_url))
    control = None
    if not args.no_control:
        print("control: plain CREATE INDEX under the writer", flush=True)
        control = measure(writer, lambda: plain_index(bench_url))
    writer.stop.set()
    writer.join()

    result = {
        "bench": "migrations_hot",
        "events": args.events,
        "table_size_mb": round(table_bytes / 2**20),
        "load_seconds": round(load_s, 1),
        "writer_rate_per_s": args.rate,
        "writer_errors": writer.errors[:5],
        "migrations": migrations,
        "control_plain_create_index": control,
        "goal": "no INSERT stalled beyond ~1 s while the migrations ran",
        "goal_met": migrations["during"].get("longest_gap_between_inserts_ms", 1e9) < 1000
        and not writer.errors,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average": os.getloadavg(),
    }
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    common.drop_database(admin_url, DB_NAME)
    return result


if __name__ == "__main__":
    main()
