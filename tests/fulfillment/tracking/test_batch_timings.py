"""A polled batch reports where its time went (fetch, rate-limit wait, each storing phase) and,
when NEARBOX_TRACKING_TIMINGS_FILE is set, appends one JSON line for bench/tracking.py."""

from __future__ import annotations

import json
import time

import pytest

from fulfillment.tracking.polling import poll_batch
from tests.support.couriers import start_sandbox
from tests.support.tracking import add_shipment, book_at_sandbox, sandbox_account

STORING = ("lock", "insert", "read", "fold", "write", "notify", "commit")


@pytest.fixture(scope="module")
def fast_sandbox():
    server = start_sandbox("--speed", "100000")
    yield server
    server.stop()


@pytest.mark.django_db
def test_poll_batch_reports_and_logs_its_phase_timings(
    merchant_a, fast_sandbox, settings, tmp_path
):
    settings.NEARBOX_TRACKING_TIMINGS_FILE = str(tmp_path / "timings.jsonl")
    account, service = sandbox_account(merchant_a.merchant, fast_sandbox.url)
    numbers = book_at_sandbox(fast_sandbox.url, 3)
    time.sleep(0.5)  # the parcels' first events are visible on the sandbox's clock
    ids = [add_shipment(account, service, number=n).pk for n in numbers]

    started = time.perf_counter()
    report = poll_batch(account_id=account.pk, shipment_ids=ids)
    wall = time.perf_counter() - started

    assert report.shipments == 3 and report.events_seen >= 3
    timings = report.timings
    assert set(STORING) | {"prep", "fetch", "rate_wait", "total"} <= set(timings)
    assert all(value >= 0 for value in timings.values())
    parts = sum(timings[k] for k in (*STORING, "prep", "fetch", "rate_wait"))
    # The phases are laps of one clock: they never overlap, so they add up to at most the
    # total (how much less depends on the machine's load, so no tolerance is asserted).
    assert 0 < parts <= timings["total"] <= wall
    (line,) = (tmp_path / "timings.jsonl").read_text().splitlines()
    logged = json.loads(line)
    assert logged["numbers"] == 3
    assert logged["total"] == pytest.approx(timings["total"])
