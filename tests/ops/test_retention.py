"""Retention (fulfillment/housekeeping): old logs and receipts go in small batches, what is still
in use stays. All but the worker test are marked sqlite: the deletes run on `make run`'s SQLite
too."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from fulfillment.housekeeping.services.retention import enforce_retention
from fulfillment.housekeeping.tasks import enforce_retention as enforce_retention_task
from fulfillment.models import ShipmentEvent, WebhookReceipt
from integrations.models import InboundWebhook, WebhookDelivery, WebhookEvent
from merchant.models import Job
from tests.factories.couriers import make_account, make_shipment
from tests.factories.integrations import make_delivery, make_endpoint, make_store
from tests.support.helpers import wait_for

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - dt.timedelta(days=400)
RECENT = NOW - dt.timedelta(days=1)
_seq = itertools.count()


def receipt(account, at: dt.datetime) -> WebhookReceipt:
    return WebhookReceipt.objects.create(account=account, nonce=f"n{next(_seq)}", received_at=at)


def event(shipment, status: str, at: dt.datetime, **fields) -> ShipmentEvent:
    return ShipmentEvent.objects.create(
        merchant=shipment.merchant,
        shipment=shipment,
        event_id=f"e{next(_seq)}",
        status=status,
        occurred_at=at,
        source="courier",
        created_at=at,
        **fields,
    )


@pytest.mark.sqlite
def test_old_webhook_receipts_go_in_batches_and_recent_ones_stay(merchant_a):
    account = make_account(merchant_a.merchant)
    old = [receipt(account, OLD) for _ in range(7)]
    recent = receipt(account, RECENT)

    run = enforce_retention(now=NOW, batch_size=3)

    assert run.finished
    assert run.deleted["webhook_receipts"] == 7
    assert not WebhookReceipt.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert WebhookReceipt.objects.filter(pk=recent.pk).exists()
    # Idempotent: a second run finds nothing more to delete.
    assert enforce_retention(now=NOW, batch_size=3).deleted["webhook_receipts"] == 0


@pytest.mark.sqlite
def test_a_run_stops_at_its_deadline_and_the_next_goes_on(merchant_a):
    account = make_account(merchant_a.merchant)
    for _ in range(5):
        receipt(account, OLD)

    stopped = enforce_retention(now=NOW, batch_size=2, seconds=0)
    assert not stopped.finished
    assert WebhookReceipt.objects.count() == 5

    assert enforce_retention(now=NOW, batch_size=2).deleted["webhook_receipts"] == 5
    assert WebhookReceipt.objects.count() == 0


@pytest.mark.sqlite
def test_a_retention_of_zero_days_keeps_rows_for_ever(merchant_a, settings):
    settings.NEARBOX_RETENTION_WEBHOOK_RECEIPTS_DAYS = 0
    receipt(make_account(merchant_a.merchant), OLD)

    assert "webhook_receipts" not in enforce_retention(now=NOW).deleted
    assert WebhookReceipt.objects.count() == 1


@pytest.mark.sqlite
def test_finished_jobs_go_and_running_ones_stay(merchant_a):
    m = merchant_a.merchant
    done = Job.objects.create(merchant=m, kind="k", title="t", state="succeeded", finished_at=OLD)
    failed = Job.objects.create(merchant=m, kind="k", title="t", state="failed", finished_at=OLD)
    fresh = Job.objects.create(
        merchant=m, kind="k", title="t", state="succeeded", finished_at=RECENT
    )
    running = Job.objects.create(merchant=m, kind="k", title="t", state="running", started_at=OLD)

    assert enforce_retention(now=NOW).deleted["jobs"] == 2

    kept = set(Job.objects.values_list("pk", flat=True))
    assert kept == {fresh.pk, running.pk}
    assert done.pk not in kept and failed.pk not in kept


@pytest.mark.sqlite
def test_processed_store_webhooks_go_and_queued_ones_stay(merchant_a):
    connection = make_store(merchant_a.merchant)

    def inbound(state: str, at: dt.datetime) -> InboundWebhook:
        return InboundWebhook.objects.create(
            merchant=merchant_a.merchant,
            connection=connection,
            delivery_id=f"d{next(_seq)}",
            topic="orders/create",
            payload={"id": 1},
            state=state,
            received_at=at,
        )

    gone = [inbound(s, OLD) for s in ("done", "ignored", "failed")]
    queued = inbound("queued", OLD)
    recent = inbound("done", RECENT)

    assert enforce_retention(now=NOW).deleted["inbound_webhooks"] == 3

    kept = set(InboundWebhook.objects.values_list("pk", flat=True))
    assert kept == {queued.pk, recent.pk}
    assert not kept & {w.pk for w in gone}


@pytest.mark.sqlite
def test_old_outgoing_events_go_with_their_deliveries_unless_one_is_still_open(merchant_a):
    m = merchant_a.merchant
    endpoint = make_endpoint(m)
    delivered = make_delivery(m, endpoint=endpoint)
    retrying = make_delivery(m, endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=retrying.pk).update(state="pending")
    recent = make_delivery(m, endpoint=endpoint)
    WebhookEvent.objects.filter(pk__in=[delivered.event_id, retrying.event_id]).update(
        created_at=OLD
    )

    assert enforce_retention(now=NOW).deleted["webhook_events"] == 1

    assert not WebhookEvent.objects.filter(pk=delivered.event_id).exists()
    assert not WebhookDelivery.objects.filter(pk=delivered.pk).exists()
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {retrying.pk, recent.pk}


@pytest.mark.sqlite
def test_tracking_history_is_kept_with_its_shipment_by_default(merchant_a):
    shipment = make_shipment(merchant_a.merchant, status="delivered", status_changed_at=OLD)
    event(shipment, "in_transit", OLD)
    event(shipment, "delivered", OLD + dt.timedelta(hours=1))

    assert "tracking_events" not in enforce_retention(now=NOW).deleted
    assert shipment.events.count() == 2


@pytest.mark.sqlite
def test_long_finished_shipments_keep_their_last_event_and_proofs(merchant_a, settings):
    settings.NEARBOX_RETENTION_TRACKING_EVENTS_DAYS = 365
    m = merchant_a.merchant
    finished = make_shipment(m, status="delivered", status_changed_at=OLD)
    transit = event(finished, "in_transit", OLD)
    proof = event(finished, "failed_attempt", OLD + dt.timedelta(minutes=5), proof="proofs/x.jpg")
    out = event(finished, "out_for_delivery", OLD + dt.timedelta(minutes=10), proof=None)
    last = event(finished, "delivered", OLD + dt.timedelta(hours=1))
    # Still moving after a year (a lost parcel): every event stays.
    moving = make_shipment(m, status="in_transit", status_changed_at=OLD)
    moving_events = [event(moving, "info_received", OLD), event(moving, "in_transit", OLD)]
    # Finished yesterday: its history stays a year.
    recent = make_shipment(m, status="delivered", status_changed_at=RECENT)
    recent_events = [event(recent, "in_transit", OLD), event(recent, "delivered", RECENT)]

    assert enforce_retention(now=NOW, batch_size=1).deleted["tracking_events"] == 2

    assert set(finished.events.values_list("pk", flat=True)) == {proof.pk, last.pk}
    assert not ShipmentEvent.objects.filter(pk__in=[transit.pk, out.pk]).exists()
    assert moving.events.count() == len(moving_events)
    assert recent.events.count() == len(recent_events)
    assert enforce_retention(now=NOW).deleted["tracking_events"] == 0


@pytest.mark.sqlite
def test_cancelled_shipments_count_as_finished(merchant_a, settings):
    settings.NEARBOX_RETENTION_TRACKING_EVENTS_DAYS = 30
    shipment = make_shipment(merchant_a.merchant, status="info_received", cancelled_at=OLD)
    event(shipment, "pending", OLD)
    last = event(shipment, "info_received", OLD + dt.timedelta(minutes=1))

    enforce_retention(now=NOW)

    assert list(shipment.events.values_list("pk", flat=True)) == [last.pk]


@pytest.mark.sqlite
def test_the_beat_task_runs_the_retention(merchant_a):
    receipt(make_account(merchant_a.merchant), OLD)

    assert enforce_retention_task.apply().get()["webhook_receipts"] == 1
    assert WebhookReceipt.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_task_sent_as_beat_sends_it_runs_in_a_worker(celery_worker, merchant_a):
    account = make_account(merchant_a.merchant)
    old, recent = receipt(account, OLD), receipt(account, RECENT)

    enforce_retention_task.delay()

    wait_for(lambda: not WebhookReceipt.objects.filter(pk=old.pk).exists(), timeout=60)
    assert WebhookReceipt.objects.filter(pk=recent.pk).exists()
