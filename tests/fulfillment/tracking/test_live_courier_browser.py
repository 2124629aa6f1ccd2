"""A same-day order booked with the sandbox's on-demand courier through the Stuart adapter:
the sandbox's courier rides to the shopper and pushes Stuart webhooks to the app; the shopper's
tracking page, in Chromium, shows the courier's marker moving, then "Arriving", then
"Delivered"; the "nearby" message is created once and sends one email."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from django.core import mail
from playwright.sync_api import expect

from fulfillment.couriers.adapters.ondemand.oauth import forget_tokens
from fulfillment.models import Notification
from fulfillment.orders.services.orders import advance_order, create_order
from fulfillment.shipments.services.booking import book_shipment
from fulfillment.tracking.notifications import send_notification
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock
from tests.support.couriers import SANDBOX_KEY, SandboxProcess, start_sandbox
from tests.support.helpers import screenshot, wait_for
from tests.support.tracking import add_shipment

AUTH_HEADER, AUTH_VALUE = "X-Stuart-Auth", "stuart-hook-b7c2"
CLIENT_ID = "nearbox-browser-test"


@pytest.fixture(scope="module")
def ondemand_sandbox() -> Iterator[SandboxProcess]:
    # A 5 km bike ride takes about ten real seconds; a position every 5 simulated seconds.
    server = start_sandbox("--ondemand-speed", "150", "--ondemand-position-every", "5")
    yield server
    server.stop()


def stuart_account(merchant, sandbox_url: str):
    account = make_account(
        merchant, courier="stuart", name="Stuart (sandbox)", base_url=sandbox_url,
        credentials=f"client_id={CLIENT_ID}\nclient_secret={SANDBOX_KEY}\n"
                    f"webhook_auth_header={AUTH_HEADER}\nwebhook_auth_value={AUTH_VALUE}",
    )  # fmt: skip
    return account, make_service(account, level="same_day", code="bike", name="Same-day bike")


def point_webhooks_at(sandbox_url: str, url: str) -> None:
    """Set the Stuart webhook (URL, authentication header and value) of our API client."""
    token = httpx.post(f"{sandbox_url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": SANDBOX_KEY, "scope": "api"}).json()["access_token"]  # fmt: skip
    answer = httpx.post(
        f"{sandbox_url}/v2/webhooks",
        headers={"Authorization": f"Bearer {token}"},
        json={"url": url, "authentication_header": AUTH_HEADER,
              "authentication_key": AUTH_VALUE, "enabled": True},
    )  # fmt: skip
    answer.raise_for_status()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_shopper_watches_the_on_demand_courier_arrive_and_is_told_once(
    chromium_browser, live_server, merchant_a, ondemand_sandbox, settings
):
    settings.NEARBOX_TRACKING_LIVE_REFRESH_SECONDS = 1
    settings.NEARBOX_NEARBY_ETA_SECONDS = 0  # on this fast clock every ETA is seconds away
    # "Near" is the last 1.5 km: about three real seconds of "Arriving" before the door and
    # the hand-over, several page refreshes even on a busy machine.
    settings.NEARBOX_NEARBY_DISTANCE_M = 1500
    forget_tokens()
    account, service = stuart_account(merchant_a.merchant, ondemand_sandbox.url)
    hook = f"{live_server.url}/webhooks/couriers/{account.webhook_token}"
    point_webhooks_at(ondemand_sandbox.url, hook)
    # The shop (a point in 60614 that ships same day) sends a parcel downtown (60601).
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60614", same_day_cutoff=dt.time(23, 59))
    product = make_product(merchant)
    stock(merchant, point, product, 1)
    order, _ = create_order(merchant=merchant, data=order_data(
        (product.sku, 1), delivery={"kind": "home", "service_level": "same_day"},
        destination={"line1": "100 E Randolph St", "postal_code": "60601"},
    ))  # fmt: skip
    order = advance_order(order=order, to_status="picked", user=None)
    shipment = add_shipment(
        account, service, order=order, tracking_number="", status="pending", booked_at=None
    )
    shipment = book_shipment(shipment_id=shipment.pk)  # through the Stuart adapter
    assert shipment.tracking_number.isdigit()
    assert shipment.courier_reference == shipment.tracking_number

    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []  # console errors, CSP refusals included
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server.url}/t/{shipment.public_token}/")
        expect(page.locator("#live-title")).to_have_text("On the way to you", timeout=40_000)
        courier_map = page.locator("#courier-map")
        expect(courier_map).to_have_attribute("data-ready", "true")
        marker = page.locator(".courier-marker")
        expect(marker).to_have_count(1)
        expect(page.locator(".dropoff-marker")).to_have_count(1)
        first = (courier_map.get_attribute("data-courier-lat"),
                 courier_map.get_attribute("data-courier-lon"))  # fmt: skip
        wait_for(
            lambda: (courier_map.get_attribute("data-courier-lat"),
                     courier_map.get_attribute("data-courier-lon")) != first,
            timeout=20, what="the courier's marker to move",
        )  # fmt: skip
        expect(page.locator("#live-eta")).to_contain_text("away")
        expect(marker).to_have_count(1)  # moved, not redrawn beside the old one
        expect(page.locator("#live-title")).to_have_text("Arriving", timeout=40_000)
        expect(page.locator("#live-eta")).to_contain_text("is arriving")
        screenshot(page, "tracking-page-live-courier-arriving")
        # The courier is near: the message row exists; the worker's task sends it (here
        # in-process, twice, as a redelivered task would: one email).
        rows = Notification.objects.filter(shipment=shipment, kind=Notification.Kind.NEARBY)
        note = wait_for(rows.first, timeout=10, what="the nearby notification")
        mail.outbox.clear()
        send_notification(notification_id=note.pk)
        assert send_notification(notification_id=note.pk) is None
        expect(page.locator("#status-headline")).to_have_text("Delivered", timeout=40_000)
        expect(page.locator("#courier-map")).to_have_count(0)  # no courier once delivered
    finally:
        context.close()
    assert errors == []
    # Every later position near the door created nothing more.
    assert rows.count() == 1 and rows.get().state == Notification.State.SENT
    assert len(mail.outbox) == 1 and "with your parcel" in mail.outbox[0].subject
