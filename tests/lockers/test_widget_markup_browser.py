"""Place names typed by a merchant (or an import file) reach the checkout widget as text.

The widget runs on the shop's own site, so a locker named like an HTML tag that ran there
would be script on the shop's checkout (stored DOM XSS through Leaflet's string tooltips)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lockers.models import LockerBank, PickupShop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = '"><img src=x onerror="window.__xss=1;alert(1)">'


def test_a_locker_and_a_shop_named_like_markup_show_as_text_on_the_shops_checkout(
    live_server,
    page,
    shop_pages,
    network,
):
    LockerBank.objects.filter(pk=network["near"].pk).update(name=f"Locker {PAYLOAD}")
    PickupShop.objects.filter(pk=network["shop"].pk).update(name=f"Shop {PAYLOAD}")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(
        shop_pages.checkout(
            "/checkout",
            script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
            key=network["key"],
        )
    )
    root = page.locator("#nearbox")  # the widget (locators pierce its open shadow root)
    root.get_by_label("Postcode").fill("60601")
    expect(root.get_by_role("status")).to_have_text("3 options found")
    listbox = root.get_by_role("listbox", name="Delivery options")
    expect(listbox.get_by_role("option", name=f"Locker {PAYLOAD}")).to_have_count(1)

    markers = root.locator("path.nbx-marker--locker, path.nbx-marker--shop")
    expect(markers).to_have_count(3)
    for i in range(3):
        markers.nth(i).dispatch_event("mouseover")
    tooltips = root.locator(".leaflet-tooltip")
    expect(tooltips.filter(has_text=f"Locker {PAYLOAD}")).to_have_count(1)
    expect(tooltips.filter(has_text=f"Shop {PAYLOAD}")).to_have_count(1)
    assert root.locator("img:not(.leaflet-tile)").count() == 0
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
