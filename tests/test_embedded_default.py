"""The embedded default (SQLite, what `make run` uses) answers the checkout: the demo data loads
and delivery options come back with home services, lockers and shops. The rest of the suite runs
on PostgreSQL, so raw SQL that only PostgreSQL speaks would otherwise pass every other test."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

import pytest

from tests.fulfillment.capacity.make_run_requests import REQUESTS as RISK_AND_CAPACITY_REQUESTS
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
    env = production_env(
        tmp_path_factory.mktemp("embedded"), DEBUG="1", ALLOWED_HOSTS="testserver,localhost"
    )
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


@pytest.fixture(scope="module")
def demo_answers(demo) -> dict:
    """The address risk and capacity pages and APIs on the demo (#20), as `make run` serves them."""
    shell = run_manage(demo.env, "shell", "-c", RISK_AND_CAPACITY_REQUESTS)
    assert shell.returncode == 0, shell.stderr[-3000:]
    return json.loads(shell.stdout.strip().splitlines()[-1])


def test_nothing_answers_500_on_the_demo_on_sqlite(demo_answers):
    failures = {
        k: v[1][-800:] for k, v in demo_answers.items() if isinstance(v[0], int) and v[0] >= 500
    }
    assert not failures, failures
    assert demo_answers["settings rows written by the shopper"][0] == 0


def test_the_pages_and_apis_answer_with_the_demos_figures(demo_answers):
    status = {k: v[0] for k, v in demo_answers.items()}
    assert status["page capacity point=''"] == 200
    assert "parcels expected" in demo_answers["page capacity point=''"][1]
    assert status["page risk"] == 200 and status["page risk preview '20'"] == 200
    assert status["page risk preview 'nan'"] == 400
    assert status["api capacity"] == 200 and json.loads(demo_answers["api capacity"][1])["points"]
    assert status["api capacity point=nan"] == 422
    assert status["api pickup put hostile"] == 422 and status["api risk preview inf"] == 422
    assert status["api risk order unknown"] == 404 and status["api risk"] == 200
    assert demo_answers["risk warnings"][0] == 0, demo_answers["risk warnings"][1]
    assert status["shop options 'PO Box 12'"] == 200, demo_answers["shop options 'PO Box 12'"]
    po_box = json.loads(demo_answers["shop options 'PO Box 12'"][1])
    assert po_box["risk"]["reasons"][0]["code"] == "po_box"
    assert status["shop options 'x\\x00y'"] in (200, 422)
