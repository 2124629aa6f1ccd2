"""Benchmark batch printing end to end: shipments in PostgreSQL -> one merged PDF + one ZPL file.

python -m bench.label_batch [--labels 1000] [--single 40] [--scan 30] [--keep-db]

Creates a throwaway database (`nearbox_bench_label_batch` on the server of DATABASE_URL),
inserts one merchant's booked shipments, then measures, in the same run:
- the batch job's work (fulfillment/labels/services/batches.build_label_batch): load the
  shipments, render 4x6 labels in chunks of 100 shared with a child process per extra core,
  merge with pypdf, write the ZPL file, store;
- one label at a time the way the shipment page or the API asks for it (label_for: load, render
  one document, store), on a sample of `--single` shipments.
Reports labels/s of both and their ratio, the peak RSS growth of the batch, and the share of a
random sample of batch pages whose Code128 decodes (pdftoppm at 203 dpi + zbarimg) to the
shipment's tracking number. Writes bench/results/label_batch.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import time
from pathlib import Path

from bench.common import (
    chicago_points,
    database_urls,
    drop_database,
    parcel_products,
    recreate_database,
    setup_django,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "label_batch.json"
BENCH_DB = "nearbox_bench_label_batch"


NAMES = ["Ava Kowalska", "Liam O'Brien", "Noah Müller", "Zeynep Şahin", "Li Wei", "Ines Álvarez"]
STREETS = ["N Clark St", "W Division St", "N Milwaukee Ave", "S Halsted St", "W Belmont Ave"]


def populate(count: int):
    from django.utils import timezone

    from fulfillment.couriers.adapters.manual import new_tracking_number
    from fulfillment.couriers.services.accounts import create_account, create_service
    from fulfillment.models import Allocation, Order, OrderLine, Shipment
    from merchant.services.merchants import create_merchant

    rng = random.Random(7)
    merchant = create_merchant(
        name="Bench labels shop",
        owner_email=f"labels-{time.monotonic_ns()}@example.com",
        owner_password=None,
        time_zone="America/Chicago",
        issue_keys=False,
    ).merchant
    points = chicago_points(merchant)
    products = parcel_products(merchant)
    account = create_account(merchant=merchant, courier="manual", name="Bench bikes")
    service = create_service(
        account=account, level="next_day", code="bike", name="Bike, next day", transit_hours=24,
        base_minor=500,
        pickup_cutoff=dt.time(17),
    )  # fmt: skip
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            merchant=merchant,
            reference=f"BENCH-{n:06d}",
            shopper_name=rng.choice(NAMES),
            shopper_phone="+13125550100",
            line1=f"{rng.randint(1, 4999)} {rng.choice(STREETS)}",
            city="Chicago",
            state="IL",
            postal_code=f"606{rng.randint(1, 61):02d}",
            country="US",
            status=Order.Status.PACKED,
            created_at=now,
        )
        for n in range(count)
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(merchant=merchant, order=o, product=rng.choice(products), quantity=1)
        for o in orders
    )
    Allocation.objects.bulk_create(
        Allocation(
            merchant=merchant,
            order=line.order,
            line=line,
            point=rng.choice(points),
            quantity=1,
            distance_m=1000,
            rank=1,
            why="bench",
        )
        for line in lines
    )
    shipments = Shipment.objects.bulk_create(
        Shipment(
            merchant=merchant,
            order=o,
            account=account,
            service=service,
            tracking_number=new_tracking_number(),
            status="info_received",
            idempotency_key=f"bench-{o.pk}",
            price_minor=500,
            currency="USD",
            booked_at=now,
        )
        for o in orders
    )
    return merchant, shipments


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children (PostgreSQL's share of
    the queries is not included)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(labels: int, single: int, scan: int) -> dict:
    from fulfillment.labels.render.parallel import worker_count
    from fulfillment.labels.render.scan import decode_pdf
    from fulfillment.labels.services.batches import CHUNK, batch_key, build_label_batch
    from fulfillment.labels.services.labels import label_for
    from fulfillment.models import LabelBatch, Shipment
    from merchant.models import Job
    from merchant.services.jobs import Progress

    merchant, shipments = populate(labels)
    ids = [s.pk for s in shipments]
    # Warm up (template, stylesheet, fonts loaded once per process) outside the timings.
    label_for(Shipment.objects.get(pk=ids[0]), size="a6")

    job = Job.objects.create(merchant=merchant, kind="labels.batch", title="bench")
    batch = LabelBatch.objects.create(
        merchant=merchant, key=batch_key("4x6", ids), size="4x6", title="bench", shipment_ids=ids
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    built = build_label_batch(batch_id=batch.pk, progress=Progress(job))
    batch_s = time.perf_counter() - start
    batch_cpu = _cpu_seconds() - cpu_before  # child renderers included: they have exited
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    sample = random.Random(11).sample(ids[1:], min(single, len(ids) - 1))
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    for pk in sample:
        label_for(Shipment.objects.get(pk=pk), size="4x6")
    single_s = time.perf_counter() - start
    single_cpu = _cpu_seconds() - cpu_before

    pdf = built.pdf.read()
    pages = sorted(random.Random(13).sample(range(1, labels + 1), min(scan, labels)))
    decoded = decode_pdf(pdf, pages=pages)
    numbers = dict(Shipment.objects.filter(pk__in=ids).values_list("pk", "tracking_number"))
    good = sum((("code128", numbers[ids[page - 1]]) in decoded.get(page, [])) for page in pages)
    return {
        "labels": labels,
        "chunk": CHUNK,
        "batch_seconds": round(batch_s, 2),
        "batch_labels_per_s": round(labels / batch_s, 1),
        "batch_processes": worker_count(labels, None),
        "batch_cpu_ms_per_label": round(batch_cpu * 1000 / labels, 2),
        "batch_pdf_bytes": len(pdf),
        "batch_peak_rss_growth_mb": round(rss_growth_mb, 1),
        "single_sample": len(sample),
        "single_seconds": round(single_s, 2),
        "single_labels_per_s": round(len(sample) / single_s, 1),
        "single_cpu_ms_per_label": round(single_cpu * 1000 / len(sample), 2),
        "batch_vs_single": round((labels / batch_s) / (len(sample) / single_s), 2),
        "scanned_pages": len(pages),
        "scanned_ok": good,
        "scanned_share": round(good / len(pages), 3) if pages else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--single", type=int, default=40)
    parser.add_argument("--scan", type=int, default=30)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    bench_url, admin_url = database_urls(BENCH_DB)
    recreate_database(admin_url, BENCH_DB)
    try:
        setup_django(bench_url, MEDIA_ROOT="/tmp/nearbox-bench-label-batch-media")
        figures = run(args.labels, args.single, args.scan)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(admin_url, BENCH_DB)
    result = {
        "benchmark": "label_batch",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **figures,
    }
    for key, value in figures.items():
        print(f"{key:>28}: {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
