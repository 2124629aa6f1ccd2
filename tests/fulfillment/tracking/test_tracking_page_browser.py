"""The public tracking page in Chromium on a phone-sized screen: it updates without a reload
and stops polling once the parcel is delivered."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.tracking.ingest import ingest_results
from tests.support.helpers import screenshot
from tests.support.tracking import add_shipment, event, result, sandbox_account


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_tracking_page_updates_live_on_a_phone_and_stops_polling_when_delivered(
    chromium_browser, live_server, merchant_a, settings
):
    settings.NEARBOX_TRACKING_REFRESH_SECONDS = 1
    account, service = sandbox_account(merchant_a.merchant)
    shipment = add_shipment(account, service)
    n = shipment.tracking_number
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/status") else None)
    try:
        page.goto(f"{live_server.url}/t/{shipment.public_token}/")
        assert page.locator("#status-headline").inner_text() == "Info received"
        assert page.locator("header").inner_text().strip() == "Shop A"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone

        now = timezone.now()
        ingest_results(account=account, results={n: result(n, event(n, S.OUT_FOR_DELIVERY, now))})
        # expect(), not wait_for_function(): a string predicate is eval'd in the page,
        # which the page's Content-Security-Policy refuses.
        expect(page.locator("#status-headline")).to_have_text("Out for delivery", timeout=30_000)
        ingest_results(account=account, results={n: result(n, event(n, S.DELIVERED, now))})
        expect(page.locator("#status-headline")).to_have_text("Delivered", timeout=30_000)
        screenshot(page, "tracking-page-delivered-mobile")
        assert page.locator("#tracking-status").get_attribute("data-final") == "true"
        seen = len(polls)
        time.sleep(3.5)  # three more refresh intervals
        assert len(polls) == seen, "the page kept polling after delivery"
        assert page.locator(".timeline li").count() == 2
    finally:
        context.close()
