"""Messages and titles name an order once: "Order WCG-1001", never "Order Order WCG-1001"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from fulfillment.orders.services.addresses import AddressNeedsAttention
from fulfillment.orders.services.orders import create_order
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Lincoln Park", postal_code="60614")
    stock(merchant, point, make_product(merchant, sku="MUG", value=1800), 10)
    order, _ = create_order(merchant=merchant, data=order_data(("MUG", 1), reference="WCG-1001"))
    return order


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_cancel_message_names_the_order_once(client_a, order):
    response = client_a.post(f"/app/orders/{order.pk}/cancel", {"note": "Shopper asked"})
    assert flashed(response) == ["Order WCG-1001 is cancelled; its stock is available again."]


def test_the_override_message_names_the_order_once(client_a, merchant_a, order):
    data = order_data(("MUG", 1), reference="WCG-1002", destination={"city": "Evanston"})
    flagged, _ = create_order(merchant=merchant_a.merchant, data=data)
    response = client_a.post(
        f"/app/orders/{flagged.pk}/address/override", {"override-note": "Called her"}
    )
    assert flashed(response) == ["Order WCG-1002: address accepted as it is; it can ship."]


def test_order_pages_never_say_order_twice(client_a, order):
    for url in (
        f"/app/orders/{order.pk}/",
        f"/app/orders/{order.pk}/edit/",
        f"/app/couriers/orders/{order.pk}/rates",
    ):
        page = client_a.get(url).content.decode()
        assert "WCG-1001" in page, url
        assert "Order Order" not in page and "order Order" not in page, url


def test_the_address_problem_error_names_the_order_once(order):
    assert str(AddressNeedsAttention(order)).startswith("Order WCG-1001 has an address problem")
