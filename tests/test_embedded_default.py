"""The embedded default (SQLite, what `make run` uses) answers the checkout: the demo data loads
and delivery options come back with home services, lockers and shops. The rest of the suite runs
on PostgreSQL, so raw SQL that only PostgreSQL speaks would otherwise pass every other test."""

from __future__ import annotations

import json

from tests.test_deploy_check import production_env, run_manage

OPTIONS = """
import json
from lockers.parcels import Parcel
from lockers.services import options
from merchant.models import Merchant
merchant = Merchant.objects.get(pk={merchant_id})
answer = options.delivery_options(
    merchant=merchant,
    destination=options.resolve_destination(postal_code="60614"),
    parcel=Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=50),
)
print(json.dumps(answer))
"""


def test_the_demo_answers_delivery_options_on_sqlite(tmp_path):
    env = production_env(tmp_path, DEBUG="1")
    assert run_manage(env, "migrate", "-v0").returncode == 0
    demo = run_manage(env, "seed_demo", "--json")  # the whole demo, in one command
    assert demo.returncode == 0, demo.stderr
    merchant_id = json.loads(demo.stdout.strip().splitlines()[-1])["merchant_id"]

    shell = run_manage(env, "shell", "-c", OPTIONS.format(merchant_id=merchant_id))

    assert shell.returncode == 0, shell.stderr
    answer = json.loads(shell.stdout.strip().splitlines()[-1])
    assert answer["home"], "no home-delivery service priced"
    assert answer["lockers"] and all(locker["compartment_size"] for locker in answer["lockers"])
    assert answer["shops"]
    distances = [locker["distance_m"] for locker in answer["lockers"]]
    assert distances == sorted(distances)


COUNTS = """
import json
from django.apps import apps
print(json.dumps({m._meta.label: m.objects.count() for m in apps.get_models()}))
"""


def test_one_seed_demo_loads_the_whole_demo_and_a_second_run_changes_nothing(tmp_path):
    env = production_env(tmp_path, DEBUG="1")
    assert run_manage(env, "migrate", "-v0").returncode == 0

    first = run_manage(env, "seed_demo")
    assert first.returncode == 0, first.stderr
    after_first = json.loads(run_manage(env, "shell", "-c", COUNTS).stdout.strip().splitlines()[-1])
    second = run_manage(env, "seed_demo")
    assert second.returncode == 0, second.stderr
    after_second = json.loads(
        run_manage(env, "shell", "-c", COUNTS).stdout.strip().splitlines()[-1]
    )

    for model in (
        "merchant.Merchant",
        "fulfillment.CourierAccount",
        "lockers.LockerBank",
        "fulfillment.Order",
        "fulfillment.Shipment",
    ):
        assert after_first[model] > 0, f"seed_demo loaded no {model}"
    changed = {
        label: (count, after_second[label])
        for label, count in after_first.items()
        if after_second[label] != count and not label.startswith(("sessions.", "admin."))
    }
    assert not changed, f"a second seed_demo changed row counts: {changed}"
    # Quiet: about a line per step, no font-subsetting or rendering logs (the labels step renders
    # 17 PDFs; it printed ~1,600 lines of fontTools and HarfBuzz messages before).
    output = first.stdout + first.stderr
    assert "fontTools" not in output and "HarfBuzz" not in output, output
    assert len(output.splitlines()) <= 15, output
