"""In Chromium with the real Celery worker and the courier sandbox: filter the order list by a
tag, tick "all matching", Ship selected, follow the progress, download the one PDF (its first
label scans to the first order's tracking number), void that label and ship the order again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.desk.services.tags import set_order_tags
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.models import Shipment, ShipRun, ShipRunItem
from fulfillment.orders.services.orders import cancel_order
from tests.factories.orders import make_order
from tests.fulfillment.desk.support import ready_orders, sandbox_account
from tests.fulfillment.orders.test_pages_browser import sign_in
from tests.support.couriers import start_sandbox
from tests.support.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def sandbox():
    """At real speed: a parcel stays "booked" long enough for its label to be voided."""
    server = start_sandbox("--speed", "1")
    yield server
    server.stop()


def download(page, live_server, link) -> bytes:
    """The file behind the link, fetched in the signed-in context (Chromium shows a PDF
    inline, in its viewer, instead of downloading it)."""
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    return response.body()


def test_filter_select_all_ship_download_void_and_reship(
    live_server,
    page,
    merchant_a,
    sandbox,
    celery_worker,
):
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    gifts = ready_orders(merchant, 3)
    cancelled = make_order(merchant)
    make_order(merchant)  # not tagged: not in the run
    for order in [*gifts, cancelled]:
        set_order_tags(order=order, tags="gift")
    cancel_order(order=cancelled, user=None, note="")
    sign_in(page, live_server, merchant_a)

    page.goto(f"{live_server.url}/app/orders/")
    page.get_by_label("Tag").fill("gift")
    page.get_by_label("Tag").press("Enter")
    expect(page.locator("#order-table caption")).to_have_text("4 orders matching the filters")
    page.get_by_label("All 4 orders matching the filters").check()
    page.get_by_role("button", name="Ship selected").click()

    expect(page.locator("#run-pdf")).to_be_visible(timeout=60_000)
    run = ShipRun.objects.get()
    expect(page.locator("[data-finished=true]")).to_contain_text("3 booked, 0 failed, 1 skipped")
    page.reload()
    expect(page.locator("#skipped")).to_contain_text("cancelled")
    screenshot(page, "desk-ship-run")
    items = list(run.items.filter(state=ShipRunItem.State.BOOKED).select_related("shipment"))
    assert {i.order_id for i in items} == {o.pk for o in gifts}
    pdf = download(page, live_server, page.locator("#run-pdf"))
    first = items[0].shipment
    assert ("code128", first.tracking_number) in decode_pdf(pdf, pages=[1])[1]

    # Void the first label, then ship that order again from the list.
    page.goto(f"{live_server.url}/app/couriers/shipments/{first.pk}/")
    page.get_by_role("button", name="Void label").click()
    expect(page.get_by_text("Voided", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/app/orders/?tag=gift")
    reference = items[0].order.reference
    page.get_by_label(f"Select order {reference}").check()
    page.get_by_role("button", name="Ship selected").click()
    expect(page.locator("#run-pdf")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-finished=true]")).to_contain_text("1 booked, 0 failed, 0 skipped")
    again = Shipment.objects.exclude(pk=first.pk).get(order_id=first.order_id, is_return=False)
    assert again.tracking_number and again.tracking_number != first.tracking_number
    pdf = download(page, live_server, page.locator("#run-pdf"))
    assert ("code128", again.tracking_number) in decode_pdf(pdf, pages=[1])[1]
