"""Bulk ship end to end: select N ready orders, book them against the courier sandbox in one
ship run job on a real Celery worker, and produce the combined PDF (labels, then packing slips)
and the ZPL file.

python -m bench.bulk_ship [--orders 500] [--scan 0 (every label)] [--kill-orders 200]

Creates a throwaway database (`nearbox_bench_bulk_ship`), Redis db 13 and its own queue, and
starts the courier sandbox and ONE Celery worker (prefork, --concurrency 2) as subprocesses.

1. Timed run: "all orders matching" the order list's filter (status packed), exactly as the
   order list's Ship selected starts it (fulfillment/desk/services/ship_runs.start_ship_run),
   from the click until the job has stored the PDF. Then every label page of the PDF (or a
   sample, --scan K) is rasterised at 203 dpi and its Code128 decoded (zbarimg), and must be
   the tracking number of the order in that place of the pick order.
2. Kill and restart: a second merchant's orders; the job runs in a child process that is
   SIGKILLed once half of its orders are booked (mid-transaction, a booking in flight); its
   lease is then expired (what 90 s of silence does in production) and the job is queued
   again (what the broker does with a lost worker's message), and the worker finishes it.
   Every order must end with exactly one shipment and one tracking number, and the sandbox
   must hold one parcel per order.
Writes bench/results/bulk_ship.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

from bench import common
from bench.common import chicago_points, parcel_products
from config.queues import all_queue_names

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "bulk_ship.json"
DB_NAME = "nearbox_bench_bulk_ship"
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres:postgres@127.0.0.1:5432")
REDIS = "redis://127.0.0.1:6379/13"
QUEUE = "nearbox-bench-bulk-ship"
SANDBOX_KEY = common.SANDBOX_KEY
ENV = {
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "REDIS_URL": REDIS,
    "CELERY_QUEUE": QUEUE,
    "SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "NEARBOX_VAR_DIR": "/tmp/nearbox-bench-bulk-ship-var",
    "NEARBOX_COURIERS_ALLOW_PRIVATE": "1",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": str(ROOT),
}
NAMES = ["Ava Kowalska", "Liam O'Brien", "Noah Müller", "Zeynep Şahin", "Li Wei", "Ines Álvarez"]
STREETS = ["N Clark St", "W Division St", "N Milwaukee Ave", "S Halsted St", "W Belmont Ave"]


def start_sandbox() -> tuple[subprocess.Popen, str]:
    return common.start_sandbox(speed=1, env=ENV)


def start_worker(log: Path) -> subprocess.Popen:
    from config.celery import app

    name = f"bench-bulk-{uuid.uuid4().hex[:6]}@%h"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING",
         "--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-Q", ",".join(all_queue_names(QUEUE)), f"--hostname={name}"],
        cwd=ROOT, env={**os.environ, **ENV}, stdout=open(log, "a"),  # noqa: SIM115
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(destination=[name.replace("%h", os.uname().nodename)], timeout=1):
            return proc
    raise RuntimeError(f"worker did not start, see {log}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def seed(name: str, count: int, url: str):
    """A merchant with 3 points, 10 products, a sandbox account and `count` packed orders."""
    from django.utils import timezone

    from fulfillment.couriers.services.accounts import create_account, create_area, create_service
    from fulfillment.models import Allocation, Order, OrderLine
    from merchant.services.merchants import create_merchant

    rng = random.Random(7)
    merchant = create_merchant(
        name=name, owner_email=f"{uuid.uuid4().hex[:8]}@example.com", owner_password=None,
        time_zone="America/Chicago", issue_keys=False,
    ).merchant  # fmt: skip
    points = chicago_points(merchant)
    products = parcel_products(merchant, sku="SKU-{n:02d}")
    account = create_account(
        merchant=merchant, courier="sandbox", name="Sandbox", credentials=f"api_key={SANDBOX_KEY}",
        base_url=url, requests_per_second=500.0,
    )  # fmt: skip
    create_area(account=account, kind="radius", center_latitude=41.8837,
                center_longitude=-87.6289, radius_km=60)  # fmt: skip
    create_service(
        account=account, level="next_day", code="next-day", name="Next day", transit_hours=24,
        pickup_cutoff=dt.time(23, 59), base_minor=700,
    )  # fmt: skip
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            merchant=merchant,
            reference=f"{name[:3].upper()}-{n:06d}",
            shopper_name=rng.choice(NAMES),
            shopper_email=f"shopper{n}@example.com",
            shopper_phone="+13125550100",
            line1=f"{rng.randint(1, 4999)} {rng.choice(STREETS)}",
            city="Chicago",
            state="IL",
            postal_code=(zip_ := f"606{rng.randint(1, 40):02d}"),
            normalized_postal_code=zip_,
            normalized_city="Chicago",
            normalized_state="IL",
            country="US",
            latitude=41.85 + rng.random() / 10,
            longitude=-87.70 + rng.random() / 10,
            status=Order.Status.PACKED,
            value=2500,
            currency="USD",
            created_at=now - dt.timedelta(seconds=count - n),
        )
        for n in range(count)
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            merchant=merchant, order=o, product=rng.choice(products), quantity=1, unit_value=2500
        )
        for o in orders
    )
    Allocation.objects.bulk_create(
        Allocation(
            merchant=merchant,
            order=line.order,
            line=line,
            point=rng.choice(points),
            quantity=1,
            distance_m=3000,
            rank=1,
            why="bench",
        )
        for line in lines
    )
    return merchant, orders


def wait_finished(run_id: int, timeout: float = 900) -> None:
    from fulfillment.models import ShipRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ShipRun.objects.select_related("job").get(pk=run_id)
        if run.job.is_finished:
            return
        time.sleep(0.2)
    raise RuntimeError(f"ship run {run_id} did not finish in {timeout} s")


def timed_run(count: int, url: str, scan: int) -> dict:
    from fulfillment.desk.services.ship_runs import start_ship_run
    from fulfillment.labels.render.scan import decode_pdf
    from fulfillment.models import ShipRun, ShipRunItem

    merchant, _ = seed("Bench bulk shop", count, url)
    start = time.perf_counter()
    run = start_ship_run(merchant=merchant, filters={"status": "packed"}, description="bench")
    wait_finished(run.pk)
    seconds = time.perf_counter() - start
    run = ShipRun.objects.select_related("job", "label_batch").get(pk=run.pk)
    booked = list(
        run.items.filter(state=ShipRunItem.State.BOOKED)
        .order_by("position")
        .values_list("shipment__tracking_number", flat=True)
    )
    pdf = run.pdf.read() if run.pdf else b""
    zpl = run.label_batch.zpl.read() if run.label_batch else b""
    pages = list(range(1, len(booked) + 1))
    if scan and scan < len(pages):
        pages = sorted(random.Random(13).sample(pages, scan))
    scan_start = time.perf_counter()
    decoded = decode_pdf(pdf, pages=pages) if pdf else {}
    good = sum(("code128", booked[p - 1]) in decoded.get(p, []) for p in pages)
    return {
        "orders": count,
        "seconds_end_to_end": round(seconds, 1),
        "goal_seconds": 60,
        "job_state": run.job.state,
        "job_error": run.job.error,
        "booked": run.booked,
        "failed": run.failed,
        "skipped": run.skipped,
        "orders_per_second": round(count / seconds, 1),
        "pdf_bytes": len(pdf),
        "zpl_labels": zpl.count(b"^XA"),
        "labels_scanned": len(pages),
        "labels_scanned_ok": good,
        "scan_seconds": round(time.perf_counter() - scan_start, 1),
    }


def kill_and_restart(count: int, url: str, admin) -> dict:
    from django.db.models import Count

    from fulfillment.desk.services.ship_runs import start_ship_run
    from fulfillment.models import Shipment, ShipRun, ShipRunItem
    from merchant.models import Job
    from merchant.services.jobs import JOB_LEASE
    from merchant.tasks import run_job_task

    merchant, orders = seed("Kill test shop", count, url)
    # The job is made but not queued for the worker: a child process of ours runs it, so that
    # it can be killed without killing the worker.
    with mock.patch("merchant.services.jobs._enqueue_on_commit"):
        run = start_ship_run(merchant=merchant, order_ids=[o.pk for o in orders])
    posts_before = admin.get("/_stats").json().get("POST /shipments", 0)
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bulk_ship", "--run-job", str(run.job_id)],
        cwd=ROOT, env={**os.environ, **ENV}, start_new_session=True,
    )  # fmt: skip
    half = count // 2
    while ShipRunItem.objects.filter(run=run, state=ShipRunItem.State.BOOKED).count() < half:
        if child.poll() is not None:
            raise RuntimeError("the job finished before it could be killed")
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    booked_at_kill = ShipRunItem.objects.filter(run=run, state=ShipRunItem.State.BOOKED).count()
    # What 90 s without a heartbeat does: the job may be claimed again.
    Job.objects.filter(pk=run.job_id).update(
        heartbeat_at=Job.objects.get(pk=run.job_id).heartbeat_at - JOB_LEASE
    )
    run_job_task.delay(run.job_id)
    wait_finished(run.pk)
    run = ShipRun.objects.select_related("job").get(pk=run.pk)
    per_order = Shipment.objects.filter(order__in=orders).values("order").annotate(n=Count("pk"))
    twice = sum(1 for row in per_order if row["n"] > 1)
    numbers = set(
        Shipment.objects.filter(order__in=orders).values_list("tracking_number", flat=True)
    )
    posts = admin.get("/_stats").json().get("POST /shipments", 0) - posts_before
    return {
        "orders": count,
        "booked_when_killed": booked_at_kill,
        "job_state_after_restart": run.job.state,
        "booked": run.booked,
        "failed": run.failed,
        "orders_with_more_than_one_shipment": twice,
        "distinct_tracking_numbers": len(numbers - {""}),
        "courier_create_calls": posts,
        "courier_calls_resent_after_kill": posts - count,
    }


def run_job_in_this_process(job_id: int) -> None:
    """The child of the kill test: the job's body, as the worker runs it."""
    import django

    django.setup()
    from merchant.services.jobs import run_job

    run_job(job_id)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.bulk_ship")
    p.add_argument("--orders", type=int, default=500)
    p.add_argument("--scan", type=int, default=0, help="labels to scan (0: every one)")
    p.add_argument("--kill-orders", type=int, default=200)
    p.add_argument("--run-job", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.update(ENV)
    if args.run_job:
        run_job_in_this_process(args.run_job)
        return {}
    import httpx
    import psycopg
    import redis

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command

    from config.celery import app

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(REDIS).flushdb()
    with app.connection_for_write() as conn:
        for queue in all_queue_names(QUEUE):
            app.amqp.queues[queue].bind(conn.default_channel).purge()
    log = Path("/tmp/nearbox-bench-bulk-ship-worker.log")
    log.write_text("")
    sandbox, url = start_sandbox()
    worker = start_worker(log)
    admin = httpx.Client(base_url=url, headers={"DHL-API-Key": SANDBOX_KEY}, timeout=30)
    report: dict = {
        "benchmark": "bulk_ship",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "worker": "1 Celery worker, prefork, concurrency 2",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        report["run"] = timed_run(args.orders, url, args.scan)
        print(json.dumps(report["run"], indent=2))
        if args.kill_orders:
            report["kill_and_restart"] = kill_and_restart(args.kill_orders, url, admin)
            print(json.dumps(report["kill_and_restart"], indent=2))
    finally:
        admin.close()
        stop(worker)
        stop(sandbox)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
