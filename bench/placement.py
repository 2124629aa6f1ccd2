"""Placement on demo-like data: 10,000 past orders over Chicago and 30 candidate points.

    python -m bench.placement [--orders 10000] [--candidates 30] [--k 5]

Runs against a throwaway SQLite database (no server needed) and times the same service the
dashboard's background job runs, for both models (p-median and capacitated cost). Prints one
JSON object and writes bench/results/placement.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "placement.json"


def setup_django(workdir: str) -> None:
    os.environ.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        NEARBOX_VAR_DIR=workdir,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=30)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        setup_django(workdir)
        import zipcodes

        from demo.seeders.history import generate_demo_history
        from demo.seeders.merchant import DEMO_PRODUCTS
        from merchant.models import PlacementPlan, StoragePoint
        from merchant.services import jobs, placement
        from merchant.services.merchants import create_merchant
        from merchant.services.products import create_product

        merchant = create_merchant(
            name="Bench shop",
            owner_email="bench@example.com",
            owner_password=None,
            time_zone="America/Chicago",
        ).merchant
        products = [
            create_product(
                merchant=merchant,
                sku=sku,
                name=name,
                weight_g=w,
                length_mm=length,
                width_mm=width,
                height_mm=h,
                value=v,
            )
            for sku, name, w, length, width, h, v, _ in DEMO_PRODUCTS
        ]
        started = time.perf_counter()
        # The simulation draws over-dispersed Poisson counts around its target: aim a little
        # higher so that the history holds at least the number of orders asked for.
        written = generate_demo_history(
            merchant=merchant, products=products, orders=int(args.orders * 1.06)
        )
        assert written >= args.orders, f"only {written} orders simulated"
        history_seconds = time.perf_counter() - started
        rng = random.Random(11)
        zips = [
            z
            for z in zipcodes.filter_by(city="Chicago", state="IL")
            if z["zip_code_type"] == "STANDARD" and z["active"]
        ]
        for n, z in enumerate(rng.sample(zips, args.candidates)):
            StoragePoint.objects.create(
                merchant=merchant,
                name=f"Candidate {n + 1} ({z['zip_code']})",
                role=StoragePoint.Role.IN_USE if n < 2 else StoragePoint.Role.CANDIDATE,
                address_line="1 Bench St",
                city="Chicago",
                state="IL",
                postal_code=z["zip_code"],
                latitude=float(z["lat"]),
                longitude=float(z["long"]),
                capacity_units=rng.choice([500, 1500, 4000]),
                monthly_cost=rng.choice([40_000, 120_000, 300_000]),
                cost_per_order=80,
            )
        figures = {}
        for mode in ("pmedian", "cost"):
            started = time.perf_counter()
            plan = placement.request_plan(
                merchant=merchant, params=placement.PlanParams(mode=mode, k=args.k)
            )
            jobs.run_job(plan.job_id)  # what the Celery task runs, minus the queue
            seconds = time.perf_counter() - started
            plan.refresh_from_db()
            assert plan.status == PlacementPlan.Status.READY, plan.error
            figures[mode] = {
                "seconds": round(seconds, 2),
                "solver": plan.result["solver"],
                "points_used": len(plan.metrics_plan["points"]),
                "today": plan.metrics_today,
                "plan": plan.metrics_plan,
            }
        report = {
            "benchmark": "placement",
            "orders": written,
            "demand_clusters": len(plan.result["clusters"]),
            "candidates": args.candidates,
            "k": args.k,
            "history_seconds": round(history_seconds, 2),
            "modes": figures,
            "goal_seconds": 30,
            "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
