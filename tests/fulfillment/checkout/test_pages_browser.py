"""In Chromium: add a free-shipping rule on Settings → Checkout rules, then see it in the
preview (htmx, no reload) for a cart over the threshold, and not for one under it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.models import CheckoutRule
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.support.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_free_shipping_rule_added_on_the_page_shows_in_the_preview(
    live_server, page, merchant_a, shop
):
    errors: list[str] = []  # console errors, CSP refusals included
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, merchant_a)
    page.goto(f"{live_server.url}/app/settings/checkout-rules/")
    expect(page.get_by_text("No checkout rules yet")).to_be_visible()

    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("Name").fill("Free over $50")
    page.get_by_label("Action").select_option("free")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("Give the order value free shipping starts at.")).to_be_visible()
    page.get_by_label("Order value at least (USD)").fill("50")
    page.get_by_label("Home delivery").check()
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("link", name="Free over $50")).to_be_visible()
    assert CheckoutRule.objects.get().min_order_minor == 5000

    page.get_by_label("ZIP / postal code").fill("60614")
    page.get_by_label("Cart value (USD)").fill("60")
    page.get_by_role("button", name="Preview").click()
    result = page.locator("#preview-result")
    home = result.locator(f'[data-option="svc-{shop["next_day"].pk}"]')
    expect(home).to_contain_text("$0.00")
    expect(home).to_contain_text("Free over $50")
    expect(result.locator(f'[data-option="locker:{shop["bank"].pk}"]')).to_be_visible()
    assert page.url.endswith("/app/settings/checkout-rules/")  # swapped in place by htmx
    screenshot(page, "checkout-rules-preview")

    page.get_by_label("Cart value (USD)").fill("20")
    page.get_by_role("button", name="Preview").click()
    expect(home).to_contain_text("$8.99")
    expect(home).not_to_contain_text("Free over $50")
    assert errors == []
