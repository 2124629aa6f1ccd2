"""In Chromium, under the strict CSP: Settings → Boxes adds a box typed in inches and ounces
and deactivates it through htmx; the shipment page voids a label and the order ships again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.models import BoxPreset, Shipment
from tests.factories.couriers import make_shipment
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.support.helpers import screenshot, wait_for
from tests.test_csp_browser import COLLECT_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_boxes_are_added_in_inches_and_deactivated_in_place(live_server, page, merchant_a):
    page.add_init_script(COLLECT_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, merchant_a)

    page.goto(f"{live_server.url}/app/settings/")
    page.get_by_role("link", name="Boxes").click()
    expect(page.get_by_role("heading", name="Boxes", exact=True)).to_be_visible()
    expect(page.get_by_text("No boxes yet")).to_be_visible()
    page.get_by_label("Name").fill("Small mailer")
    page.get_by_label("Inside length").fill("12 in")
    page.get_by_label("Inside width").fill("9 in")
    page.get_by_label("Inside height").fill("4 in")
    page.get_by_label("Empty weight").fill("6 oz")
    page.get_by_role("button", name="Add box").click()
    row = page.get_by_role("row", name="Small mailer")
    expect(row).to_contain_text("12 × 9 × 4 in")
    expect(row).to_contain_text("6 oz")
    screenshot(page, "boxes-list")

    url_before = page.url
    row.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("No boxes yet")).to_be_visible()
    assert page.url == url_before  # swapped in place by htmx, no navigation
    assert not BoxPreset.objects.get().is_active
    page.get_by_role("link", name="Show deactivated boxes too").click()
    expect(page.get_by_role("row", name="Small mailer")).to_contain_text("Deactivated")
    assert page.evaluate("window.__cspViolations") == [] and errors == []


def test_the_shipment_page_voids_the_label_and_the_order_offers_shipping_again(
    live_server, page, merchant_a
):
    shipment = make_shipment(merchant_a.merchant)  # our own drivers: nothing charged
    shipment.order.status = "picked"
    shipment.order.save(update_fields=["status"])
    sign_in(page, live_server, merchant_a)
    page.goto(f"{live_server.url}/app/couriers/shipments/{shipment.pk}/")
    page.get_by_role("button", name="Void label").click()
    expect(page.get_by_text("Label voided: the order is ready to ship again.")).to_be_visible()
    expect(page.get_by_text("Nothing was charged")).to_be_visible()
    expect(page.get_by_role("button", name="Void label")).to_have_count(0)
    assert wait_for(lambda: Shipment.objects.get(pk=shipment.pk).voided_at)

    page.goto(f"{live_server.url}/app/orders/{shipment.order_id}/")
    expect(page.locator("#rate-options")).to_contain_text("was voided")
    expect(page.get_by_label("Scale reading")).to_be_visible()
