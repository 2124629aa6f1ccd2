"""Shared by the Saleor tests: a fake Saleor shop on 127.0.0.1, a connection to it, a Chicago
pickup network with a stocked product, and signed webhooks.
A test module imports the fixtures by their function names (`*_fixture`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from devtools.fake_platforms.saleor import FakeSaleor, issued_now
from integrations.models import Platform, PlatformConnection
from integrations.platforms.credentials import store_credentials
from integrations.platforms.receiving import new_webhook_token
from merchant.models import Merchant
from tests.factories.couriers import make_account, make_service
from tests.factories.lockers import LINCOLN_PARK, LOOP, make_bank, make_shop
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "saleor"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


@pytest.fixture(name="fresh_counters")
def fresh_counters_fixture() -> Iterator[None]:
    """Network versions and the spatial index live in Redis and the process: start clean."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*lockers:*"):
        client.delete(key)
    from lockers.selectors import spatial

    spatial._local.clear()
    yield


@pytest.fixture(name="shop")
def shop_fixture() -> Iterator[FakeSaleor]:
    with FakeSaleor() as fake:
        yield fake


def connect(merchant: Merchant, shop: FakeSaleor, **credentials: str) -> PlatformConnection:
    """A connection to `shop` as install leaves it: token stored, the shop's JWKS cached."""
    shop.app_token = shop.app_token or "app-token-0123456789"
    connection = PlatformConnection(
        merchant=merchant,
        platform=Platform.SALEOR,
        name="Fake Saleor",
        shop_url=shop.api_url,
        webhook_token=new_webhook_token(),
        state=PlatformConnection.State.ACTIVE,
        settings={"jwks": shop.jwks(), "installed": True},
    )
    store_credentials(connection, {"auth_token": shop.app_token, **credentials})
    connection.save()
    return connection


def chicago_checkout(*lines: tuple[str, int], postal_code: str = "60601") -> dict:
    """The documented checkout, sent to Chicago (the test network's city) with `lines`."""
    body = sample("shipping_list_methods_for_checkout.json")
    body["issuedAt"] = issued_now()
    checkout = body["checkout"]
    checkout["shippingAddress"].update(
        postalCode=postal_code, city="Chicago", countryArea="IL", streetAddress1="1 N State St"
    )
    checkout["lines"] = [
        {"quantity": qty, "variant": {"sku": sku, "weight": {"unit": "G", "value": 500}}}
        for sku, qty in lines
    ]
    return body


def order_created(**order) -> dict:
    body = copy.deepcopy(sample("order_created.json"))
    body["issuedAt"] = issued_now()
    body["order"].update(order)
    return body


@pytest.fixture(name="network")
def network_fixture(merchant_a, fresh_counters):
    """A stocked warehouse in the Loop, a courier service, two locker banks and a shop."""
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Loop Warehouse", postal_code="60601")
    book = make_product(merchant, sku="BOOK-1", weight_g=400, length_mm=200, width_mm=150)
    mug = make_product(merchant, sku="MUG-1", weight_g=350, length_mm=120, width_mm=100)
    stock(merchant, point, book, 50)
    stock(merchant, point, mug, 50)
    service = make_service(
        make_account(merchant, name="Zip Couriers"), name="Next day", base_minor=795
    )
    near = make_bank(merchant, at=LOOP, name="Loop Lockers")
    far = make_bank(merchant, at=LINCOLN_PARK, name="Lincoln Park Lockers")
    corner = make_shop(merchant, at=(41.8860, -87.6180), name="Corner Books")
    return {"service": service, "near": near, "far": far, "shop": corner, "point": point}
