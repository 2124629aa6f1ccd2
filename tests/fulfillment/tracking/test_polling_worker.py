"""Polling through real Celery workers against the real sandbox: every shipment ends in the
sandbox's state; with 30% faults and a worker SIGKILLed mid-batch nothing is lost, no event is
stored twice and no notification is sent twice (checked against the sandbox's own record)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.models import Notification, Shipment, ShipmentEvent
from fulfillment.tracking.notifications import OUTDATED, update_settings
from fulfillment.tracking.polling import plan_polls
from fulfillment.tracking.status import FINAL_STATUSES
from tests.factories.orders import make_order
from tests.fulfillment.tracking.worker_process import kill_worker, start_worker, stop_worker
from tests.support.couriers import SANDBOX_KEY, start_sandbox
from tests.support.helpers import ARTIFACTS, wait_for
from tests.support.tracking import add_shipment, book_at_sandbox, sandbox_account

THIRTY_PERCENT_FAULTS = {
    "http_5xx": {"rate": 0.10, "status": 503},
    "http_429": {"rate": 0.06, "retry_after_s": 0},
    "truncated": {"rate": 0.05},
    "malformed": {"rate": 0.05},
    "timeout": {"rate": 0.04, "sleep_s": 3.0},
    "duplicate_events": True,
    "out_of_order_events": True,
}


def sandbox_truth(url: str, numbers: list[str]) -> dict[str, tuple[str, int]]:
    """number → (status, distinct events) as the sandbox answers without faults."""
    with CourierHttp(account_id=f"truth-{uuid.uuid4().hex}") as http:
        adapter = get_adapter("sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=url,
                              http=http)  # fmt: skip
        results = adapter.track(numbers)
    return {n: (r.status.value, len(r.unique_events)) for n, r in results.items()}


def stored_state(numbers: list[str]) -> dict[str, tuple[str, int]]:
    shipments = Shipment.objects.filter(tracking_number__in=numbers)
    counts = Counter(
        ShipmentEvent.objects.filter(shipment__in=shipments).values_list(
            "shipment__tracking_number", flat=True
        )
    )
    return {s.tracking_number: (s.status, counts[s.tracking_number]) for s in shipments}


def all_final(numbers: list[str]) -> bool:
    return (
        not Shipment.objects.filter(tracking_number__in=numbers)
        .exclude(status__in=FINAL_STATUSES)
        .exists()
    )


def cycle(lease_s: float = 3.0) -> None:
    """One beat tick, with the clock two days on so that every live shipment is due (and
    notifications whose task was lost with the killed worker are queued again after 5 s)."""
    plan_polls(
        now=timezone.now() + dt.timedelta(days=2),
        lease=dt.timedelta(seconds=lease_s),
        notification_grace=dt.timedelta(seconds=5),
    )


@pytest.mark.django_db(transaction=True)
def test_polling_through_the_worker_brings_shipments_to_the_sandboxs_state(
    merchant_a, celery_worker
):
    sandbox = start_sandbox("--speed", "200000")
    try:
        account, service = sandbox_account(merchant_a.merchant, sandbox.url)
        numbers = book_at_sandbox(sandbox.url, 12)
        order = make_order(merchant_a.merchant)
        for number in numbers:
            add_shipment(account, service, number=number, order=order)
        time.sleep(5)  # every journey has ended on the sandbox's fast clock
        sandbox.reset()
        cycle(lease_s=30)
        wait_for(lambda: all_final(numbers), timeout=60)
        assert stored_state(numbers) == sandbox_truth(sandbox.url, numbers)
        # 12 numbers in one batch request, plus the change-feed pages (same stats key).
        assert sandbox.stats()["GET /track"] <= 4
        assert not Shipment.objects.filter(tracking_number__in=numbers, next_poll_at__isnull=False)
    finally:
        sandbox.stop()


@pytest.mark.django_db(transaction=True)
def test_with_30_percent_faults_and_a_worker_killed_mid_batch_the_truth_survives(
    merchant_a, settings, tmp_path
):
    queue = f"nearbox-test-faults-{uuid.uuid4().hex[:8]}"
    settings.NEARBOX_TRACKING_QUEUE = queue
    mails = tmp_path / "mail"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mails),
        "NEARBOX_SMS_BACKEND": "fulfillment.tracking.sms.FileSmsBackend",
        "NEARBOX_SMS_FILE_PATH": str(tmp_path / "sms.jsonl"),
    }
    log = ARTIFACTS / "tracking-faults-worker.log"
    ARTIFACTS.mkdir(exist_ok=True)
    sandbox = start_sandbox("--speed", "200000", "--failed-share", "0.2",
                            "--exception-share", "0.1", "--return-share", "0.1")  # fmt: skip
    worker = start_worker(queue, log=log, extra_env=env, concurrency=3)
    try:
        account, service = sandbox_account(merchant_a.merchant, sandbox.url, rps=200)
        update_settings(merchant=merchant_a.merchant, sms_enabled=True)
        numbers = book_at_sandbox(sandbox.url, 150)
        order = make_order(merchant_a.merchant)
        for number in numbers:
            add_shipment(account, service, number=number, order=order)
        time.sleep(2)  # journeys under way: some done, some not yet
        # First cycle slow on purpose so that the kill lands while batches are in flight.
        sandbox.faults(latency_ms=1500, **THIRTY_PERCENT_FAULTS)
        cycle()
        time.sleep(1.0)
        kill_worker(worker)
        sandbox.faults(latency_ms=0)
        worker = start_worker(queue, log=log, extra_env=env, concurrency=3)
        deadline = time.monotonic() + 150
        while not all_final(numbers) and time.monotonic() < deadline:
            cycle()
            time.sleep(1.5)
        assert all_final(numbers), "some shipments never reached a final state"
        stats = sandbox.stats()
        sandbox.reset()  # the truth is read without faults
        assert stored_state(numbers) == sandbox_truth(sandbox.url, numbers)
        assert stats["GET /track"] > 3  # polling really went through the faulty sandbox
        # Notifications: rows unique per kind (constraint); each sent at most once.
        rows = Notification.objects.filter(shipment__tracking_number__in=numbers)

        def all_handled() -> bool:
            cycle()
            return not rows.filter(state="pending").exists()

        wait_for(all_handled, timeout=60, every=2)
        assert rows.exists()
        # Read in this order, so that a chunk still being sent cannot make a false failure: a
        # row is marked sent after its mail is written, and a mailed row is never pending again.
        marked_sent = {str(pk) for pk in rows.filter(state="sent").values_list("pk", flat=True)}
        sent_ids = re.findall(
            r"X-Nearbox-Notification: (\d+)",
            "".join(p.read_text() for p in mails.glob("*")) if mails.exists() else "",
        )
        claimed = rows.filter(state__in=["sent", "sending"]).values_list("pk", flat=True)
        assert sent_ids and max(Counter(sent_ids).values()) == 1
        # Every row marked sent was mailed; every mail is of a row marked sent, or of one still
        # "sending" (a chunk in flight, or the killed worker's: never sent a second time).
        assert marked_sent <= set(sent_ids) <= {str(pk) for pk in claimed}
        # On the sandbox's fast clock many parcels are delivered before their "on its way"
        # goes out: such a message is skipped as outdated, never sent late.
        assert not rows.exclude(state__in=["sent", "sending", "skipped"]).exists()
        assert set(rows.filter(state="skipped").values_list("detail", flat=True)) <= {OUTDATED}
        texts = [json.loads(line)["reference"] for line in (tmp_path / "sms.jsonl").open()]
        assert texts and max(Counter(texts).values()) == 1
    finally:
        stop_worker(worker)
        sandbox.stop()
