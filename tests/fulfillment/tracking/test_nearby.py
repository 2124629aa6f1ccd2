"""The "your courier is nearby" message: decided from each newly stored courier position (the
courier says it is arriving, or its ETA or straight-line distance is under the settings'
thresholds), created once per shipment even under concurrent positions, as the merchant's
settings allow, and worded from the courier's latest position when sent."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.models import Notification, Order
from fulfillment.tracking import nearby
from fulfillment.tracking.ingest import ingest_results
from fulfillment.tracking.notifications import send_notification, update_settings
from fulfillment.tracking.positions import Position, receive_position
from tests.support.tracking import add_shipment, event, result, sandbox_account


def offset(point: tuple[float, float], metres_north: float) -> tuple[float, float]:
    return (point[0] + metres_north / 111_195.0, point[1])


@pytest.fixture
def carried(merchant_a):
    """A shipment whose courier has the parcel (in transit), to a geocoded address."""
    account, service = sandbox_account(merchant_a.merchant)
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    ingest_results(account=account, results={n: result(n, event(n, S.IN_TRANSIT, timezone.now()))})
    shipment.refresh_from_db()
    assert shipment.status == "in_transit" and shipment.order.latitude is not None
    return shipment


def store(shipment, at: tuple[float, float], *, seconds_ago: float = 0, **fields) -> bool:
    recorded = timezone.now() - dt.timedelta(seconds=seconds_ago)
    position = Position(at[0], at[1], recorded, courier_name="Sam Rivers", vehicle="bike", **fields)
    return receive_position(
        merchant_id=shipment.merchant_id, shipment_id=shipment.pk, position=position
    )


def nearby_rows(shipment) -> list[Notification]:
    return list(Notification.objects.filter(shipment=shipment, kind="nearby"))


# Also on SQLite: nearby.NEWS_SQL is hand-written and runs under `make run`.
@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_courier_far_away_sends_nothing_and_the_first_near_position_queues_one_message(
    carried, settings
):
    settings.NEARBOX_NEARBY_DISTANCE_M = 500
    home = nearby.dropoff_point(carried)
    store(carried, offset(home, 3000), seconds_ago=30)
    assert nearby_rows(carried) == []
    store(carried, offset(home, 400), seconds_ago=20)
    for seconds_ago in (10, 5, 0):  # the courier keeps reporting on the doorstep
        store(carried, offset(home, 50), seconds_ago=seconds_ago)
    rows = nearby_rows(carried)
    assert len(rows) == 1 and rows[0].state == Notification.State.PENDING


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "fields",
    [{"arriving": True}, {"eta_at_in": 120}],
    ids=["the courier says it is arriving", "its ETA is under the threshold"],
)
def test_the_courier_is_near_by_its_own_word_or_its_eta_even_far_in_a_straight_line(
    carried, settings, fields
):
    settings.NEARBOX_NEARBY_ETA_SECONDS = 300
    far = offset(nearby.dropoff_point(carried), 5000)
    store(carried, far, seconds_ago=5, eta_at=timezone.now() + dt.timedelta(seconds=900))
    assert nearby_rows(carried) == []
    if "eta_at_in" in fields:
        fields = {"eta_at": timezone.now() + dt.timedelta(seconds=fields["eta_at_in"])}
    store(carried, far, **fields)
    assert len(nearby_rows(carried)) == 1


# Also on SQLite: nearby.NEWS_SQL is hand-written and runs under `make run`.
@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_no_message_before_the_pickup_from_an_old_position_to_a_locker_or_when_switched_off(
    merchant_a, carried, settings
):
    settings.NEARBOX_LIVE_POSITION_MAX_AGE_SECONDS = 180
    home = nearby.dropoff_point(carried)
    # A position from ten minutes ago, delivered late: old news.
    store(carried, home, seconds_ago=600)
    assert nearby_rows(carried) == []
    # On the way to the shop (parcel not picked up yet): near the shopper means nothing.
    account, service = carried.account, carried.service
    waiting = add_shipment(account, service)
    store(waiting, home)
    assert nearby_rows(waiting) == []
    # A locker order: the courier is near the locker, the shopper is elsewhere.
    to_locker = add_shipment(account, service, status="in_transit")
    Order.objects.filter(pk=to_locker.order_id).update(pickup_location_ref="LOCKER-9")
    store(to_locker, home)
    assert nearby_rows(to_locker) == []
    # The merchant switched the message off.
    update_settings(merchant=merchant_a.merchant, nearby=False)
    store(carried, home)
    assert nearby_rows(carried) == []


@pytest.mark.django_db(transaction=True)
def test_no_message_once_the_parcel_is_delivered_even_if_queued_before(carried):
    home = nearby.dropoff_point(carried)
    store(carried, home)
    (note,) = nearby_rows(carried)
    n = carried.tracking_number
    ingest_results(
        account=carried.account,
        results={n: result(n, event(n, S.IN_TRANSIT, timezone.now() - dt.timedelta(minutes=1)),
                           event(n, S.DELIVERED, timezone.now()))},
    )  # fmt: skip
    mail.outbox.clear()
    send_notification(notification_id=note.pk)
    note.refresh_from_db()
    assert note.state == Notification.State.SKIPPED
    assert not [m for m in mail.outbox if "away" in m.subject or "door" in m.subject]


@pytest.mark.django_db(transaction=True)
def test_the_message_names_the_courier_and_the_minutes_and_goes_out_once(carried, settings):
    settings.NEARBOX_SMS_BACKEND = "fulfillment.tracking.sms.LocmemSmsBackend"
    from fulfillment.tracking import sms

    sms.outbox.clear()
    update_settings(merchant=carried.merchant, sms_enabled=True)
    home = nearby.dropoff_point(carried)
    eta = timezone.now() + dt.timedelta(minutes=3, seconds=50)
    store(carried, offset(home, 900), eta_at=eta)
    (note,) = nearby_rows(carried)
    mail.outbox.clear()
    send_notification(notification_id=note.pk)
    assert send_notification(notification_id=note.pk) is None  # a redelivered task
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "Sam is about 4 minutes away with your parcel"
    assert "Sam is about 4 minutes away with your parcel." in email.body
    assert "(bike)" in email.body and carried.public_token in email.body
    assert "Sam is about 4 minutes away" in email.alternatives[0][0]
    assert len(sms.outbox) == 1
    assert sms.outbox[0].body.startswith("Shop A: Sam is about 4 minutes away with your parcel.")


@pytest.mark.django_db(transaction=True)
def test_markup_in_the_courier_name_is_escaped_in_the_html_mail(carried):
    home = nearby.dropoff_point(carried)
    position = Position(
        home[0], home[1], timezone.now(), courier_name="<script>x</script>", vehicle="<b>car"
    )
    receive_position(merchant_id=carried.merchant_id, shipment_id=carried.pk, position=position)
    (note,) = nearby_rows(carried)
    mail.outbox.clear()
    send_notification(notification_id=note.pk)
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>x" not in html and "&lt;script&gt;" in html and "<b>car" not in html


@pytest.mark.django_db(transaction=True)
def test_two_positions_stored_at_once_create_one_message(carried):
    """Two workers store near positions of the same courier concurrently (PostgreSQL): the
    unique constraint lets one of them create the row; the other creates nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL")
    home = nearby.dropoff_point(carried)
    barrier = threading.Barrier(2)
    made: list[object] = []

    def worker(seconds_ago: float) -> None:
        try:
            barrier.wait(timeout=10)
            position = Position(
                home[0], home[1], timezone.now() - dt.timedelta(seconds=seconds_ago)
            )
            # Each thread decides for itself, as two webhook requests would.
            made.append(nearby.position_stored(shipment_id=carried.pk, position=position))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(nearby_rows(carried)) == 1
    assert sum(1 for m in made if m is not None) == 1


def test_distance_is_the_great_circle_distance():
    # One degree of latitude is about 111.2 km anywhere.
    assert nearby.distance_m((41.0, -87.0), (42.0, -87.0)) == pytest.approx(111_195, rel=1e-3)
    assert nearby.distance_m((41.9, -87.6), (41.9, -87.6)) == 0
