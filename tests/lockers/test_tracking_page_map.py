"""The shopper's tracking page of a locker order maps the locker; without a tile server it says
so in a styled notice and draws the map's plain background, like the dashboard maps."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank, order_for

pytestmark = pytest.mark.django_db

NOTICE = "No map tiles configured: points are drawn on a plain background."


def tracking_page(merchant) -> str:
    bank = make_bank(merchant, name="Clark St lockers")
    shipment = make_shipment(merchant, order=order_for(merchant, bank))
    response = Client().get(reverse("tracking_page", args=[shipment.public_token]))
    assert response.status_code == 200
    return response.content.decode()


def page_styles(html: str) -> str:
    """The page's own style block: the only styles its Content-Security-Policy lets in (by
    nonce), besides Leaflet's sheet."""
    return "".join(re.findall(r'<style nonce="[^"]+">(.*?)</style>', html, re.S))


def test_without_tiles_the_locker_map_has_a_styled_notice_and_a_plain_background(
    merchant_a, settings
) -> None:
    settings.NEARBOX_MAP_TILES_URL = ""
    html = tracking_page(merchant_a.merchant)

    assert NOTICE in html
    assert re.search(r'<div id="pickup-map" class="map map--plain"', html)
    styles = page_styles(html)
    assert ".map-notice {" in styles
    assert ".map.map--plain" in styles


def test_with_tiles_the_locker_map_has_neither_notice_nor_plain_background(
    merchant_a, settings
) -> None:
    settings.NEARBOX_MAP_TILES_URL = "http://tiles.invalid/{z}/{x}/{y}.png"
    html = tracking_page(merchant_a.merchant)

    assert 'id="pickup-map"' in html
    assert NOTICE not in html
    assert "map--plain" not in html.split("</style>", 1)[1]
