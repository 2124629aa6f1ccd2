"""Names typed by people reach the placement map's tooltips as text, never as markup.

Leaflet inserts a string tooltip with innerHTML, so a storage point named like an HTML tag
used to run its script on the merchant's own dashboard (stored DOM XSS)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from merchant.models import PlacementPlan
from tests.factories.merchant import make_point
from tests.support.helpers import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = '"><img src=x onerror="window.__xss=1;alert(1)">'


def test_a_point_named_like_markup_shows_as_text_in_the_placement_map_tooltip(
    live_server, page, merchant_a
):
    merchant = merchant_a.merchant
    point = make_point(merchant, name=PAYLOAD, role="in_use")
    plan = PlacementPlan.objects.create(
        merchant=merchant,
        status=PlacementPlan.Status.READY,
        params={"mode": "distance", "k": 1, "history_days": 90, "cover_days": 14},
        result={
            "points": [
                {
                    "id": point.pk,
                    "name": PAYLOAD,
                    "lat": 41.88,
                    "lon": -87.63,
                    "open": True,
                    "in_use_today": True,
                    "capacity_units": None,
                }
            ],
            "clusters": [
                {
                    "postal_code": f"<b>{PAYLOAD}</b>",
                    "lat": 41.9,
                    "lon": -87.65,
                    "weight": 4.0,
                    "point_id": point.pk,
                    "distance_km": 2.5,
                }
            ],
        },
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(f"{live_server.url}/app/placement/{plan.pk}/")

    markers = page.locator("#placement-map path.leaflet-interactive")
    expect(markers).to_have_count(3)  # the point, the area and the line between them
    for i in range(3):
        markers.nth(i).dispatch_event("mouseover")
    tooltips = page.locator("#placement-map .leaflet-tooltip")
    expect(tooltips.filter(has_text=f"{PAYLOAD} (used by the plan)")).to_have_count(1)
    expect(tooltips.filter(has_text=f"<b>{PAYLOAD}</b>: 2.5 km")).to_have_count(1)
    assert page.locator("#placement-map img, #placement-map b").count() == 0
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
