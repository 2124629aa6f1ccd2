"""In Chromium: the merchant sets the return rules, approves a shopper's request with a note and
receives a drop-off by its code at the counter; the page runs under the strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.models import Order, OrderLine
from fulfillment.models.returns import ReturnRequest
from fulfillment.returns.services.requests import create_return_request
from merchant.models import StockMovement
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.fulfillment.returns.conftest import delivered_order
from tests.support.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_settings_approval_and_a_counter_receive(live_server, page, merchant_a):
    merchant = merchant_a.merchant
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    sign_in(page, live_server, merchant_a)

    page.goto(f"{live_server.url}/app/returns/settings/")
    page.get_by_label("Approve every request at once").uncheck()
    page.get_by_label("Shoppers may drop the parcel off with a code").check()
    page.get_by_label("Reasons a shopper chooses from").fill("Too small\nBroken")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Return settings saved.")).to_be_visible()

    order = delivered_order(merchant, quantity=2)
    request = create_return_request(
        merchant=merchant,
        order=order,
        quantities={OrderLine.objects.get(order=order).pk: 2},
        reason="Broken",
        method="dropoff",
        comment="The handle came off",
    )
    assert request.state == ReturnRequest.State.REQUESTED
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Returns").click()
    row = page.locator(f"tr[data-return='{request.pk}']")
    expect(row).to_contain_text("The handle came off")
    row.get_by_label("Note").fill("Sorry about that")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Return approved.")).to_be_visible()
    request.refresh_from_db()
    assert request.state == ReturnRequest.State.APPROVED and request.note == "Sorry about that"
    screenshot(page, "returns-dashboard")

    page.get_by_label("Drop-off code").fill(request.dropoff_code.lower())
    page.get_by_role("button", name="Receive the parcel").click()
    expect(page.get_by_text(f"Return of order {order.reference} received.")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.RETURNED
    assert [
        m.on_hand_delta for m in StockMovement.objects.filter(reference=f"return:{request.pk}")
    ] == [2]
    assert not violations
