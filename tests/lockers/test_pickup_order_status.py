"""A pickup order follows its parcel at the locker or counter (lockers/tracking_hooks.py ->
fulfillment/orders/services/status.py): checked in -> ready for pickup, handed to the shopper ->
delivered; and the courier's late "in transit" then sends the shopper no "on its way"."""

from __future__ import annotations

import datetime as dt

import pytest

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.models import Notification, Order, OrderEvent
from fulfillment.tracking.ingest import ingest_results
from lockers.services import pickup
from tests.factories.lockers import make_bank, make_shop, order_for
from tests.support.tracking import add_shipment, event, result, sandbox_account


def steps(order: Order) -> list[tuple[str, str]]:
    return list(
        OrderEvent.objects.filter(order=order)
        .exclude(from_status="")
        .order_by("at", "pk")
        .values_list("from_status", "to_status")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["locker", "shop"])
def test_a_collected_pickup_order_is_delivered_with_each_step_in_its_history(merchant_a, kind):
    merchant = merchant_a.merchant
    place = make_bank(merchant) if kind == "locker" else make_shop(merchant, name="Corner shop")
    order = order_for(merchant, place)
    assert order.status == "allocated"

    arrival = pickup.record_arrival(place=place, tracking_number=order.reference)
    order.refresh_from_db()
    assert order.status == "at_pickup"

    pickup.hand_over(place=place, code=arrival.pin)
    order.refresh_from_db()
    assert order.status == "delivered"
    assert steps(order)[-3:] == [
        ("allocated", "picked"),
        ("picked", "at_pickup"),
        ("at_pickup", "delivered"),
    ]
    assert f"Collected by the shopper at {place.name}" in order.events.last().note


@pytest.mark.django_db(transaction=True)
def test_no_on_its_way_message_after_the_parcel_was_checked_in_at_the_locker(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant)
    account, service = sandbox_account(merchant)
    order = order_for(merchant, bank)
    shipment = add_shipment(account, service, order=order)
    n = shipment.tracking_number
    pickup.record_arrival(place=bank, tracking_number=n)  # the shopper gets the code now

    at = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)
    ingest_results(account=account, results={n: result(n, event(n, S.IN_TRANSIT, at))})

    assert not Notification.objects.filter(shipment=shipment, kind="shipped").exists()
    order.refresh_from_db()
    assert order.status == "at_pickup"
