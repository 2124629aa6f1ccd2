"""The embedded default (SQLite, what `make run` uses) answers the checkout: the demo data loads
and delivery options come back with home services, lockers and shops. The rest of the suite runs
on PostgreSQL, so raw SQL that only PostgreSQL speaks would otherwise pass every other test."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

import pytest

from tests.test_deploy_check import production_env, run_manage

OPTIONS = """
import json
from lockers.parcels import Parcel
from lockers.services import options
from demo.seeders.merchant import DEMO_SLUG
from merchant.models import Merchant
merchant = Merchant.objects.get(slug=DEMO_SLUG)
answer = options.delivery_options(
    merchant=merchant,
    destination=options.resolve_destination(postal_code="60614"),
    parcel=Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=50),
)
print(json.dumps(answer))
"""


@dataclass
class Demo:
    env: dict[str, str]
    first_run: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """One SQLite database, migrated and loaded by one `seed_demo` (the whole demo, in one
    command), for the tests of this module: each migrate + seed takes about 12 s."""
    env = production_env(tmp_path_factory.mktemp("embedded"), DEBUG="1")
    assert run_manage(env, "migrate", "-v0").returncode == 0
    return Demo(env, run_manage(env, "seed_demo"))


def test_the_demo_answers_delivery_options_on_sqlite(demo):
    assert demo.first_run.returncode == 0, demo.first_run.stderr

    shell = run_manage(demo.env, "shell", "-c", OPTIONS)

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


def test_one_seed_demo_loads_the_whole_demo_and_a_second_run_changes_nothing(demo):
    env, first = demo.env, demo.first_run
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
