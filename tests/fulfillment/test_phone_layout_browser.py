"""On a phone (390 × 844) the shipment and order pages fit the screen: no sideways scroll."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import ShipmentEvent
from tests.factories.couriers import make_shipment
from tests.support.helpers import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The widest element when the page is wider than the screen, to say what to fix.
WIDEST = """() => {
  let worst = null;
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > 390.5 && (!worst || r.right > worst.right)) {
      worst = {tag: el.tagName, cls: el.className, id: el.id, right: r.right};
    }
  }
  return worst;
}"""


@pytest.fixture
def phone(chromium_browser):
    context = chromium_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_the_shipment_and_order_pages_fit_a_390_px_phone(live_server, phone, merchant_a):
    merchant = merchant_a.merchant
    shipment = make_shipment(
        merchant,
        why="Cheapest of 3 option(s) that keep the promise: $0.40 less than the next one.",
        last_error="The courier refused the parcel: dimensions exceed the service's limits.",
    )
    ShipmentEvent.objects.create(
        merchant=merchant,
        shipment=shipment,
        status="in_transit",
        occurred_at=shipment.booked_at,
        courier_code="IT",
        courier_description="Departed the sorting facility at CHICAGO-WEST-HUB-0042",
        event_id="evt-phone-1",
        source="webhook",
    )
    sign_in_browser(phone, live_server, merchant_a.owner)
    for url in (
        reverse("shipment_detail", args=[shipment.pk]),
        reverse("order_detail", kwargs={"order_id": shipment.order_id}),
    ):
        phone.goto(live_server.url + url)
        phone.wait_for_load_state("load")
        width = scroll_width(phone)
        assert width <= 390, f"{url} is {width} px wide; widest: {phone.evaluate(WIDEST)}"
