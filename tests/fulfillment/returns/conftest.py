"""A delivered order with its outbound parcel, ready for a shopper to send items back."""

from __future__ import annotations

from fulfillment.models import Order
from fulfillment.orders.services import status as order_status
from merchant.models import Merchant
from tests.factories.couriers import make_shipment
from tests.factories.orders import make_order


def delivered_order(merchant: Merchant, *, quantity: int = 3, **overrides) -> Order:
    """An order of `quantity` units (stock taken off its point's shelf), booked and delivered."""
    order = make_order(merchant, quantity=quantity, **overrides)
    make_shipment(merchant, order=order)
    order_status.follow_parcel(order_id=order.pk, to_status="delivered", note="test delivery")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    return order
