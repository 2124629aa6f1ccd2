"""Lockers plugs into tracking: the pickup point of a locker or shop order, and parcels about
to expire uncollected in the exceptions queue (fulfillment/tracking/hooks.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.tracking import hooks
from fulfillment.tracking.selectors import exceptions_queue
from lockers.services import pickup
from tests.factories.lockers import make_bank, make_shop, order_for


class _Shipment:
    def __init__(self, order) -> None:
        self.order = order


@pytest.mark.django_db
def test_a_locker_order_waits_at_its_bank_and_a_home_order_has_no_pickup_point(merchant_a):
    bank = make_bank(merchant_a.merchant, name="Clark St lockers")
    order = order_for(merchant_a.merchant, bank)

    point = hooks.pickup_point(_Shipment(order))

    assert point is not None
    assert point.name == "Clark St lockers"
    assert (point.latitude, point.longitude) == (bank.latitude, bank.longitude)
    assert point.opening_hours == "Open 24/7"
    order.pickup_location_ref = ""
    assert hooks.pickup_point(_Shipment(order)) is None


@pytest.mark.django_db
def test_another_merchants_place_is_never_named(merchant_a, merchant_b):
    shop = make_shop(merchant_b.merchant)
    order = order_for(merchant_a.merchant, make_shop(merchant_a.merchant))
    order.pickup_location_ref = shop.pickup_ref

    assert hooks.pickup_point(_Shipment(order)) is None


@pytest.mark.django_db
def test_a_parcel_near_its_deadline_is_in_the_exceptions_queue_and_not_before(
    merchant_a, merchant_b
):
    shop = make_shop(merchant_a.merchant, name="Corner shop")
    order = order_for(merchant_a.merchant, shop)
    parcel = pickup.record_arrival(place=shop, tracking_number=order.reference).parcel

    assert exceptions_queue(merchant_a.merchant).expiring_pickups == []

    parcel.collect_by = timezone.now() + timedelta(hours=20)
    parcel.save(update_fields=["collect_by"])
    expiring = exceptions_queue(merchant_a.merchant).expiring_pickups
    assert [e.label for e in expiring] == [f"Order {order.reference} at Corner shop"]
    assert expiring[0].url.endswith(f"/shops/{shop.pk}/")
    assert exceptions_queue(merchant_b.merchant).expiring_pickups == []
