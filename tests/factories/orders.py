"""Small factories for order tests: stocked points and orders made through the service."""

from __future__ import annotations

import itertools
from typing import Any

from fulfillment.models import Order
from fulfillment.orders.services.orders import create_order
from merchant.models import Merchant, Product, StoragePoint
from merchant.services.stock import receive_stock
from tests.factories.merchant import make_point, make_product

_seq = itertools.count(1)


def stock(merchant: Merchant, point: StoragePoint, product: Product, quantity: int) -> None:
    receive_stock(merchant=merchant, product=product, point=point, quantity=quantity)


def order_data(*lines: tuple[str, int], **overrides: Any) -> dict:
    """An API-shaped order body to 60614 (Lincoln Park) for `lines` of (sku, quantity)."""
    data = {
        "reference": f"SHOP-{next(_seq)}",
        "shopper": {"name": "Ada Shopper", "email": "ada@example.com", "phone": "+13125550100"},
        "destination": {
            "line1": "2001 N Clark St",
            "line2": "",
            "city": "Chicago",
            "state": "IL",
            "postal_code": "60614",
            "country": "US",
        },
        "delivery": {"kind": "home", "service_level": "next_day"},
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def make_order(merchant: Merchant, *, quantity: int = 1, **overrides: Any) -> Order:
    """An allocated order of one product, with a point and the stock it needs."""
    point = make_point(merchant, postal_code="60614")
    product = make_product(merchant)
    stock(merchant, point, product, quantity)
    order, _ = create_order(
        merchant=merchant, data=order_data((product.sku, quantity), **overrides)
    )
    return order
