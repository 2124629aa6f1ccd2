"""The live courier on the shopper's tracking page (server side): shown from this shipment's
own fresh position only, with "arriving"/"about N minutes away", the courier's first name and
vehicle; the page refreshes faster while live; no inline script; markup stays text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from fulfillment.couriers.adapters import TrackingStatus as S
from fulfillment.tracking import nearby
from fulfillment.tracking.ingest import ingest_results
from fulfillment.tracking.positions import Position, record_position
from tests.support.tracking import add_shipment, event, result, sandbox_account


def in_transit(account, service, **fields):
    shipment = add_shipment(account, service, **fields)
    n = shipment.tracking_number
    ingest_results(account=account, results={n: result(n, event(n, S.IN_TRANSIT, timezone.now()))})
    shipment.refresh_from_db()
    return shipment


def put(shipment, lat: float, lon: float, *, seconds_ago: float = 0, **fields) -> None:
    at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    values = {"courier_name": "Sam Rivers", "vehicle": "bike", **fields}
    assert record_position(
        merchant_id=shipment.merchant_id,
        shipment_id=shipment.pk,
        position=Position(lat, lon, at, **values),
    )


def status(shipment) -> tuple[int, str]:
    answer = Client().get(f"/t/{shipment.public_token}/status")
    return answer.status_code, answer.content.decode()


@pytest.fixture
def account(merchant_a):
    return sandbox_account(merchant_a.merchant)


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_its_own_courier_with_minutes_name_and_vehicle_and_refreshes_faster(
    account, settings
):
    settings.NEARBOX_TRACKING_REFRESH_SECONDS = 30
    settings.NEARBOX_TRACKING_LIVE_REFRESH_SECONDS = 4
    mine = in_transit(*account, courier_reference="job-1")
    other = in_transit(*account, courier_reference="job-2")
    home = nearby.dropoff_point(mine)
    put(mine, home[0] + 0.03, home[1], eta_at=timezone.now() + dt.timedelta(minutes=9, seconds=5))
    put(other, 12.345678, 45.678901, courier_name="Olga", vehicle="car")
    code, html = status(mine)
    assert code == 200
    assert re.search(r'data-lat="%.6f"' % (home[0] + 0.03), html)
    assert "Sam is about 10 minutes away" in html and "bike" in html
    assert "Rivers" not in html  # first name only
    assert "12.345678" not in html and "Olga" not in html  # never another shipment's courier
    assert 'hx-trigger="every 4s"' in html and "On the way to you" in html
    page = Client().get(f"/t/{mine.public_token}/").content.decode()
    assert "js/tracking-map.js" in page and "leaflet.js" in page
    assert 'id="courier-map" hx-preserve="true"' in page
    assert "<script>" not in page.replace("<script nonce=", "")  # no inline script added


@pytest.mark.django_db(transaction=True)
def test_the_courier_near_the_door_is_arriving(account, settings):
    settings.NEARBOX_NEARBY_DISTANCE_M = 500
    shipment = in_transit(*account)
    home = nearby.dropoff_point(shipment)
    put(shipment, home[0] + 0.001, home[1])  # about 110 m
    _, html = status(shipment)
    assert ">Arriving</h2>" in html and "Sam is arriving" in html
    assert 'data-arriving="true"' in html


@pytest.mark.django_db(transaction=True)
def test_an_old_position_is_not_shown_as_live_and_the_page_polls_at_the_normal_pace(
    account, settings
):
    settings.NEARBOX_LIVE_POSITION_MAX_AGE_SECONDS = 120
    settings.NEARBOX_TRACKING_REFRESH_SECONDS = 30
    shipment = in_transit(*account)
    put(shipment, 41.9, -87.6, seconds_ago=300)
    _, html = status(shipment)
    assert "live-courier" not in html and "courier-map" not in html
    assert 'hx-trigger="every 30s"' in html
    assert "js/tracking-map.js" not in Client().get(f"/t/{shipment.public_token}/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_before_the_pickup_the_courier_is_collecting_and_after_delivery_gone(account):
    shipment = add_shipment(*account, courier_reference="job-3")
    put(shipment, 41.9, -87.6)
    _, html = status(shipment)
    assert "Collecting your parcel" in html and "on the way to pick up your parcel" in html
    assert "away" not in html
    n = shipment.tracking_number
    ingest_results(
        account=shipment.account, results={n: result(n, event(n, S.DELIVERED, timezone.now()))}
    )
    code, html = status(shipment)
    assert code == 286 and "live-courier" not in html


@pytest.mark.django_db(transaction=True)
def test_markup_in_the_courier_name_and_vehicle_stays_text(account):
    shipment = in_transit(*account)
    put(shipment, 41.9, -87.6, courier_name='<img src=x onerror="alert(1)">', vehicle="<b>van")
    _, html = status(shipment)
    assert "<img src=x" not in html and "<b>van" not in html
    assert "&lt;img" in html and "&lt;b&gt;van" in html
