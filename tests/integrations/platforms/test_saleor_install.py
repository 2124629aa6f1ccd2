"""Installing the Nearbox app in a (fake) Saleor over real HTTP, then the shop's checkout and
order webhooks: the token exchange, the sync shipping methods, an ORDER_CREATED that becomes an
order, tracking written back, and disconnecting."""

from __future__ import annotations

import json

import pytest

from devtools.fake_platforms.saleor import FakeSaleor, method_id
from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from integrations.platforms import connections
from integrations.platforms.base import get_connector
from integrations.platforms.credentials import read_credentials
from integrations.platforms.saleor.connector import manifest_url
from merchant.models import Job
from tests.factories.couriers import make_shipment
from tests.integrations.platforms.saleor_support import (
    chicago_checkout,
    fresh_counters_fixture,  # noqa: F401 — the `fresh_counters` fixture
    network_fixture,  # noqa: F401 — the `network` fixture
    order_created,
    shop_fixture,  # noqa: F401 — the `shop` fixture
)
from tests.support.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_url(live_server, settings) -> str:
    settings.NEARBOX_BASE_URL = live_server.url
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True  # the fake Saleor is on 127.0.0.1
    return live_server.url


def connect_saleor(merchant, shop: FakeSaleor) -> PlatformConnection:
    connection, _ = connections.connect_store(
        merchant=merchant, platform="saleor", shop_url=shop.api_url, credentials={}
    )
    return connection


@pytest.mark.worker
def test_install_round_trip_from_checkout_to_order(
    merchant_a, shop, network, app_url, celery_worker
):
    merchant = merchant_a.merchant
    connection = connect_saleor(merchant, shop)
    assert connection.shop_url == shop.api_url
    ok, sentence = connections.test_store(connection=connection)
    assert ok and manifest_url(connection) in sentence  # where to install it from
    assert shop.jwks_requests == 2  # at connect and at the test: the API URL is a Saleor

    assert shop.install(manifest_url(connection)) == 200
    assert shop.manifest["tokenTargetUrl"].startswith(app_url)
    connection.refresh_from_db()
    assert connection.state == PlatformConnection.State.ACTIVE
    assert read_credentials(connection)["auth_token"] == shop.app_token
    assert shop.app_token not in connection.credentials_encrypted  # encrypted at rest
    assert connection.settings["jwks"] == shop.jwks()
    assert connection.settings["app_id"]
    ok, sentence = connections.test_store(connection=connection)
    assert ok and sentence.startswith("Connected to Fake Saleor Shop")

    # The shopper's checkout: Saleor asks for shipping methods, our locker is among them.
    status, methods = shop.send(
        "SHIPPING_LIST_METHODS_FOR_CHECKOUT", chicago_checkout(("BOOK-1", 2), ("MUG-1", 1))
    )
    assert status == 200, methods
    near = network["near"]
    assert f"locker:{near.pk}" in [m["id"] for m in methods]

    # The shopper picked it; Saleor sends ORDER_CREATED with the method's id.
    chosen = {"__typename": "ShippingMethod", "id": method_id(f"locker:{near.pk}")}
    address = {"city": "Chicago", "postalCode": "60601", "countryArea": "IL"}
    body = order_created(deliveryMethod=chosen)
    body["order"]["shippingAddress"].update(address, streetAddress1="1 N State St")
    status, answer = shop.send("ORDER_CREATED", body)
    assert (status, answer) == (200, {"ok": True, "duplicate": False})
    assert shop.send("ORDER_CREATED", json.dumps(body).encode())[1]["duplicate"] is True
    # The worker takes it in.
    platform_order = wait_for(
        lambda: (
            PlatformOrder.objects.filter(connection=connection).exclude(problem="").first()
            or PlatformOrder.objects.filter(connection=connection, state="imported").first()
        ),
        what="the Saleor order taken in by the worker",
    )
    assert platform_order.state == PlatformOrder.State.IMPORTED, platform_order.problem
    assert InboundWebhook.objects.get().state == InboundWebhook.State.DONE
    order = platform_order.order
    assert order.merchant == merchant
    assert order.delivery_kind == "locker"
    assert order.pickup_location_ref == f"locker:{near.pk}"
    assert sorted((line.product.sku, line.quantity) for line in order.lines.all()) == [
        ("BOOK-1", 2),
        ("MUG-1", 1),
    ]

    # A booked shipment's tracking goes onto the Saleor order (metadata and a note).
    shipment = make_shipment(merchant, order=order, tracking_number="1Z999AA10123456784")
    connector = get_connector(connection)
    entry = connector.push_shipment(platform_order, shipment, "in_transit")
    assert entry == {"id": f"meta:{platform_order.external_id}", "status": "in_transit"}
    written = shop.metadata[platform_order.external_id]
    assert written["nearbox.tracking_number"] == "1Z999AA10123456784"
    assert written["nearbox.status"] == "in_transit"
    assert written["nearbox.tracking_url"].startswith(app_url)
    assert shop.notes[platform_order.external_id] == [
        "Nearbox: in transit, tracking number 1Z999AA10123456784."
    ]

    # Disconnecting removes the app's webhooks at the shop and drops the token.
    connections.disconnect_store(connection=connection)
    assert len(shop.deleted_webhooks) == len(shop.manifest["webhooks"])
    connection.refresh_from_db()
    assert connection.credentials_encrypted == ""
    assert shop.send("ORDER_CREATED", order_created(number="77"))[0] == 404
    assert (
        shop.send("SHIPPING_LIST_METHODS_FOR_CHECKOUT", chicago_checkout(("BOOK-1", 1)))[0] == 404
    )


def test_an_install_from_another_shop_is_refused_and_keeps_nothing(merchant_a, shop, app_url):
    connection = connect_saleor(merchant_a.merchant, shop)
    with FakeSaleor() as stranger:
        status = stranger.install(manifest_url(connection))
    assert status == 403
    connection.refresh_from_db()
    assert "auth_token" not in read_credentials(connection)


def test_a_token_the_shop_does_not_know_is_refused(merchant_a, shop, app_url):
    connection = connect_saleor(merchant_a.merchant, shop)
    shop.manifest = {"tokenTargetUrl": f"{app_url}/saleor/{connection.webhook_token}/register"}
    status, answer = shop._post(
        shop.manifest["tokenTargetUrl"],
        json.dumps({"auth_token": "made-up"}).encode(),
        {"Content-Type": "application/json", "Saleor-Api-Url": shop.api_url},
    )
    assert status == 403
    assert answer["error"]["code"] == "token_refused"
    connection.refresh_from_db()
    assert "auth_token" not in read_credentials(connection)
    for bad in (b"\x00", b"[]", b'{"auth_token": 5}', b'{"auth_token": "' + b"x" * 3000 + b'"}'):
        status, _ = shop._post(
            shop.manifest["tokenTargetUrl"],
            bad,
            {"Content-Type": "application/json", "Saleor-Api-Url": shop.api_url},
        )
        assert status in (400, 403), bad


@pytest.mark.parametrize(
    "jwks_body",
    [b"<html>not keys</html>", b'{"keys": []}', b'{"keys": [' + b"[" * 50_000 + b"]}"],
    ids=["html", "an empty set", "nested 50,000 deep and over 64 kB"],
)
def test_a_shop_whose_keys_cannot_be_read_cannot_install(merchant_a, shop, app_url, jwks_body):
    connection = connect_saleor(merchant_a.merchant, shop)
    shop.jwks_body = jwks_body
    assert shop.install(manifest_url(connection)) == 502
    connection.refresh_from_db()
    assert "auth_token" not in read_credentials(connection)
    assert connection.settings["jwks"] == shop.jwks()  # the set read at connect is kept


@pytest.mark.worker
def test_the_import_asked_for_at_connect_waits_for_the_install(
    merchant_a, shop, network, app_url, celery_worker
):
    placed = order_created()["order"]
    placed["shippingAddress"].update(city="Chicago", postalCode="60601", countryArea="IL")
    shop.orders = [placed]
    connection, first = connections.connect_store(
        merchant=merchant_a.merchant,
        platform="saleor",
        shop_url=shop.api_url,
        credentials={},
        backfill_days=7,
    )
    # Before the install there is no token to read orders with: nothing yet, the window kept.
    first = wait_for(
        lambda: Job.objects.filter(pk=first.pk, state=Job.State.SUCCEEDED).first(),
        what="the first import job",
    )
    assert first.result["created"] == 0
    connection.refresh_from_db()
    assert "import_since" in connection.settings
    assert shop.install(manifest_url(connection)) == 200
    platform_order = wait_for(
        lambda: PlatformOrder.objects.filter(connection=connection, state="imported").first(),
        what="the order imported after the install",
    )
    assert platform_order.external_name == "#1042"
    second = Job.objects.exclude(pk=first.pk).get(kind="platforms.backfill")
    # The window asked for at connect, counted from the install: rounded up, one day more.
    assert second.params["days"] == 8
    connection.refresh_from_db()
    assert "import_since" not in connection.settings
    assert connection.settings["installed"] is True
