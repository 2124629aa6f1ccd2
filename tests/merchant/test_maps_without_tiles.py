"""Dashboard maps without a tile server (the default offline setup) say so, and name each
marker on the plain background; with tiles configured the notice goes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories.lockers import make_bank, make_shop
from tests.factories.merchant import make_point
from tests.support.helpers import sign_in_browser

NOTICE = "No map tiles configured: points are drawn on a plain background."


@pytest.mark.django_db
def test_the_maps_say_there_are_no_tiles_only_when_none_are_configured(
    client_a, merchant_a, settings
):
    make_point(merchant_a.merchant, name="Loop room")
    make_bank(merchant_a.merchant)
    settings.NEARBOX_MAP_TILES_URL = ""
    for name in ("points_map", "pickup_map"):
        page = client_a.get(reverse(name)).content.decode()
        assert NOTICE in page, name
        assert "map--plain" in page, name
    settings.NEARBOX_MAP_TILES_URL = "http://tiles.invalid/{z}/{x}/{y}.png"
    for name in ("points_map", "pickup_map"):
        page = client_a.get(reverse(name)).content.decode()
        assert NOTICE not in page, name
        assert "map--plain" not in page, name


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_points_on_a_map_without_tiles_carry_their_names_as_text(
    live_server, page, merchant_a, settings
):
    settings.NEARBOX_MAP_TILES_URL = ""
    make_point(merchant_a.merchant, name="Loop <b>room</b>", postal_code="60601")
    make_point(merchant_a.merchant, name="Lincoln Park", postal_code="60614")
    sign_in_browser(page, live_server, merchant_a.owner)

    page.goto(live_server.url + reverse("points_map"))
    expect(page.get_by_role("note")).to_have_text(NOTICE)
    expect(page.locator("#points-map[data-ready=true]")).to_be_visible()
    labels = page.locator("#points-map .leaflet-tooltip.map-label")
    expect(labels).to_have_count(2)
    expect(labels.filter(has_text="Loop <b>room</b>")).to_be_visible()
    expect(labels.filter(has_text="Lincoln Park")).to_be_visible()
    assert page.locator("#points-map .leaflet-tooltip b").count() == 0  # text, not markup
    colours = labels.first.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert colours == ["rgb(17, 24, 39)", "rgb(255, 255, 255)"]  # dark on white


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pickup_places_on_a_map_without_tiles_carry_their_names(
    live_server, page, merchant_a, settings
):
    settings.NEARBOX_MAP_TILES_URL = ""
    make_bank(merchant_a.merchant, name="Loop lockers")
    make_shop(merchant_a.merchant, name="Corner shop", at=(41.9229, -87.6483))
    sign_in_browser(page, live_server, merchant_a.owner)

    page.goto(live_server.url + reverse("pickup_map"))
    expect(page.get_by_role("note")).to_have_text(NOTICE)
    labels = page.locator("#pickup-map .leaflet-tooltip.map-label")
    expect(labels).to_have_count(2)
    expect(labels.filter(has_text="Loop lockers")).to_be_visible()
    expect(labels.filter(has_text="Corner shop")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_crowded_map_without_tiles_names_places_on_hover_not_all_at_once(
    live_server, page, merchant_a, settings
):
    settings.NEARBOX_MAP_TILES_URL = ""
    for n in range(31):
        make_shop(merchant_a.merchant, at=(41.85 + n * 0.003, -87.65))
    sign_in_browser(page, live_server, merchant_a.owner)

    page.goto(live_server.url + reverse("pickup_map"))
    expect(page.get_by_role("note")).to_have_text(NOTICE)
    expect(page.locator("#pickup-map .leaflet-control-scale")).to_be_visible()  # drawn
    assert page.locator("#pickup-map .leaflet-tooltip.map-label").count() == 0
