"""Compartment holds: the API, confirmation by an order, expiry, and concurrent checkouts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from lockers.models import Compartment, Reservation
from lockers.parcels import Parcel
from lockers.services.reservations import (
    NoCompartmentFree,
    confirm_reservation,
    expire_holds,
    reserve_compartment,
)
from lockers.tasks import expire_compartment_holds
from tests.factories.lockers import make_bank
from tests.factories.orders import make_order
from tests.support.helpers import wait_for

ORIGIN = "http://localhost:8000"
SMALL = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=50)


def post(new, body: dict):
    client = Client(headers={"X-Nearbox-Key": new.publishable_key.raw, "Origin": ORIGIN})
    return client.post("/api/v1/reservations", body, content_type="application/json")


@pytest.mark.django_db
def test_posting_a_reservation_holds_the_smallest_fitting_compartment(merchant_a, settings):
    settings.NEARBOX_HOLD_MINUTES = 15
    bank = make_bank(merchant_a.merchant, compartments={"S": 1, "M": 1})
    response = post(
        merchant_a,
        {"bank_id": bank.pk, "weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 150},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["compartment_size"] == "M"
    assert body["token"]
    reservation = Reservation.objects.get(pk=body["id"])
    assert reservation.compartment.state == Compartment.State.HELD
    assert timedelta(minutes=14) < reservation.expires_at - timezone.now() <= timedelta(minutes=15)
    assert response["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.django_db
def test_a_full_bank_answers_409_and_another_merchants_bank_404(merchant_a, merchant_b):
    bank = make_bank(merchant_a.merchant, compartments={"S": 1})
    body = {"bank_id": bank.pk, "weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 50}
    assert post(merchant_a, body).status_code == 201
    second = post(merchant_a, body)
    assert second.status_code == 409
    assert second.json()["code"] == "no_compartment_free"
    assert post(merchant_b, body).status_code == 404


def delete(new, token: str):
    client = Client(headers={"X-Nearbox-Key": new.publishable_key.raw, "Origin": ORIGIN})
    return client.delete(f"/api/v1/reservations/{token}")


@pytest.mark.django_db
def test_a_released_hold_frees_its_compartment_at_once_and_only_for_its_merchant(
    merchant_a, merchant_b
):
    bank = make_bank(merchant_a.merchant, compartments={"S": 1})
    body = {"bank_id": bank.pk, "weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 50}
    token = post(merchant_a, body).json()["token"]
    assert post(merchant_a, body).status_code == 409  # the only compartment is held

    assert delete(merchant_b, token).status_code == 404  # another merchant's key
    assert Reservation.objects.get(token=token).status == Reservation.Status.HELD
    released = delete(merchant_a, token)
    assert released.status_code == 204
    assert released["Access-Control-Allow-Origin"] == ORIGIN
    assert Reservation.objects.get(token=token).status == Reservation.Status.RELEASED
    assert delete(merchant_a, token).status_code == 204  # twice changes nothing
    assert post(merchant_a, body).status_code == 201  # the compartment is free again

    preflight = Client().options(
        f"/api/v1/reservations/{token}?key={merchant_a.publishable_key.raw}",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"},
    )
    assert preflight.status_code == 204
    assert "DELETE" in preflight["Access-Control-Allow-Methods"]


@pytest.mark.django_db
def test_a_confirmed_hold_cannot_be_released_by_the_checkout(merchant_a):
    bank = make_bank(merchant_a.merchant)
    held = reserve_compartment(bank=bank, parcel=SMALL)
    confirm_reservation(reservation_token=held.token, order=make_order(merchant_a.merchant))

    refused = delete(merchant_a, held.token)

    assert refused.status_code == 409
    assert refused.json()["code"] == "reservation_confirmed"
    held.refresh_from_db()
    assert held.status == Reservation.Status.CONFIRMED
    assert held.compartment.state == Compartment.State.HELD


@pytest.mark.django_db
def test_the_schema_refuses_a_second_active_reservation_for_one_compartment(merchant_a):
    bank = make_bank(merchant_a.merchant, compartments={"S": 1})
    first = reserve_compartment(bank=bank, parcel=SMALL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(
            merchant=merchant_a.merchant,
            bank=bank,
            compartment=first.compartment,
            token="x",
            weight_g=1,
            length_mm=1,
            width_mm=1,
            height_mm=1,
            expires_at=timezone.now(),
        )


@pytest.mark.django_db
def test_confirming_a_hold_ties_it_to_the_order_and_is_idempotent(merchant_a):
    bank = make_bank(merchant_a.merchant)
    order = make_order(merchant_a.merchant)
    held = reserve_compartment(bank=bank, parcel=SMALL)
    confirmed = confirm_reservation(reservation_token=held.token, order=order)
    assert confirmed.status == Reservation.Status.CONFIRMED
    assert confirmed.order_id == order.pk
    again = confirm_reservation(reservation_token=held.token, order=order)
    assert again.pk == held.pk
    other = make_order(merchant_a.merchant)
    with pytest.raises(ValidationError) as info:
        confirm_reservation(reservation_token=held.token, order=other)
    assert "reservation_token" in info.value.message_dict


@pytest.mark.django_db
def test_an_expired_hold_is_freed_by_the_task_and_can_no_longer_be_confirmed(merchant_a):
    bank = make_bank(merchant_a.merchant, compartments={"S": 1})
    held = reserve_compartment(bank=bank, parcel=SMALL)
    confirmed = reserve_compartment(bank=make_bank(merchant_a.merchant), parcel=SMALL)
    confirm_reservation(reservation_token=confirmed.token, order=make_order(merchant_a.merchant))
    Reservation.objects.filter(pk__in=[held.pk, confirmed.pk]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError) as info:
        confirm_reservation(reservation_token=held.token, order=make_order(merchant_a.merchant))
    assert info.value.message_dict["reservation_token"][0].startswith("The locker reservation")
    assert expire_compartment_holds() == 1
    held.refresh_from_db()
    assert held.status == Reservation.Status.EXPIRED
    assert Compartment.objects.get(pk=held.compartment_id).state == Compartment.State.FREE
    confirmed.refresh_from_db()
    assert confirmed.status == Reservation.Status.CONFIRMED  # an order's hold never expires
    assert expire_holds() == 0  # running it again changes nothing
    # The freed compartment can be held again.
    assert reserve_compartment(bank=bank, parcel=SMALL).compartment_id == held.compartment_id


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_expires_a_hold(merchant_a, celery_worker):
    bank = make_bank(merchant_a.merchant, compartments={"S": 1})
    held = reserve_compartment(bank=bank, parcel=SMALL)
    Reservation.objects.filter(pk=held.pk).update(expires_at=timezone.now())
    expire_compartment_holds.delay()
    wait_for(lambda: Reservation.objects.get(pk=held.pk).status == Reservation.Status.EXPIRED)
    assert Compartment.objects.get(pk=held.compartment_id).state == Compartment.State.FREE


# The shared PostgreSQL allows 100 connections (other test runs use some): 40 connections,
# each a thread making 5 checkouts, released together by a barrier.
CONNECTIONS, CHECKOUTS_EACH = 40, 5


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_checkouts_for_20_compartments_hold_each_once(merchant_a):
    assert connection.vendor == "postgresql"
    bank = make_bank(merchant_a.merchant, compartments={"S": 20})
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CONNECTIONS)

    def checkouts() -> None:
        from django.db import connection as thread_connection

        start.wait()
        try:
            for _ in range(CHECKOUTS_EACH):
                try:
                    reserve_compartment(bank=bank, parcel=SMALL)
                    outcome = "held"
                except NoCompartmentFree:
                    outcome = "full"
                except Exception as exc:  # anything else fails the test
                    outcome = f"error: {exc!r}"
                with lock:
                    outcomes.append(outcome)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=checkouts) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 200
    assert sorted(set(outcomes)) == ["full", "held"], set(outcomes)
    assert outcomes.count("held") == 20
    active = Reservation.objects.filter(bank=bank, status__in=["held", "confirmed"])
    assert active.count() == 20
    assert active.values("compartment").distinct().count() == 20
    assert not Compartment.objects.filter(bank=bank, state="free").exists()
