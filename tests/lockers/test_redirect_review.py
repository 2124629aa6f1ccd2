"""Review of the one-click redirect and new day (#20 item 4): hostile place refs, a parcel the
courier still calls "in transit" that is already in its locker, a new day after a redirect,
a day asked again after another, and a redirect racing a courier's "delivered" or another
redirect. Each refusal is a clear 4xx and leaves nothing changed."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse

from fulfillment.models import (
    DeliveryReschedule,
    Order,
    ParcelRedirect,
    SentMessage,
    Shipment,
)
from fulfillment.tracking import reschedule
from lockers.models import Compartment, PickupParcel, Reservation
from lockers.services import redirects
from tests.factories.couriers import make_shipment
from tests.factories.lockers import LOOP, make_bank
from tests.factories.orders import make_order

TODAY = dt.date(2026, 12, 7)
HOSTILE_REFS = [
    "locker:²",  # str.isdigit() says yes, int() says no
    "locker:٣",
    "locker:99999999999999999999",
    "locker:-1",
    "locker:1\x00",
    "shop:",
    "bank:1",
    "",
]


@pytest.fixture(autouse=True)
def fresh_limits():
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*tracking-change*"):
        client.delete(key)


def failed_parcel(merchant, **fields):
    order = make_order(merchant, latitude=LOOP[0], longitude=LOOP[1])
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    order.refresh_from_db()
    fields.setdefault("status", "failed_attempt")
    return make_shipment(merchant, order=order, **fields)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_hostile_place_refs_are_404s_on_the_queue_the_api_and_the_service(
    merchant_a, client_a, api_client_a
):
    bank = make_bank(merchant_a.merchant)
    shipment = failed_parcel(merchant_a.merchant)
    queue = reverse("shipment_exception_action", kwargs={"shipment_id": shipment.pk})
    for ref in HOSTILE_REFS:
        with pytest.raises(Http404):
            redirects.redirect(shipment=shipment, place_ref=ref, requested_by="staff")
        page = client_a.post(queue, {"action": "redirect", "place": ref})
        assert page.status_code == 404, ref
        if ref and "\x00" not in ref:
            api = api_client_a.post(
                f"/api/v1/shipments/{shipment.pk}/redirect",
                {"place": ref},
                content_type="application/json",
            )
            assert api.status_code == 404 and api.json()["code"], ref
    assert not ParcelRedirect.objects.exists()
    assert not Reservation.objects.filter(bank=bank).exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_parcel_already_checked_in_is_not_redirected_though_the_courier_says_in_transit(
    merchant_a, api_client_a
):
    merchant = merchant_a.merchant
    home, other = make_bank(merchant, name="Home"), make_bank(merchant, name="Other")
    shipment = failed_parcel(merchant, status="in_transit")
    order = shipment.order
    compartment = Compartment.objects.filter(bank=home).first()
    Compartment.objects.filter(pk=compartment.pk).update(state="occupied")
    Order.objects.filter(pk=order.pk).update(
        delivery_kind="locker", pickup_location_ref=home.pickup_ref, status="at_pickup"
    )
    now = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
    PickupParcel.objects.create(
        merchant=merchant, order=order, tracking_number="T1", bank=home,
        compartment=compartment, token="t" * 32, code_hash="x", arrived_at=now,
        collect_by=now + dt.timedelta(days=7),
    )  # fmt: skip
    shipment.order.refresh_from_db()
    assert redirects.options(shipment) == []  # nothing offered that would be refused
    response = api_client_a.post(
        f"/api/v1/shipments/{shipment.pk}/redirect",
        {"place": other.pickup_ref},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "not_redirectable"
    order.refresh_from_db()
    assert order.pickup_location_ref == home.pickup_ref
    assert Compartment.objects.get(pk=compartment.pk).state == "occupied"
    assert not Reservation.objects.filter(bank=other).exists()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_no_home_delivery_day_after_a_redirect_for_shopper_staff_or_api(
    merchant_a, api_client_a, django_capture_on_commit_callbacks
):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Loop Locker")
    shipment = failed_parcel(merchant)
    redirects.redirect(shipment=shipment, place_ref=bank.pickup_ref, requested_by="shopper")
    before = Shipment.objects.get(pk=shipment.pk).promised_from
    day = reschedule.local_today(merchant) + dt.timedelta(days=2)
    client = Client()
    page = client.get(reverse("tracking_page", kwargs={"token": shipment.public_token}))
    assert 'name="day"' not in page.content.decode()  # not offered
    posted = client.post(
        reverse("tracking_shopper_change", kwargs={"token": shipment.public_token}),
        {"action": "reschedule", "day": day.isoformat()},
    )
    assert posted.status_code == 409 and "Loop Locker" in posted.content.decode()
    api = api_client_a.post(
        f"/api/v1/shipments/{shipment.pk}/reschedule",
        {"day": day.isoformat()},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["code"] == "not_reschedulable"
    assert not DeliveryReschedule.objects.exists()
    assert Shipment.objects.get(pk=shipment.pk).promised_from == before


@pytest.mark.sqlite
@pytest.mark.django_db
def test_back_to_an_earlier_day_moves_the_window_back_and_tells_the_shopper(
    merchant_a, django_capture_on_commit_callbacks
):
    shipment = failed_parcel(merchant_a.merchant)
    tue, thu = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=3)
    for day in (tue, thu, tue):
        with django_capture_on_commit_callbacks(execute=True):
            _record, created = reschedule.reschedule(
                shipment=shipment, day=day, requested_by="staff", max_days=5, today=TODAY
            )
        assert created or day == tue
    shipment.refresh_from_db()
    order = Order.objects.get(pk=shipment.order_id)
    assert shipment.promised_from.date() == tue and order.promised_from == shipment.promised_from
    latest = DeliveryReschedule.objects.filter(shipment=shipment).order_by("-created_at").first()
    assert latest.day == tue and latest.from_promised_from.date() == thu
    assert DeliveryReschedule.objects.filter(shipment=shipment).count() == 2  # one row a day
    assert SentMessage.objects.filter(order=order, event="rescheduled").count() == 3


def _wait_for_a_lock_waiter(deadline: float) -> None:
    """Until another backend waits on a row lock (the redirect, behind our update)."""
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else one snapshot a transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the redirect never waited for the shipment's row")


@pytest.mark.django_db(transaction=True)
def test_a_redirect_behind_a_courier_delivered_event_is_refused_and_holds_nothing(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, compartments={"M": 2})
    shipment = failed_parcel(merchant)
    locked, outcome = threading.Event(), []

    def courier_says_delivered() -> None:  # what tracking's ingest does, under the row lock
        try:
            with transaction.atomic():
                Shipment.objects.select_for_update().get(pk=shipment.pk)
                Shipment.objects.filter(pk=shipment.pk).update(status="delivered")
                locked.set()
                _wait_for_a_lock_waiter(time.monotonic() + 20)
        finally:
            connection.close()

    def staff_redirect() -> None:
        try:
            locked.wait(timeout=20)
            redirects.redirect(shipment=shipment, place_ref=bank.pickup_ref, requested_by="staff")
            outcome.append("redirected")
        except ValidationError as error:
            outcome.append(redirects.refusal_codes(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=courier_says_delivered),
        threading.Thread(target=staff_redirect),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=40)
    assert outcome == [{"not_redirectable"}]
    assert not ParcelRedirect.objects.exists()
    assert not Reservation.objects.filter(bank=bank).exclude(status="released").exists()
    assert Order.objects.get(pk=shipment.order_id).delivery_kind == "home"


@pytest.mark.django_db(transaction=True)
def test_a_shopper_and_staff_sending_it_to_two_places_at_once_leave_one_consistent_redirect(
    merchant_a,
):
    merchant = merchant_a.merchant
    first, second = make_bank(merchant, name="First"), make_bank(merchant, name="Second")
    shipment = failed_parcel(merchant)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def ask(who: str, ref: str) -> None:
        try:
            barrier.wait(timeout=10)
            redirects.redirect(shipment=shipment, place_ref=ref, requested_by=who)
            outcome[who] = "redirected"
        except ValidationError as error:
            outcome[who] = redirects.refusal_codes(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=ask, args=("shopper", first.pickup_ref)),
        threading.Thread(target=ask, args=("staff", second.pickup_ref)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(map(str, outcome.values())) == ["redirected", "{'already_redirected'}"]
    record = ParcelRedirect.objects.get(shipment=shipment)
    order = Order.objects.get(pk=shipment.order_id)
    assert order.pickup_location_ref == record.to_pickup_ref
    held = Reservation.objects.filter(order=order).exclude(status="released")
    assert [r.pk for r in held] == [record.reservation_id]
    assert (
        Reservation.objects.filter(bank__in=[first, second]).exclude(status="released").count() == 1
    )


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_tracking_pages_change_form_refuses_hostile_input_and_changes_nothing(
    merchant_a, merchant_b, django_capture_on_commit_callbacks
):
    merchant = merchant_a.merchant
    good = make_bank(merchant, name="Good")
    closed = make_bank(merchant, name="Closed", is_active=False)
    full = make_bank(merchant, name="Full", compartments={"M": 1})
    Compartment.objects.filter(bank=full).update(state="occupied")
    theirs = make_bank(merchant_b.merchant, name="Theirs")
    shipment = failed_parcel(merchant)
    url = reverse("tracking_shopper_change", kwargs={"token": shipment.public_token})
    client = Client()
    today = reschedule.local_today(merchant)
    refused = [
        ({"action": "redirect", "place": closed.pickup_ref}, 400),
        ({"action": "redirect", "place": full.pickup_ref}, 400),
        ({"action": "redirect", "place": theirs.pickup_ref}, 400),
        ({"action": "redirect", "place": "locker:²"}, 400),
        ("action=redirect&place=%ED%A0%80", 400),  # a lone surrogate, UTF-8 encoded
        ({"action": "reschedule", "day": today.isoformat()}, 400),
        ({"action": "reschedule", "day": (today - dt.timedelta(days=400)).isoformat()}, 400),
        ({"action": "reschedule", "day": "0001-01-01"}, 400),
        ({"action": "reschedule", "day": "+275760-09-13"}, 400),
        ({"action": "reschedule", "day": "2026-W50-1"}, 400),  # ISO week: not a form's day
        ({"action": "reschedule", "day": (today + dt.timedelta(days=2)).strftime("%Y%m%d")}, 400),
        ({"action": "reschedule", "day": f"{today + dt.timedelta(days=2)}T99:99+14:00"}, 400),
    ]
    # Ten changes an hour per parcel: the days go to a second parcel of the same shopper.
    second = failed_parcel(merchant)
    second_url = reverse("tracking_shopper_change", kwargs={"token": second.public_token})
    for body, expected in refused:
        form = "application/x-www-form-urlencoded"
        to = second_url if "reschedule" in str(body) else url
        answer = client.post(to, body, content_type=form) if isinstance(body, str) else None
        answer = answer or client.post(to, body)
        assert answer.status_code == expected, body
    assert not ParcelRedirect.objects.exists() and not DeliveryReschedule.objects.exists()
    assert client.get(url).status_code == 405
    assert client.post("/t/" + "x" * 40 + "/change", {"action": "redirect"}).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"action": "redirect", "place": good.pickup_ref})
        replay = client.post(url, {"action": "redirect", "place": good.pickup_ref})
    assert (first.status_code, replay.status_code) == (302, 302)
    assert SentMessage.objects.filter(order_id=shipment.order_id, event="redirected").count() == 1
    # A second place after the first is a conflict; the first stands.
    other = make_bank(merchant, name="Other")
    assert client.post(url, {"action": "redirect", "place": other.pickup_ref}).status_code in (
        400,
        409,
    )
    assert ParcelRedirect.objects.get(shipment=shipment).to_pickup_ref == good.pickup_ref
