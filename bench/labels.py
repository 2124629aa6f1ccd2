"""Benchmark label printing: one batch PDF of distinct 4x6 labels, the naive way, ZPL, and a scan.

python -m bench.labels [--count 1000] [--serial-count 300] [--naive-count 100] [--scan 50]
                       [--seed 7] [--workers N] [--all-distinct]

Renders `count` distinct 4x6 labels (seeded random tracking numbers, names and addresses, some
Polish/Turkish; sent from 3 storage points by 4 courier services on one date, as a day's batch
is; with --all-distinct each label has its own sender, date and parcel count) as ONE PDF with
the same function the app uses (render_labels_pdf: chunks on one process per core, merged),
then in the same run the first `serial-count` of them in this process only (workers=1) and the
first `naive-count` the naive way (naive_labels.py: one WeasyPrint document per label,
merged); every rate is per label. Then ZPL for the same labels (best of 3), and a scan check: a
random sample of pages of the batch PDF rasterised at 203 dpi and decoded with zbarimg; a label
counts as decoded when its Code128 gives its tracking number and its QR its payload. Memory:
getrusage ru_maxrss (it sees Pango/cairo/harfbuzz allocations that tracemalloc cannot): the
growth of this process's peak during the batch and the peak of the largest worker process (a
forked worker's RSS includes the pages it shares with this process, so parent + workers x worker
peak is an upper bound of the total). CPU seconds include the workers'. No database needed.
Writes bench/results/labels.json (labels-all-distinct.json with --all-distinct),
prints one JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import random
import resource
import string
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "labels.json"
GOALS = {"batch_labels_per_s": 150, "batch_vs_naive": 2.0, "zpl_labels_per_s": 5000, "scan": 1.0}

FIRST = [
    "Anna",
    "Zofia",
    "Łukasz",
    "Mehmet",
    "Ayşe",
    "Grzegorz",
    "Emily",
    "James",
    "Olivia",
    "Noah",
    "Şükrü",
    "Małgorzata",
    "Liam",
    "Ava",
    "Çağla",
    "Wojciech",
    "Sophia",
    "Ethan",
]
LAST = [
    "Kowalski",
    "Wiśniewska",
    "Yılmaz",
    "Öztürk",
    "Smith",
    "Johnson",
    "Nowak",
    "Garcia",
    "Brown",
    "Dąbrowski",
    "Şahin",
    "Miller",
    "Zieliński",
    "Davis",
    "Kılıç",
    "Wilson",
]
STREETS = [
    "Main St",
    "Oak Avenue",
    "ul. Piotrkowska",
    "İstiklal Caddesi",
    "Maple Drive",
    "ul. Marszałkowska",
    "Bağdat Caddesi",
    "Lake Shore Dr",
    "Elm Street",
    "Cedar Lane",
]
CITIES = [
    ("Chicago", "IL", "606{:02d}", "US"),
    ("Łódź", "", "90-{:03d}", "PL"),
    ("İstanbul", "", "34{:03d}", "TR"),
    ("Brooklyn", "NY", "112{:02d}", "US"),
    ("Warszawa", "", "00-{:03d}", "PL"),
    ("Evanston", "IL", "602{:02d}", "US"),
]
COURIERS = [
    ("Sandbox Express", "Next day"),
    ("Manual courier", "Same day"),
    ("Sandbox Express", "Locker 48h"),
    ("Sandbox Express", "Economy 3-5 days"),
]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # per-page progress at INFO


def make_labels(count: int, seed: int) -> list:
    from fulfillment.labels.render import LabelAddress, LabelData, point_code, sort_code

    rng = random.Random(seed)
    points = [
        ("Wola Warehouse", "ul. Kolejowa 12", "Warszawa", "01-217", "PL"),
        ("Brooklyn Hub", "140 58th St", "Brooklyn", "11220", "US"),
        ("Chicago West Loop", "900 W Randolph St", "Chicago", "60607", "US"),
    ]
    tracking_numbers: set[str] = set()
    labels = []
    date = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
    while len(labels) < count:
        tracking = "NB" + "".join(rng.choices(string.digits, k=10)) + rng.choice("ABCDEFGHJKLMN")
        if tracking in tracking_numbers:
            continue
        tracking_numbers.add(tracking)
        point = rng.choice(points)
        city, state, zip_pattern, country = rng.choice(CITIES)
        postal_code = zip_pattern.format(rng.randrange(100 if "{:02d}" in zip_pattern else 1000))
        lines = [f"{rng.randrange(1, 2000)} {rng.choice(STREETS)}"]
        if rng.random() < 0.3:
            lines.append(f"Apt {rng.randrange(1, 90)}")
        recipient = LabelAddress(
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            lines=tuple(lines),
            city=city,
            state=state,
            postal_code=postal_code,
            country=country,
            phone=f"+1 312 555 {rng.randrange(10000):04d}",
        )
        sender = LabelAddress(
            name=f"Nearbox {point[0]}",
            lines=(point[1],),
            city=point[2],
            postal_code=point[3],
            country=point[4],
        )
        courier, service = rng.choice(COURIERS)
        locker = "Locker" in service
        pickup_code = f"{rng.randrange(10000):04d}-{rng.randrange(10000):04d}"
        parcel_count = rng.choice((1, 1, 1, 2, 3))
        labels.append(
            LabelData(
                tracking_number=tracking,
                courier_name=courier,
                service_name=service,
                sender=sender,
                recipient=recipient,
                weight_g=rng.randrange(80, 25000),
                reference=f"#{rng.randrange(1000, 99999)}",
                date=date,
                qr_payload=pickup_code if locker else f"https://nearbox.example/t/{tracking}",
                qr_caption=f"Pickup code {pickup_code}" if locker else "Track this parcel",
                sort_code=sort_code(postal_code, point_code(point[0])),
                parcel_index=rng.randint(1, parcel_count),
                parcel_count=parcel_count,
            )
        )
    return labels


def all_distinct(labels: list) -> list:
    """The labels with nothing to share: what a day's batch repeats (the storage point, the
    date, the parcel count) made different on every label, the worst case of the renderer."""
    import dataclasses

    return [
        dataclasses.replace(
            label,
            sender=dataclasses.replace(label.sender, name=f"Nearbox Point {n}"),
            date=label.date.replace(day=1 + n % 28),
            parcel_index=1,
            parcel_count=1 + n % 7,
        )
        for n, label in enumerate(labels)
    ]


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def children_max_rss_mb() -> float:
    """Peak RSS of the largest finished child process (the batch's workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--serial-count", type=int, default=300)
    parser.add_argument("--naive-count", type=int, default=100)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--scan", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--all-distinct",
        action="store_true",
        help="every label its own sender, date and parcel count, so labels share no top "
        "(writes labels-all-distinct.json)",
    )
    args = parser.parse_args(argv)
    setup_django()
    from bench.naive_labels import render_labels_pdf_naive
    from fulfillment.labels.render import render_labels_pdf, render_labels_zpl
    from fulfillment.labels.render.parallel import worker_count
    from fulfillment.labels.render.scan import decode_pdf

    labels = make_labels(args.count, args.seed)
    if args.all_distinct:
        labels = all_distinct(labels)
    render_labels_pdf(labels[:2], "4x6")  # warm up: stylesheet, fonts, templates
    workers = worker_count(len(labels), args.workers)

    rss_before = max_rss_mb()
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    pdf = render_labels_pdf(labels, "4x6", workers=workers)
    batch_s = time.perf_counter() - started
    batch_cpu_s = cpu_seconds() - cpu_started
    rss_peak_growth = max_rss_mb() - rss_before
    worker_peak = children_max_rss_mb() if workers > 1 else None

    serial_labels = labels[: args.serial_count]
    started = time.perf_counter()
    serial_cpu_started = cpu_seconds()
    render_labels_pdf(serial_labels, "4x6", workers=1)
    serial_s = time.perf_counter() - started
    serial_cpu_s = cpu_seconds() - serial_cpu_started

    naive_labels = labels[: args.naive_count]
    started = time.perf_counter()
    naive_pdf = render_labels_pdf_naive(naive_labels, "4x6")
    naive_s = time.perf_counter() - started

    zpl_times = []
    for _ in range(3):
        started = time.perf_counter()
        zpl = render_labels_zpl(labels)
        zpl_times.append(time.perf_counter() - started)

    rng = random.Random(args.seed)
    sample = sorted(rng.sample(range(len(labels)), min(args.scan, len(labels))))
    decoded = decode_pdf(pdf, pages=[index + 1 for index in sample])
    failures = []
    for index in sample:
        found = decoded[index + 1]
        label = labels[index]
        if ("code128", label.tracking_number) not in found or ("qr", label.qr_payload) not in found:
            failures.append({"page": index + 1, "tracking": label.tracking_number, "found": found})

    batch_rate = len(labels) / batch_s
    serial_rate = len(serial_labels) / serial_s
    naive_rate = len(naive_labels) / naive_s
    zpl_rate = len(labels) / min(zpl_times)
    scan_share = (len(sample) - len(failures)) / len(sample)
    result = {
        "benchmark": "labels",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "count": len(labels),
        "size": "4x6",
        "labels": "every label its own sender, date and parcel count"
        if args.all_distinct
        else "3 storage points x 4 courier services, one date",
        "batch": {
            "workers": workers,
            "seconds": round(batch_s, 2),
            "cpu_seconds": round(batch_cpu_s, 2),
            "cpu_ms_per_label": round(1000 * batch_cpu_s / len(labels), 2),
            "labels_per_s": round(batch_rate, 1),
            "ms_per_label": round(1000 * batch_s / len(labels), 2),
            "pdf_bytes": len(pdf),
            "peak_rss_growth_mb": round(rss_peak_growth, 1),
            "peak_rss_mb": round(rss_before + rss_peak_growth, 1),
            "worker_peak_rss_mb": round(worker_peak, 1) if worker_peak else None,
            "total_peak_upper_bound_mb": round(
                rss_before + rss_peak_growth + workers * (worker_peak or 0), 1
            ),
            "memory_measure": "getrusage ru_maxrss: this process's growth during the batch, "
            "largest worker's peak (includes pages shared with this process)",
        },
        "serial": {
            "count": len(serial_labels),
            "seconds": round(serial_s, 2),
            "cpu_ms_per_label": round(1000 * serial_cpu_s / len(serial_labels), 2),
            "labels_per_s": round(serial_rate, 1),
            "how": "same renderer in this process only (workers=1)",
        },
        "batch_vs_serial": round(batch_rate / serial_rate, 2),
        "naive": {
            "count": len(naive_labels),
            "seconds": round(naive_s, 2),
            "labels_per_s": round(naive_rate, 1),
            "pdf_bytes": len(naive_pdf),
            "how": "per label: own HTML, stylesheet parse, FontConfiguration, render; "
            "pages merged with weasyprint Document.copy",
        },
        "batch_vs_naive": round(batch_rate / naive_rate, 2),
        "zpl": {
            "labels_per_s": round(zpl_rate, 0),
            "bytes_per_label": round(len(zpl) / len(labels)),
        },
        "scan": {
            "sample": len(sample),
            "decoded": len(sample) - len(failures),
            "share": round(scan_share, 3),
            "dpi": 203,
            "failures": failures[:5],
        },
        "goals": GOALS,
        "met": {
            "batch_labels_per_s": batch_rate >= GOALS["batch_labels_per_s"],
            "batch_vs_naive": batch_rate / naive_rate >= GOALS["batch_vs_naive"],
            "zpl_labels_per_s": zpl_rate >= GOALS["zpl_labels_per_s"],
            "scan": scan_share >= GOALS["scan"],
        },
    }
    results = RESULTS.with_name("labels-all-distinct.json") if args.all_distinct else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
