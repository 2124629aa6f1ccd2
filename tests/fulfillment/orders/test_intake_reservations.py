"""Order intake confirms the checkout's locker hold (`delivery.reservation_token`) in the
order's own transaction: a hold that expired or belongs to another order refuses the order
and nothing is written."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from fulfillment.models import Order
from lockers.models import Reservation
from lockers.parcels import Parcel
from lockers.services.reservations import reserve_compartment
from merchant.models import StockLevel
from tests.factories.lockers import make_bank
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock
from tests.fulfillment.orders.test_intake_api import URL, nothing_written, post

PARCEL = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=50)
FIELD = "delivery.reservation_token"


@pytest.fixture
def held(merchant_a) -> Reservation:
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    stock(merchant, point, make_product(merchant, sku="MUG-1"), 10)
    return reserve_compartment(bank=make_bank(merchant), parcel=PARCEL)


def locker_order(reservation: Reservation, **overrides) -> dict:
    delivery = {
        "kind": "locker",
        "pickup_location_ref": reservation.bank.ref,
        "reservation_token": reservation.token,
    }
    return order_data(("MUG-1", 1), delivery=delivery, **overrides)


def reserved_units() -> int:
    return StockLevel.objects.get().reserved


@pytest.mark.django_db
def test_creating_the_order_confirms_its_hold(api_client_a, held):
    response = post(api_client_a, locker_order(held), key="hold-1")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["delivery"]["kind"] == "locker"
    held.refresh_from_db()
    assert held.status == Reservation.Status.CONFIRMED
    assert held.order_id == body["id"] and held.confirmed_at is not None
    assert reserved_units() == 1


@pytest.mark.django_db
def test_an_expired_hold_refuses_the_order_and_nothing_is_written(api_client_a, held):
    Reservation.objects.filter(pk=held.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = post(api_client_a, locker_order(held), key="late")

    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["field"] == FIELD and problem["code"] == "invalid"
    assert "expired" in problem["detail"]
    assert nothing_written() and reserved_units() == 0
    held.refresh_from_db()
    assert held.status == Reservation.Status.HELD and held.order_id is None


@pytest.mark.django_db
def test_an_unknown_or_foreign_token_is_refused(api_client_a, merchant_b, held):
    foreign = reserve_compartment(bank=make_bank(merchant_b.merchant), parcel=PARCEL)
    for token in ("not-a-token", foreign.token):
        body = locker_order(held)
        body["delivery"]["reservation_token"] = token
        response = post(api_client_a, body)
        assert response.status_code == 422, response.content
        assert response.json()["field"] == FIELD
    foreign.refresh_from_db()
    assert foreign.status == Reservation.Status.HELD
    assert nothing_written()


@pytest.mark.django_db
def test_the_same_hold_on_a_second_order_is_refused(api_client_a, held):
    first = post(api_client_a, locker_order(held), key="first")
    second = post(api_client_a, locker_order(held), key="second")

    assert first.status_code == 201, first.content
    assert second.status_code == 422, second.content
    assert second.json()["field"] == FIELD
    assert "another order" in second.json()["detail"]
    assert list(Order.objects.values_list("pk", flat=True)) == [first.json()["id"]]
    assert reserved_units() == 1
    held.refresh_from_db()
    assert held.order_id == first.json()["id"]


@pytest.mark.django_db
def test_a_replayed_request_returns_the_first_order_and_keeps_the_hold(api_client_a, held):
    body = locker_order(held)
    first = post(api_client_a, body, key="retry")
    again = post(api_client_a, body, key="retry")

    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1 and reserved_units() == 1
    held.refresh_from_db()
    assert held.status == Reservation.Status.CONFIRMED and held.order_id == first.json()["id"]


@pytest.mark.django_db
def test_a_token_on_home_delivery_is_refused(api_client_a, held):
    body = locker_order(held)
    body["delivery"]["kind"] = "home"

    response = post(api_client_a, body)

    assert response.status_code == 422
    assert response.json()["field"] == FIELD
    held.refresh_from_db()
    assert held.status == Reservation.Status.HELD and nothing_written()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_orders_for_one_hold_make_one_order(merchant_a):
    merchant = merchant_a.merchant
    stock(
        merchant, make_point(merchant, postal_code="60614"), make_product(merchant, sku="MUG-1"), 9
    )
    hold = reserve_compartment(bank=make_bank(merchant), parcel=PARCEL)
    bodies = [json.dumps(locker_order(hold)) for _ in range(4)]  # four different references
    start = threading.Barrier(len(bodies))

    def attempt(body: str) -> int:
        client = Client(headers={"Authorization": f"Bearer {merchant_a.secret_key.raw}"})
        try:
            start.wait()
            return client.post(URL, body, content_type="application/json").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        statuses = sorted(pool.map(attempt, bodies))

    assert statuses == [201, 422, 422, 422]
    order = Order.objects.get()
    assert reserved_units() == 1
    hold.refresh_from_db()
    assert hold.order_id == order.pk and hold.status == Reservation.Status.CONFIRMED
