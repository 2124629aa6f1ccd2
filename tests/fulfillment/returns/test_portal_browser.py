"""In Chromium on a phone (390 × 844): a shopper finds the order by number and email, chooses
what to send back and why, downloads the return label (a PDF whose barcode scans to the return
parcel's number) and follows the return until the shop has it back."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fulfillment.couriers.adapters import TrackingEvent, TrackingStatus, make_event_id
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.models import Order, Shipment
from fulfillment.models.returns import ReturnRequest
from fulfillment.returns.services.lookup import WRONG_PAIR
from fulfillment.shipments.services.booking import record_event
from merchant.models import StockLevel
from tests.fulfillment.returns.conftest import delivered_order
from tests.support.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium_browser):
    context = chromium_browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fits_the_screen(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_a_shopper_returns_an_item_from_the_order_number_to_its_tracking(
    live_server, phone, merchant_a
):
    merchant = merchant_a.merchant
    order = delivered_order(merchant, quantity=2)
    allocation = order.allocations.select_related("line__product", "point").first()
    level = StockLevel.objects.get(point=allocation.point, product=allocation.line.product)
    before = level.on_hand
    page = phone

    page.goto(f"{live_server.url}/returns/{merchant.slug}/")
    expect(page.get_by_role("heading", name="Return items")).to_be_visible()
    fits_the_screen(page)
    page.get_by_label("Order number").fill(order.reference)
    page.get_by_label("Email address used for the order").fill("someone@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("alert")).to_contain_text(WRONG_PAIR)

    page.get_by_label("Email address used for the order").fill("ADA@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name=f"Order {order.reference}")).to_be_visible()
    fits_the_screen(page)
    page.get_by_label(allocation.line.product.name).fill("1")
    page.get_by_label("Why are you sending it back?").select_option("Too small")
    page.get_by_label("Return label (print and post)").check()
    screenshot(page, "returns-portal-order-phone")
    page.get_by_role("button", name="Request the return").click()

    expect(page.locator("#return-state")).to_have_text("Return approved")
    fits_the_screen(page)
    request = ReturnRequest.objects.get(order=order)
    number = request.shipment.tracking_number
    expect(page.locator("#return-tracking-number")).to_have_text(number)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the return label (PDF)").click()
    with open(download.value.path(), "rb") as pdf:
        assert ("code128", number) in decode_pdf(pdf.read())[1]
    screenshot(page, "returns-portal-label-phone")

    # The courier brings the parcel back to the point it left from.
    record_event(
        shipment=Shipment.objects.get(pk=request.shipment_id),
        event=TrackingEvent(
            tracking_number=number,
            status=TrackingStatus.DELIVERED,
            occurred_at=timezone.now(),
            courier_code="delivered",
            courier_description="Delivered to the shop",
            event_id=make_event_id("test", number, "delivered"),
        ),
    )
    page.reload()
    expect(page.locator("#return-state")).to_have_text("Return received")
    page.get_by_role("link", name="Follow the return parcel").click()
    expect(page.locator("#status-headline")).to_have_text("Delivered")
    fits_the_screen(page)

    order.refresh_from_db()
    level.refresh_from_db()
    assert order.status == Order.Status.RETURNED
    assert level.on_hand == before + 1  # back on the shelf of the point it left from
