"""The demo shop's "Place order" creates the order on Nearbox through POST /api/v1/orders
with the secret key and the widget's reservation token, shows its reference, and says why when
Nearbox refuses it. A real shop server talks HTTP to a real Nearbox (live_server)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from devtools.demo_shop import make_server
from fulfillment.models import Order
from lockers.models import Reservation
from lockers.parcels import Parcel
from lockers.services.reservations import reserve_compartment
from tests.factories.lockers import make_bank
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import stock

SMALL = Parcel(weight_g=2000, length_mm=300, width_mm=200, height_mm=150)


@pytest.fixture
def shop_url(merchant_a, live_server) -> Iterator[str]:
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60601")
    for sku in ("MUG-CLASSIC", "COFFEE-1KG"):
        stock(merchant, point, make_product(merchant, sku=sku), 10)
    server = make_server(
        "127.0.0.1",
        0,
        nearbox_url=live_server.url,
        key=merchant_a.publishable_key.raw,
        secret_key=merchant_a.secret_key.raw,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def refusal(page: str) -> str:
    """The refusal paragraph of a page, for a readable assertion message."""
    start = page.find('role="alert"')
    return page[start : start + 400] if start >= 0 else ""


def post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def locker_checkout(bank, token: str, checkout_id: str) -> dict[str, str]:
    return {
        "name": "Ann Shopper",
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


@pytest.mark.django_db(transaction=True)
def test_placing_a_locker_order_creates_it_on_nearbox_with_its_reservation(merchant_a, shop_url):
    bank = make_bank(merchant_a.merchant, compartments={"L": 2})
    held = reserve_compartment(bank=bank, parcel=SMALL)

    status, page = post(shop_url, locker_checkout(bank, held.token, "c0ffee01"))

    assert status == 200, refusal(page)
    order = Order.objects.get(merchant=merchant_a.merchant)
    assert order.reference == "WCG-WEB-C0FFEE01"
    assert f'id="order-reference">{order.reference}</strong>' in page
    assert (order.delivery_kind, order.pickup_location_ref) == ("locker", bank.pickup_ref)
    held.refresh_from_db()
    assert held.status == Reservation.Status.CONFIRMED and held.order_id == order.pk
    # A second click on "Place order" (same checkout) is the same order, not another one.
    again_status, again = post(shop_url, locker_checkout(bank, held.token, "c0ffee01"))
    assert again_status == 200 and order.reference in again
    assert Order.objects.filter(merchant=merchant_a.merchant).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_order_says_why_and_nothing_is_created(merchant_a, shop_url):
    bank = make_bank(merchant_a.merchant, compartments={"L": 2})

    status, page = post(shop_url, locker_checkout(bank, "no-such-hold", "c0ffee02"))

    assert status == 422
    assert "Nearbox refused the order" in page and "reservation_token" in page
    assert 'id="order-reference"' not in page
    assert not Order.objects.filter(merchant=merchant_a.merchant).exists()


@pytest.mark.django_db(transaction=True)
def test_a_shop_started_without_a_secret_key_says_so(merchant_a, live_server):
    server = make_server("127.0.0.1", 0, nearbox_url=live_server.url, key="k")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, page = post(f"http://127.0.0.1:{server.server_address[1]}/", {"name": "A"})
    finally:
        server.shutdown()
        server.server_close()
    assert status == 422 and "started without a secret key" in page
