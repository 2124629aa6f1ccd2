"""In Chromium: the shipment page previews its label (a PDF that scans), and the order page's
"Create return label" downloads a return label with its own tracking number, once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.labels.render.scan import decode_pdf
from fulfillment.models import Shipment
from tests.factories.couriers import make_shipment
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.support.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shipment_page_previews_the_label_and_the_order_page_makes_one_return(
    live_server, page, merchant_a
):
    shipment = make_shipment(merchant_a.merchant)
    sign_in(page, live_server, merchant_a)

    with page.expect_response(lambda r: "/app/labels/shipments/" in r.url) as preview:
        page.goto(f"{live_server.url}/app/couriers/shipments/{shipment.pk}/")
    assert preview.value.status == 200
    assert preview.value.headers["content-type"] == "application/pdf"
    # Chromium's PDF viewer holds the frame's body; fetch the same URL in the signed-in context.
    pdf = page.request.get(preview.value.url).body()
    assert ("code128", shipment.tracking_number) in decode_pdf(pdf)[1]
    expect(page.get_by_title(f"Label preview for {shipment.tracking_number}")).to_be_visible()
    expect(page.get_by_role("link", name="4×6 ZPL (thermal)")).to_be_visible()
    screenshot(page, "label-shipment-preview")

    page.goto(f"{live_server.url}/app/orders/{shipment.order_id}/")
    button = page.get_by_role("button", name="Create return label")
    expect(button).to_be_visible()
    with page.expect_download() as first:
        button.click()
    ret = Shipment.objects.get(order_id=shipment.order_id, is_return=True)
    assert first.value.suggested_filename == f"{ret.tracking_number}-4x6.pdf"
    with open(first.value.path(), "rb") as pdf:
        assert ("code128", ret.tracking_number) in decode_pdf(pdf.read())[1]

    page.reload()
    again = page.get_by_role("button", name="Download the return label")
    expect(again).to_be_visible()
    expect(page.locator("#return-label")).to_contain_text(ret.tracking_number)
    with page.expect_download() as second:
        again.click()
    assert second.value.suggested_filename == first.value.suggested_filename
    assert Shipment.objects.filter(order_id=shipment.order_id, is_return=True).count() == 1
