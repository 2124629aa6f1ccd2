"""The checkout widget in Chromium: where home deliveries often fail, the nearest locker is listed
first, before home delivery, with the reason in the shopper's language; elsewhere home delivery
stays first and no reason is shown. Reuses the lockers widget tests' shop page and network
(imported by conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfillment.models.risk import AddressRiskModel
from fulfillment.risk.model import prior_model
from tests.factories.couriers import make_account, make_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_risky_postcode_puts_the_nearest_locker_first_with_the_reason(
    live_server,
    page,
    shop_pages,
    network,
    merchant_a,
):
    merchant = merchant_a.merchant
    make_service(make_account(merchant, name="Zip Couriers"), name="Next day")
    model = prior_model(0.05)
    AddressRiskModel.objects.create(
        merchant=merchant,
        kind="trained",
        intercept=model.intercept,
        coefficients=dict(model.coefficients),
        means=dict(model.means),
        zip_stats={"60601": [60, 100], "60602": [1, 100]},
        overall_rate=0.05,
        unit_streets=[],
    )
    url = shop_pages.checkout(
        "/checkout",
        script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
        key=network["key"],
    )
    page.goto(url)
    root = page.locator("#nearbox")

    root.get_by_label("Postcode").fill("60601")
    expect(root.get_by_role("status")).to_have_text("4 options found")
    note = root.get_by_role("note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Parcels to this area often come back.")
    expect(note).to_contain_text("A locker")
    expect(note).to_contain_text("holds your parcel for 7 days")
    options = root.get_by_role("option")
    expect(options.first).to_contain_text("Loop Locker")
    names = options.all_inner_texts()
    home_at = next(i for i, text in enumerate(names) if text.startswith("Next day"))
    assert home_at > 0, names

    root.get_by_label("Postcode").fill("60602")
    expect(note).to_be_hidden()
    expect(root.get_by_role("option").first).to_contain_text("Next day")

    # The reason in the shopper's language (es).
    url_es = shop_pages.checkout(
        "/es",
        script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
        key=network["key"],
        extra='data-locale="es"',
    )
    page.goto(url_es)
    root.get_by_label("Código postal").fill("60601")
    expect(root.get_by_role("note")).to_contain_text("Un casillero a ")
    expect(root.get_by_role("note")).to_contain_text("durante 7 días")


def test_the_pages_own_street_field_feeds_the_score_and_names_the_reason(
    live_server, page, shop_pages, network, merchant_a
):
    from fulfillment.risk.services import update_risk_settings

    update_risk_settings(merchant=merchant_a.merchant, enabled=True, threshold=0.1)
    url = shop_pages.checkout(
        "/street",
        script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
        key=network["key"],
        extra='data-street-input="#street"',
    )
    page.goto(url)
    root = page.locator("#nearbox")
    expect(root.get_by_label("Postcode")).to_be_visible()
    page.evaluate(
        """() => {
          const field = document.createElement('input');
          field.id = 'street';
          field.value = 'PO Box 9';
          document.getElementById('checkout').prepend(field);
        }"""
    )
    root.get_by_label("Postcode").fill("60601")
    note = root.get_by_role("note")
    expect(note).to_contain_text("Couriers cannot deliver to a PO box.")
    expect(root.get_by_role("option").first).to_contain_text("Loop Locker")
