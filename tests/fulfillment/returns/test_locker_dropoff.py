"""A return of a locker order goes back into that locker: approval holds a compartment through
the lockers services, receiving the return frees it; a full locker or a home order leaves the
drop-off at the storage point."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import Order, OrderLine
from fulfillment.models.returns import ReturnRequest
from fulfillment.returns.services.requests import create_return_request, receive_return
from fulfillment.returns.services.settings import get_return_settings
from lockers.models import Compartment, Reservation
from lockers.services.reservations import expire_holds
from tests.factories.lockers import make_bank
from tests.fulfillment.returns.conftest import delivered_order

pytestmark = pytest.mark.django_db


def dropoff_return(order: Order) -> ReturnRequest:
    prefs = get_return_settings(order.merchant)
    prefs.allow_dropoff = True
    prefs.save()
    return create_return_request(
        merchant=order.merchant,
        order=order,
        quantities={OrderLine.objects.get(order=order).pk: 1},
        reason="Too small",
        method="dropoff",
    )


def locker_order(merchant, bank) -> Order:
    order = delivered_order(merchant, quantity=1)
    Order.objects.filter(pk=order.pk).update(pickup_location_ref=bank.pickup_ref)
    order.refresh_from_db()
    return order


def test_a_locker_orders_return_holds_a_compartment_until_received(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    order = locker_order(merchant, bank)

    request = dropoff_return(order)

    hold = Reservation.objects.get(token=request.dropoff_reference)
    assert (hold.bank_id, hold.order_id, hold.status) == (bank.pk, order.pk, "held")
    days = (hold.expires_at - timezone.now()).total_seconds() / 86400
    assert settings.NEARBOX_PICKUP_DAYS - 0.01 < days <= settings.NEARBOX_PICKUP_DAYS
    assert expire_holds() == 0  # a held drop-off is not a checkout's minutes-long hold
    assert hold.compartment.state == Compartment.State.HELD
    assert bank.name in request.dropoff_place and hold.compartment.label in request.dropoff_place
    page = (
        Client()
        .get(
            reverse(
                "returns_portal_return",
                kwargs={"slug": merchant.slug, "token": request.public_token},
            )
        )
        .content.decode()
    )
    assert request.dropoff_code in page and hold.compartment.label in page

    receive_return(merchant=merchant, request=request)
    receive_return(merchant=merchant, request=request)  # again: nothing more
    hold.refresh_from_db()
    assert hold.status == "completed"
    assert Compartment.objects.get(pk=hold.compartment_id).state == Compartment.State.FREE


def test_a_full_locker_or_a_home_order_drops_off_at_the_point(merchant_a):
    merchant = merchant_a.merchant
    full = make_bank(merchant, compartments={})
    for order in (locker_order(merchant, full), delivered_order(merchant)):
        request = dropoff_return(order)
        assert request.state == "approved" and request.dropoff_code
        assert (request.dropoff_place, request.dropoff_reference) == ("", "")
    assert not Reservation.objects.filter(bank=full).exists()


def test_a_drop_off_never_made_frees_its_compartment_when_the_hold_expires(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    request = dropoff_return(locker_order(merchant, bank))
    hold = Reservation.objects.get(token=request.dropoff_reference)

    later = timezone.now() + timedelta(days=settings.NEARBOX_PICKUP_DAYS, minutes=1)
    assert expire_holds(now=later) == 1
    hold.refresh_from_db()
    assert hold.status == "expired"
    assert Compartment.objects.get(pk=hold.compartment_id).state == Compartment.State.FREE
