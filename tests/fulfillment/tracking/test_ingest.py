"""One status model: events stored once, out-of-order news never moves a parcel backwards,
state derived from events, adaptive intervals, notifications once each, the ETA window."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.couriers.adapters.errors import CourierUnavailable
from fulfillment.couriers.adapters.types import DeliveryWindow
from fulfillment.models import Notification, Shipment, ShipmentEvent
from fulfillment.tracking import intervals
from fulfillment.tracking.eta import EtaTable, Sample, narrowest_band
from fulfillment.tracking.ingest import ingest_results
from fulfillment.tracking.notifications import send_notification, update_settings
from fulfillment.tracking.signals import shipment_status_changed
from tests.support.tracking import add_shipment, event, result, sandbox_account

# The tests marked sqlite also run on SQLite (ingest has a PostgreSQL branch); the query count
# is the PostgreSQL path's (SQLite writes row by row).

T0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


@pytest.fixture
def setup(merchant_a):
    account, service = sandbox_account(merchant_a.merchant)
    return account, service


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_an_event_fetched_three_times_is_stored_once(setup):
    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    picked = event(n, S.IN_TRANSIT, hours(1), "picked up")
    for _ in range(3):
        ingest_results(account=account, results={n: result(n, picked, picked)}, polled=True)
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1
    shipment.refresh_from_db()
    assert shipment.status == "in_transit" and shipment.handed_over_at == hours(1)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_late_older_scan_does_not_move_the_parcel_backwards(setup):
    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    out = event(n, S.OUT_FOR_DELIVERY, hours(5), "out for delivery")
    ingest_results(account=account, results={n: result(n, out)})
    late_transit = event(n, S.IN_TRANSIT, hours(2), "arrived at depot")  # older, arrives later
    ingest_results(account=account, results={n: result(n, late_transit)})
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 2
    # The courier's own later timestamp moves it on: a failed attempt after the round.
    failed = event(n, S.FAILED_ATTEMPT, hours(6), "delivery attempted")
    ingest_results(account=account, results={n: result(n, failed)})
    shipment.refresh_from_db()
    assert shipment.status == "failed_attempt"
    assert shipment.status_changed_at == hours(6)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_an_exception_then_repacked_parcel_is_back_in_transit_by_the_couriers_timestamps(setup):
    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    events = [
        event(n, S.IN_TRANSIT, hours(1), "picked"),
        event(n, S.EXCEPTION, hours(2), "damaged"),
        event(n, S.IN_TRANSIT, hours(5), "repacked"),
    ]
    ingest_results(account=account, results={n: result(n, *reversed(events))})
    shipment.refresh_from_db()
    assert shipment.status == "in_transit" and shipment.status_text == "repacked"


@pytest.mark.django_db(transaction=True)
def test_queries_per_batch_do_not_grow_with_the_batch(setup):
    account, service = setup

    def run(size: int) -> int:
        shipments = [add_shipment(account, service) for _ in range(size)]
        results = {
            s.tracking_number: result(
                s.tracking_number,
                event(s.tracking_number, S.IN_TRANSIT, hours(1), "picked"),
                event(s.tracking_number, S.OUT_FOR_DELIVERY, hours(3), "out"),
            )
            for s in shipments
        }
        with CaptureQueriesContext(connection) as queries:
            ingest_results(account=account, results=results, polled=True)
        return len(queries)

    run(1)  # the first batch of a merchant also builds its ETA table (cached after)
    # 10 for the shipments, 4 for their orders (lock, status, history, messages already sent)
    assert run(2) == run(20) <= 14


@pytest.mark.sqlite
def test_adaptive_intervals_follow_the_parcel():
    rng = random.Random(1)
    now = T0
    out = intervals.next_poll(status=S.OUT_FOR_DELIVERY, now=now, last_event_at=now, rng=rng)
    assert dt.timedelta(minutes=5) <= out.at - now <= dt.timedelta(minutes=10)
    moving = intervals.next_poll(status=S.IN_TRANSIT, now=now, last_event_at=now, rng=rng)
    assert dt.timedelta(minutes=54) <= moving.at - now <= dt.timedelta(minutes=66)
    quiet = intervals.next_poll(
        status=S.IN_TRANSIT, now=now, last_event_at=now - dt.timedelta(days=2), rng=rng
    )
    assert quiet.at - now >= dt.timedelta(hours=21)
    assert intervals.next_poll(status=S.DELIVERED, now=now, last_event_at=now).at is None
    stuck = intervals.next_poll(
        status=S.IN_TRANSIT, now=now, last_event_at=now - dt.timedelta(days=6)
    )
    assert stuck.at is None and stuck.stuck
    pushed = intervals.next_poll(status=S.OUT_FOR_DELIVERY, now=now, last_event_at=now, pushed=True)
    assert pushed.at - now >= dt.timedelta(hours=10)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_silent_parcel_becomes_stuck_and_joins_the_exceptions_queue(setup, merchant_a):
    from fulfillment.tracking.selectors import exception_count, shipment_exceptions

    account, service = setup
    shipment = add_shipment(account, service, booked_at=timezone.now() - dt.timedelta(days=8))
    n = shipment.tracking_number
    old = event(n, S.IN_TRANSIT, timezone.now() - dt.timedelta(days=7), "picked")
    ingest_results(account=account, results={n: result(n, old)}, polled=True)
    shipment.refresh_from_db()
    assert shipment.is_stuck and shipment.next_poll_at is None
    assert list(shipment_exceptions(merchant_a.merchant)) == [shipment]
    assert exception_count(merchant_a.merchant) >= 1


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_failed_poll_is_retried_soon_with_backoff(setup):
    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    now = timezone.now()
    ingest_results(
        account=account, results={n: CourierUnavailable("down", courier="sandbox")}, polled=True
    )
    shipment.refresh_from_db()
    assert shipment.poll_failures == 1 and shipment.last_error == "down"
    assert now < shipment.next_poll_at <= now + dt.timedelta(minutes=7)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_each_notification_is_sent_once_with_the_branded_email(setup, merchant_a, settings):
    settings.NEARBOX_SMS_BACKEND = "fulfillment.tracking.sms.LocmemSmsBackend"
    from fulfillment.tracking import sms

    sms.outbox.clear()
    update_settings(merchant=merchant_a.merchant, sms_enabled=True, delivered=False)
    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    window = DeliveryWindow(hours(20), hours(24))
    seen = []
    shipment_status_changed.connect(lambda **kw: seen.append(kw["new_status"]), weak=False)
    shipped = event(n, S.IN_TRANSIT, hours(1), "picked")
    for _ in range(2):  # the same news twice: one notification row
        report = ingest_results(account=account, results={n: result(n, shipped, estimate=window)})
    assert Notification.objects.filter(shipment=shipment).count() == 1
    note = Notification.objects.get(shipment=shipment)
    assert note.kind == "shipped"
    # The worker would send it; here in-process, twice (a redelivered task): one email.
    send_notification(notification_id=note.pk)
    assert send_notification(notification_id=note.pk) is None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ada@example.com"] and "Shop A" in email.subject
    html = email.alternatives[0][0]
    assert merchant_a.merchant.brand_color in html and shipment.public_token in html
    assert "Expected" in email.body
    assert len(sms.outbox) == 1 and sms.outbox[0].to == "+13125550100"
    # Delivered is switched off by the merchant: no row, nothing sent.
    done = event(n, S.DELIVERED, hours(22), "delivered")
    ingest_results(account=account, results={n: result(n, shipped, done)})
    assert not Notification.objects.filter(shipment=shipment, kind="delivered").exists()
    assert "in_transit" in seen and "delivered" in seen
    assert report.transitions == []  # the second identical batch changed nothing


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_pickup_notification_carries_the_code_from_the_lockers_hook(setup, merchant_a):
    from fulfillment.tracking import hooks

    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    provider = lambda s: "482913" if s.pk == shipment.pk else None  # noqa: E731
    hooks.PICKUP_CODE_PROVIDERS.append(provider)
    try:
        ready = event(n, S.AVAILABLE_FOR_PICKUP, hours(9), "available for pickup")
        ingest_results(account=account, results={n: result(n, ready)})
        note = Notification.objects.get(shipment=shipment, kind="available_for_pickup")
        send_notification(notification_id=note.pk)
    finally:
        hooks.PICKUP_CODE_PROVIDERS.remove(provider)
    assert "482913" in mail.outbox[-1].body


@pytest.mark.sqlite
def test_the_eta_window_is_the_narrowest_band_holding_the_coverage():
    band = narrowest_band([float(v) for v in [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]], 0.8)
    assert (band.low_s, band.high_s, band.samples) == (1, 8, 10)
    rng = random.Random(3)
    samples = [
        Sample({"courier": "1", "service": "2", "status": "in_transit"}, rng.uniform(10, 20))
        for _ in range(200)
    ] + [
        Sample({"courier": "1", "service": "2", "status": "out_for_delivery"}, rng.uniform(1, 3))
        for _ in range(200)
    ]
    table = EtaTable.fit(samples, coverage=0.8)
    window = table.predict({"courier": "1", "service": "2", "status": "out_for_delivery"}, T0)
    assert T0 + dt.timedelta(seconds=1) <= window.start < window.end
    assert window.end <= T0 + dt.timedelta(seconds=3) and window.confidence >= 0.8
    unknown = table.predict({"courier": "9", "service": "9", "status": "in_transit"}, T0)
    assert unknown is not None and unknown.end - unknown.start <= dt.timedelta(seconds=10)


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_the_courier_estimate_wins_and_history_fills_in_when_it_gives_none(setup):
    account, service = setup
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    window = DeliveryWindow(hours(20), hours(24))
    ingest_results(
        account=account,
        results={n: result(n, event(n, S.IN_TRANSIT, hours(1), "x"), estimate=window)},
    )
    shipment.refresh_from_db()
    assert (shipment.eta_from, shipment.eta_until, shipment.eta_source) == (
        hours(20), hours(24), "courier",
    )  # fmt: skip
    assert Shipment.objects.get(pk=shipment.pk).eta_confidence is None
