"""A merchant adds a storage point in headless Chromium and finds it on the list and the map."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from merchant.models import DemandRecord, StoragePoint
from merchant.services.geocoding import distance_m
from tests.factories.merchant import CHICAGO, make_point
from tests.support.helpers import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merchant_adds_a_point_and_sees_it_on_the_list_and_the_map(live_server, page, merchant_a):
    merchant = merchant_a.merchant
    make_point(merchant, name="Candidate site", postal_code="60647", role="candidate")
    today = timezone.localdate()
    for zip_code, units in (("60601", 12), ("60616", 4), ("60622", 7)):
        DemandRecord.objects.create(
            merchant=merchant,
            ordered_on=today - timedelta(days=3),
            postal_code=zip_code,
            latitude=CHICAGO[zip_code][0],
            longitude=CHICAGO[zip_code][1],
            units=units,
        )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(merchant_a.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Storage points").click()
    page.get_by_role("link", name="Add a storage point").first.click()

    page.get_by_label("Name", exact=True).fill("Lincoln Park back room")
    page.get_by_label("Kind", exact=True).select_option("back_room")
    page.get_by_label("Street address").fill("2430 N Cannon Dr")
    page.get_by_label("City", exact=True).fill("Chicago")
    page.get_by_label("ZIP / postal code").fill("60614")
    page.get_by_label("Monthly cost (USD)").fill("1250.50")
    page.get_by_label("Same-day cut-off").fill("14:00")
    page.get_by_label("Closed on Sunday").uncheck()
    page.get_by_label("Sunday opens").fill("10:00")
    page.get_by_label("Sunday closes").fill("16:00")
    screenshot(page, "storage-point-form")
    page.get_by_role("button", name="Add storage point").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Lincoln Park back room")
    point = StoragePoint.objects.get(merchant=merchant, name="Lincoln Park back room")
    assert point.is_active and distance_m(point.location, CHICAGO["60614"]) < 2000
    assert point.opening_hours["sun"] == [["10:00", "16:00"]]
    assert point.monthly_cost == 125050

    page.goto(f"{live_server.url}/app/storage-points/")
    row = page.get_by_role("row").filter(has_text="Lincoln Park back room")
    expect(row).to_contain_text("$1,250.50")
    expect(row).to_contain_text("Active")

    page.get_by_role("link", name="Map").click()
    expect(page.locator("#points-map[data-ready=true]")).to_be_visible()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(2)
    expect(page.locator(".leaflet-marker-icon.point-marker--active")).to_have_attribute(
        "title", "Lincoln Park back room (active)"
    )
    expect(page.locator(".leaflet-marker-icon.point-marker--candidate")).to_have_count(1)
    expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(1)
    assert page.locator(".leaflet-tile").count() == 0  # no tile server configured
    screenshot(page, "storage-points-map")
