"""Benchmark concurrent compartment holds: checkouts racing for the same few compartments.

python -m bench.reservations [--rounds 10] [--checkouts 200] [--compartments 20]
                             [--connections 40] [--keep-db]

Creates the throwaway PostgreSQL database `nearbox_bench_lockers`, migrates it, and for each
round makes a locker bank with 20 free compartments, then releases 200 checkouts at once from
40 threads, each on its own database connection (the server allows 100), all calling
`reserve_compartment`. Reports holds/s (successful and refused attempts per second of
wall time) and double bookings: compartments with more than one active reservation, or more
holds than compartments. Writes bench/results/reservations.json and drops the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import threading
import time

from bench.common import database_urls, drop_database, recreate_database
from bench.delivery_options import BENCH_DB, ROOT

RESULTS = ROOT / "bench" / "results" / "reservations.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--compartments", type=int, default=20)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    bench_url, admin_url = database_urls(BENCH_DB)
    recreate_database(admin_url, BENCH_DB)
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import Count

    from lockers.models import LockerBank, Reservation
    from lockers.parcels import Parcel
    from lockers.services.network import add_compartments
    from lockers.services.reservations import NoCompartmentFree, reserve_compartment
    from merchant.services.merchants import create_merchant

    try:
        call_command("migrate", verbosity=0)
        merchant = create_merchant(
            name="Bench Shop", owner_email="bench@example.com", owner_password=None
        ).merchant
        parcel = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=50)
        each = args.checkouts // args.connections
        rounds = []
        for r in range(args.rounds):
            bank = LockerBank.objects.create(
                merchant=merchant,
                ref=f"R{r}",
                name=f"Race {r}",
                address_line="1 St",
                city="Chicago",
                postal_code="60601",
                latitude=41.88,
                longitude=-87.62,
            )
            add_compartments(bank=bank, counts={"S": args.compartments})
            outcomes: list[str] = []
            lock = threading.Lock()
            barrier = threading.Barrier(args.connections + 1)

            def checkouts(bank=bank, outcomes=outcomes, lock=lock, barrier=barrier) -> None:
                connection.ensure_connection()  # connect before the start, not in the race
                barrier.wait()
                try:
                    for _ in range(each):
                        try:
                            reserve_compartment(bank=bank, parcel=parcel)
                            outcome = "held"
                        except NoCompartmentFree:
                            outcome = "full"
                        except Exception as exc:
                            outcome = f"error {type(exc).__name__}"
                        with lock:
                            outcomes.append(outcome)
                finally:
                    connection.close()

            threads = [threading.Thread(target=checkouts) for _ in range(args.connections)]
            for t in threads:
                t.start()
            barrier.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - t0
            doubles = (
                Reservation.objects.filter(bank=bank, status__in=["held", "confirmed"])
                .values("compartment")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .count()
            )
            held = outcomes.count("held")
            rounds.append(
                {
                    "attempts": len(outcomes),
                    "held": held,
                    "refused": outcomes.count("full"),
                    "errors": len([o for o in outcomes if o.startswith("error")]),
                    "double_booked_compartments": doubles + max(0, held - args.compartments),
                    "seconds": round(elapsed, 3),
                    "attempts_per_s": round(len(outcomes) / elapsed, 1),
                }
            )
            print(rounds[-1])
        total_s = sum(r["seconds"] for r in rounds)
        result = {
            "benchmark": "reservations",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "setup": f"{args.rounds} rounds × {args.checkouts} checkouts from "
            f"{args.connections} connections for {args.compartments} compartments",
            "attempts_per_s": round(sum(r["attempts"] for r in rounds) / total_s, 1),
            "holds_per_s": round(sum(r["held"] for r in rounds) / total_s, 1),
            "holds_per_round": [r["held"] for r in rounds],
            "double_bookings": sum(r["double_booked_compartments"] for r in rounds),
            "errors": sum(r["errors"] for r in rounds),
            "goal": {"double_bookings": 0},
            "rounds": rounds,
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(
            json.dumps(
                {
                    k: result[k]
                    for k in ("attempts_per_s", "holds_per_s", "double_bookings", "errors")
                }
            )
        )
    finally:
        connections.close_all()
        if not args.keep_db:
            drop_database(admin_url, BENCH_DB)


if __name__ == "__main__":
    main()
