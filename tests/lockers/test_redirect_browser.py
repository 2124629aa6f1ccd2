"""Issue #20's test that must exist, in Chromium: a redirect to a locker from the exceptions
queue reserves a compartment, notifies the shopper once, and the tracking page shows the new
place; and the shopper doing it themselves from the tracking page on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.models import Order, ParcelRedirect, SentMessage
from lockers.models import Reservation
from tests.factories.couriers import make_shipment
from tests.factories.lockers import LOOP, make_bank
from tests.factories.orders import make_order
from tests.support.helpers import screenshot, sign_in_browser


def failed_parcel(merchant):
    order = make_order(merchant)
    Order.objects.filter(pk=order.pk).update(latitude=LOOP[0], longitude=LOOP[1])
    return make_shipment(merchant, order=order, status="failed_attempt")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_redirect_to_a_locker_from_the_exceptions_queue(page, live_server, merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Loop Locker")
    shipment = failed_parcel(merchant)
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(f"{live_server.url}/app/shipments/exceptions/")
    row = page.locator(f"#exception-{shipment.pk}")
    row.get_by_role("button", name="Loop Locker").dblclick()  # an impatient double click
    expect(page.get_by_text("now goes to Loop Locker")).to_be_visible()
    screenshot(page, "exceptions-redirected-to-locker")

    held = Reservation.objects.get(order_id=shipment.order_id)
    assert (held.bank_id, held.status) == (bank.pk, "confirmed")
    assert SentMessage.objects.filter(order_id=shipment.order_id, event="redirected").count() == 1
    assert ParcelRedirect.objects.filter(shipment=shipment).count() == 1
    expect(page.locator(f"#exception-{shipment.pk}")).to_have_count(0)  # handled: off the queue

    page.goto(f"{live_server.url}/t/{shipment.public_token}/")
    expect(page.locator("#redirected")).to_contain_text("now goes to Loop Locker")
    expect(page.locator("#pickup-title")).to_be_visible()
    expect(page.locator("section[aria-labelledby=pickup-title]")).to_contain_text("Loop Locker")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_shopper_sends_the_parcel_to_a_locker_from_the_tracking_page_on_a_phone(
    chromium_browser, live_server, merchant_a
):
    merchant = merchant_a.merchant
    make_bank(merchant, name="Wacker Locker")
    shipment = failed_parcel(merchant)
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/t/{shipment.public_token}/")
        page.get_by_role("button", name="Send it to Wacker Locker").click()
        expect(page.locator("#redirected")).to_contain_text(
            "Done: your parcel now goes to Wacker Locker"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "tracking-page-shopper-redirected-mobile")
        record = ParcelRedirect.objects.get(shipment=shipment)
        assert record.requested_by == "shopper" and record.notified_at is not None
    finally:
        context.close()
