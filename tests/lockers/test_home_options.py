"""Home delivery in the checkout answer: rate-card services from the shipping point, cheapest
first, no courier called, and the per-process rate book reloaded when couriers change."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client

from fulfillment.couriers.services.accounts import update_service
from lockers.parcels import Parcel
from lockers.selectors import checkout_cache
from lockers.services import options
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point

pytestmark = pytest.mark.sqlite  # hand-written SQL or a vendor branch: runs on SQLite too

ORIGIN = "http://localhost:8000"
SMALL = {"weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 50}
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def get(new, **params):
    headers = {"X-Nearbox-Key": new.publishable_key.raw, "Origin": ORIGIN}
    return Client(headers=headers).get("/api/v1/delivery-options", params)


@pytest.fixture
def couriers(merchant_a):
    merchant = merchant_a.merchant
    make_point(merchant, name="Loop Warehouse", postal_code="60601")
    fast = make_service(
        make_account(merchant, name="Zip Couriers"),
        name="Same day",
        level="same_day",
        transit_hours=4,
        pickup_cutoff=dt.time(23, 59),
        base_minor=1200,
    )
    cheap = make_service(
        make_account(merchant, name="Slow Post"),
        name="Economy",
        level="economy",
        transit_hours=72,
        base_minor=450,
        per_kg_minor=100,
    )
    heavy_only = make_service(
        make_account(merchant, name="Bike Crew"), name="Bike", base_minor=300, max_weight_g=200
    )
    return fast, cheap, heavy_only


@pytest.mark.django_db
def test_home_services_come_from_the_rate_cards_cheapest_first(merchant_a, couriers):
    fast, cheap, _ = couriers
    response = get(merchant_a, postal_code="60614", **SMALL)
    assert response.status_code == 200, response.content
    home = response.json()["home"]
    # The bike carries 200 g at most: a 500 g parcel is not offered it.
    assert [h["id"] for h in home] == [f"svc-{cheap.pk}", f"svc-{fast.pk}"]
    assert home[0]["courier"] == "Slow Post"
    assert home[0]["service"] == "Economy"
    assert home[0]["price"] == {"amount": 450 + 100, "currency": "USD"}  # base + 1 started kg
    assert home[1]["price"] == {"amount": 1200, "currency": "USD"}
    for option in home:
        start = dt.datetime.fromisoformat(option["eta"]["from"])
        until = dt.datetime.fromisoformat(option["eta"]["until"])
        assert start.tzinfo is not None and start <= until


@pytest.mark.django_db
def test_home_windows_follow_the_service_transit_time(merchant_a, couriers):
    fast, cheap, _ = couriers
    merchant = merchant_a.merchant
    point = options.checkout_cache.shipping_points(merchant, "test")[0]
    now = dt.datetime(2026, 6, 3, 10, 0, tzinfo=CHICAGO)  # a Wednesday morning
    home = options.home_options(
        merchant,
        options.Destination(41.9229, -87.6483, "60614"),
        Parcel(500, 300, 200, 50),
        point=point,
        now=now,
    )
    by_id = {h["id"]: h for h in home}
    same_day = by_id[f"svc-{fast.pk}"]["eta"]
    assert dt.datetime.fromisoformat(same_day["until"]) - dt.datetime.fromisoformat(
        same_day["from"]
    ) == dt.timedelta(hours=4)
    economy_until = dt.datetime.fromisoformat(by_id[f"svc-{cheap.pk}"]["eta"]["until"])
    assert economy_until.date() == dt.date(2026, 6, 6)


@pytest.mark.django_db
def test_no_home_service_without_a_point_to_ship_from(merchant_a):
    make_service(make_account(merchant_a.merchant), base_minor=500)
    assert get(merchant_a, postal_code="60614", **SMALL).json()["home"] == []


@pytest.mark.django_db(transaction=True)
def test_a_changed_rate_card_is_priced_on_the_next_request(merchant_a, couriers):
    _, cheap, _ = couriers
    first = get(merchant_a, postal_code="60614", **SMALL).json()["home"][0]
    assert first["price"]["amount"] == 550
    held = checkout_cache._local[merchant_a.merchant.pk]
    assert held.book is not None  # the book is held between requests
    update_service(service=cheap, base_minor=650)
    again = get(merchant_a, postal_code="60614", **SMALL).json()["home"]
    assert {h["id"]: h["price"]["amount"] for h in again}[f"svc-{cheap.pk}"] == 750


@pytest.mark.django_db(transaction=True)
def test_another_process_sees_the_change_through_the_shared_version(merchant_a, couriers):
    _, cheap, _ = couriers
    merchant = merchant_a.merchant
    version = checkout_cache.versions(merchant.pk)[1]
    old_book = checkout_cache.rate_book(merchant, version)
    stale = checkout_cache._local[merchant.pk]
    update_service(service=cheap, base_minor=900)
    checkout_cache._local[merchant.pk] = stale  # another process still holds the old copy
    new_version = checkout_cache.versions(merchant.pk)[1]
    assert new_version != version
    book = checkout_cache.rate_book(merchant, new_version)
    assert book is not old_book
    assert {s.service_id: s.base_minor for s in book.services}[cheap.pk] == 900


@pytest.mark.django_db
def test_the_answer_matches_the_documented_schema(merchant_a, couriers):
    from lockers.api.checkout import OptionsOut
    from tests.factories.lockers import make_bank, make_shop

    make_bank(merchant_a.merchant)
    make_shop(merchant_a.merchant)
    body = get(merchant_a, postal_code="60601", **SMALL).json()
    assert body["home"] and body["lockers"] and body["shops"]
    # The view serialises the answer itself; the OpenAPI schema must still describe it.
    assert OptionsOut.model_validate(body).model_dump(mode="json") == body


@pytest.mark.django_db(transaction=True)
def test_a_new_shipping_point_is_used_on_the_next_request(merchant_a):
    merchant = merchant_a.merchant
    make_service(make_account(merchant), base_minor=500)
    assert get(merchant_a, postal_code="60614", **SMALL).json()["ships_from"] is None
    point = make_point(merchant, name="New Back Room", postal_code="60614")
    body = get(merchant_a, postal_code="60614", **SMALL).json()
    assert body["ships_from"] == {"id": point.pk, "name": "New Back Room"}
    assert [h["price"]["amount"] for h in body["home"]] == [500]
