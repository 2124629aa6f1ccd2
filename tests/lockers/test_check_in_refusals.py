"""Check-in at a locker terminal or shop counter receives a parcel only where its order says
it goes: a home-delivery parcel, one for another locker, a return or another merchant's parcel
is refused with the reason on the page, and nothing is written (no parcel, no compartment,
no pickup-code email)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from lockers.models import Compartment, PickupParcel, Reservation
from lockers.services.network import staff_link_token
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank, make_shop, order_for
from tests.factories.orders import make_order


def receive(place, number: str, *, kind: str):
    name = "pickup_terminal" if kind == "bank" else "pickup_counter"
    url = reverse(name, args=[staff_link_token(place)])
    return Client().post(url, {"action": "receive", "receive-tracking_number": number})


def nothing_written() -> bool:
    return (
        not PickupParcel.objects.exists()
        and not Compartment.objects.filter(state=Compartment.State.OCCUPIED).exists()
        and not Reservation.objects.exists()
        and not mail.outbox
    )


@pytest.mark.django_db
def test_a_home_delivery_parcel_is_refused_at_the_locker_terminal(
    merchant_a, django_capture_on_commit_callbacks
):
    bank = make_bank(merchant_a.merchant)
    home = make_shipment(merchant_a.merchant)
    assert home.order.pickup_location_ref == ""
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(bank, home.tracking_number, kind="bank")
    assert response.status_code == 422
    assert f"Parcel {home.tracking_number} is for home delivery" in response.content.decode()
    assert nothing_written()


@pytest.mark.django_db
def test_a_home_delivery_parcel_is_refused_at_the_shop_counter_by_its_reference(
    merchant_a, django_capture_on_commit_callbacks
):
    shop = make_shop(merchant_a.merchant)
    order = make_order(merchant_a.merchant, reference="HOME-1")
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(shop, order.reference, kind="shop")
    assert response.status_code == 422
    assert "Parcel HOME-1 is for home delivery" in response.content.decode()
    assert nothing_written()


@pytest.mark.django_db
def test_a_parcel_for_another_locker_is_refused_at_the_terminal(
    merchant_a, django_capture_on_commit_callbacks
):
    bank, other = make_bank(merchant_a.merchant), make_bank(merchant_a.merchant, name="Far away")
    shipment = make_shipment(merchant_a.merchant, order=order_for(merchant_a.merchant, other))
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(bank, shipment.tracking_number, kind="bank")
    assert response.status_code == 422
    assert f"is not addressed to {bank.name}" in response.content.decode()
    assert nothing_written()


@pytest.mark.django_db
def test_another_merchants_parcel_is_refused_without_saying_it_exists(
    merchant_a, merchant_b, django_capture_on_commit_callbacks
):
    bank = make_bank(merchant_a.merchant)
    theirs = make_bank(merchant_b.merchant)
    shipment = make_shipment(merchant_b.merchant, order=order_for(merchant_b.merchant, theirs))
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(bank, shipment.tracking_number, kind="bank")
    assert response.status_code == 422
    assert f"No parcel with tracking number {shipment.tracking_number}" in (
        response.content.decode()
    )
    assert nothing_written()


@pytest.mark.django_db
def test_a_return_shipment_of_a_pickup_order_is_refused(
    merchant_a, django_capture_on_commit_callbacks
):
    shop = make_shop(merchant_a.merchant)
    returned = make_shipment(
        merchant_a.merchant, order=order_for(merchant_a.merchant, shop), is_return=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(shop, returned.tracking_number, kind="shop")
    assert response.status_code == 422
    assert "is a return on its way back to the merchant" in response.content.decode()
    assert nothing_written()


@pytest.mark.django_db
def test_the_right_parcel_is_received_into_a_compartment_and_the_shopper_gets_a_code(
    merchant_a, django_capture_on_commit_callbacks
):
    bank = make_bank(merchant_a.merchant)
    shipment = make_shipment(merchant_a.merchant, order=order_for(merchant_a.merchant, bank))
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(bank, shipment.tracking_number, kind="bank")
    assert response.status_code == 200, response.content
    parcel = PickupParcel.objects.get(order=shipment.order)
    assert parcel.bank_id == bank.pk
    assert Compartment.objects.get(pk=parcel.compartment_id).state == Compartment.State.OCCUPIED
    assert len(mail.outbox) == 1
