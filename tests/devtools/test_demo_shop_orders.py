"""The demo shop's "Place order" goes the way a connected store's orders go: the shop (a fake
WooCommerce store) stores the order and delivers a signed order.created webhook to its Nearbox
connection (demo/seeders/woocommerce.py), Nearbox takes it in, and the tracking Nearbox writes
back shows on the shopper's order page at the shop. A real shop server talks HTTP to a real
Nearbox (live_server); the intake task's function runs in-process."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from django.utils import timezone

from demo.seeders.woocommerce import ensure_demo_store
from devtools.demo_shop import make_server
from fulfillment.models import Order
from integrations.models import InboundWebhook, PlatformOrder
from integrations.platforms import receiving, writeback
from lockers.models import Reservation
from lockers.parcels import Parcel
from lockers.services.reservations import reserve_compartment
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock

SMALL = Parcel(weight_g=2000, length_mm=300, width_mm=200, height_mm=150)


@pytest.fixture
def shop(merchant_a, live_server, settings, monkeypatch) -> Iterator:
    settings.NEARBOX_BASE_URL = live_server.url
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True  # the fake store is on 127.0.0.1
    monkeypatch.setattr(receiving, "_enqueue", lambda webhook_id: None)  # processed below
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60601")
    for sku in ("MUG-CLASSIC", "COFFEE-1KG"):
        stock(merchant, point, make_product(merchant, sku=sku), 10)
    server = make_server(
        "127.0.0.1", 0, nearbox_url=live_server.url, key=merchant_a.publishable_key.raw
    )
    store = server.shop.store
    connected = ensure_demo_store(merchant=merchant, shop_url=store.url)
    # What `make run` starts the shop with: Nearbox's webhook and the key Nearbox calls it with.
    store.consumer_key = connected["consumer_key"]
    store.consumer_secret = connected["consumer_secret"]
    for topic in ("order.created", "order.updated"):
        store.add_webhook(topic, connected["webhook_url"], connected["webhook_secret"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server, path: str = "/") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def refusal(page: str) -> str:
    """The refusal paragraph of a page, for a readable assertion message."""
    start = page.find('role="alert"')
    return page[start : start + 400] if start >= 0 else ""


def request(address: str, fields: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    try:
        with urllib.request.urlopen(address, data=data, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def locker_checkout(bank, token: str, checkout_id: str, name: str = "Ann Shopper") -> dict:
    return {
        "name": name,
        "email": "ann@example.com",
        "line1": "",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60601",
        "checkout_id": checkout_id,
        "nearbox_delivery_kind": "locker",
        "nearbox_pickup_location_ref": bank.pickup_ref,
        "nearbox_reservation_token": token,
    }


def take_in_everything() -> None:
    for webhook in InboundWebhook.objects.filter(state=InboundWebhook.State.QUEUED):
        receiving.process_webhook(webhook_id=webhook.pk)


@pytest.mark.django_db(transaction=True)
def test_a_locker_order_reaches_nearbox_as_a_woocommerce_order(merchant_a, shop):
    bank = make_bank(merchant_a.merchant, compartments={"L": 2})
    held = reserve_compartment(bank=bank, parcel=SMALL)

    status, page = request(url(shop), locker_checkout(bank, held.token, "c0ffee01"))

    assert status == 200, refusal(page)
    [placed] = shop.shop.store.orders.values()
    assert f'id="order-reference">#{placed["number"]}</strong>' in page
    [delivery] = shop.shop.store.deliveries
    assert (delivery.topic, delivery.status) == ("order.created", 200)
    webhook = InboundWebhook.objects.get()
    assert webhook.connection.platform == "woocommerce"

    take_in_everything()

    order = Order.objects.get(merchant=merchant_a.merchant)
    assert (order.reference, order.source) == (f"#{placed['number']}", "woocommerce")
    assert (order.delivery_kind, order.pickup_location_ref) == ("locker", bank.pickup_ref)
    assert order.shopper_name == "Ann Shopper"
    # The compartment held at checkout is the order's now, not left to expire.
    held.refresh_from_db()
    assert (held.status, held.order_id) == (Reservation.Status.CONFIRMED, order.pk)
    # A second click on "Place order" (same checkout) is the same order, not another one.
    again_status, again = request(url(shop), locker_checkout(bank, held.token, "c0ffee01"))
    assert again_status == 200 and f"#{placed['number']}" in again
    assert len(shop.shop.store.orders) == 1 and InboundWebhook.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_locker_order_whose_hold_lapsed_is_still_taken_in(merchant_a, shop):
    bank = make_bank(merchant_a.merchant, compartments={"L": 2})
    held = reserve_compartment(bank=bank, parcel=SMALL)
    Reservation.objects.filter(pk=held.pk).update(expires_at=timezone.now())

    status, page = request(url(shop), locker_checkout(bank, held.token, "c0ffee03"))
    assert status == 200, refusal(page)
    take_in_everything()

    # The shopper paid: the order comes in for that locker, a compartment given on arrival.
    platform_order = PlatformOrder.objects.select_related("order").get()
    assert (platform_order.state, platform_order.problem) == ("imported", "")
    assert platform_order.order.pickup_location_ref == bank.pickup_ref
    held.refresh_from_db()
    assert held.order_id is None


@pytest.mark.django_db(transaction=True)
def test_the_tracking_nearbox_writes_back_shows_on_the_shops_order_page(merchant_a, shop):
    bank = make_bank(merchant_a.merchant, compartments={"L": 2})
    status, page = request(url(shop), locker_checkout(bank, "", "c0ffee02"))
    assert status == 200, refusal(page)
    take_in_everything()
    platform_order = PlatformOrder.objects.select_related("order").get()
    [placed] = shop.shop.store.orders.values()
    order_page = url(shop, f"/orders/{placed['id']}?key={placed['order_key']}")
    assert "Not shipped yet" in request(order_page)[1]

    shipment = make_shipment(merchant_a.merchant, order=platform_order.order)
    writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)

    status, page = request(order_page)
    assert status == 200
    assert shipment.tracking_number in page and shipment.public_token in page
    assert 'id="order-status">processing<' in page
    shipment.status = "delivered"
    shipment.save(update_fields=["status"])
    writeback.push(platform_order_id=platform_order.pk, shipment_id=shipment.pk)
    assert 'id="order-status">completed<' in request(order_page)[1]
    # Another order's key shows nothing.
    assert request(url(shop, f"/orders/{placed['id']}?key=wc_order_guess"))[0] == 404


@pytest.mark.django_db(transaction=True)
def test_a_checkout_without_a_name_is_not_placed_and_nothing_is_sent(merchant_a, shop):
    bank = make_bank(merchant_a.merchant, compartments={"L": 2})

    status, page = request(url(shop), locker_checkout(bank, "", "c0ffee03", name=""))

    assert status == 422
    assert "Order not placed" in page and "Please fill in: Name" in page
    assert 'id="order-reference"' not in page
    assert not shop.shop.store.orders and not shop.shop.store.deliveries
    assert not InboundWebhook.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_shop_without_a_nearbox_connection_says_so(merchant_a, live_server):
    server = make_server("127.0.0.1", 0, nearbox_url=live_server.url, key="k")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, page = request(url(server), {"name": "A", "postal_code": "60601"})
    finally:
        server.shutdown()
        server.server_close()
    assert status == 422 and "No Nearbox connection receives" in page
