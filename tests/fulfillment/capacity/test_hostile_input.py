"""Hostile values through Django's test client to every capacity page and API operation, also on
SQLite (`make run`): NUL bytes, huge and non-finite numbers, wrong types, very long strings and
another shop's ids are a clear 4xx (or a form error), never a 500."""

from __future__ import annotations

import json

import pytest

from tests.factories.couriers import make_account
from tests.factories.merchant import make_point
from tests.support.helpers import signed_in_client

from .factories import make_pickup

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

HUGE = 10**30
BODIES = [
    {"max_parcels": HUGE},
    {"max_parcels": -1},
    {"max_parcels": 1.5},
    {"max_parcels": "NaN"},
    {"max_parcels": True},
    {"weekdays": ["\x00"]},
    {"weekdays": [HUGE]},
    {"weekdays": "mon"},
    {"weekdays": [True]},
    {"dates": ["9999-12-31"]},
    {"dates": ["2026-02-30"]},
    {"dates": ["\x00"]},
    {"dates": ["2026-12-08"] * 61},
    {"dates": 20261208},
    {"note": "a\x00b"},
    {"note": "x" * 10_000},
    {"pickup_time": "25:99"},
    {"pickup_time": "\x00"},
    {"is_active": "maybe"},
    {"point_id": HUGE},
    {"point_id": "1; drop"},
    {"account_id": -5},
]


@pytest.fixture
def mine(merchant_a, merchant_b):
    point = make_point(merchant_a.merchant, name="Hub", postal_code="60614")
    account = make_account(merchant_a.merchant, name="Parcel Co")
    theirs = make_pickup(merchant_b.merchant)
    return {
        "base": {
            "point_id": point.pk,
            "account_id": account.pk,
            "weekdays": [0],
            "max_parcels": 10,
        },
        "pickup": make_pickup(merchant_a.merchant, point=point, account=account),
        "theirs": theirs,
    }


@pytest.mark.parametrize("change", BODIES, ids=lambda c: next(iter(c)))
def test_hostile_pickup_bodies_are_a_422_naming_the_field(api_client_a, mine, change):
    body = json.dumps(mine["base"] | change)
    for method, url in (
        ("post", "/api/v1/capacity/pickups"),
        ("put", f"/api/v1/capacity/pickups/{mine['pickup'].pk}"),
    ):
        response = getattr(api_client_a, method)(url, body, content_type="application/json")
        assert response.status_code == 422, (method, response.content)
        assert response.json()["field"], response.content


@pytest.mark.parametrize("raw", ["", "null", "[]", '"x"', "{", "\x00", "1e999"])
def test_bodies_that_are_not_a_pickup_are_a_4xx(api_client_a, mine, raw):
    response = api_client_a.post("/api/v1/capacity/pickups", raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content


def test_another_shops_ids_are_404_or_422_and_hostile_queries_are_4xx(api_client_a, mine):
    theirs = mine["theirs"]
    assert api_client_a.get(f"/api/v1/capacity/pickups/{theirs.pk}").status_code == 404
    assert api_client_a.delete(f"/api/v1/capacity/pickups/{theirs.pk}").status_code == 404
    put = api_client_a.put(
        f"/api/v1/capacity/pickups/{theirs.pk}", json.dumps(mine["base"]),
        content_type="application/json",
    )  # fmt: skip
    assert put.status_code == 404
    foreign = mine["base"] | {"point_id": theirs.point_id}
    post = api_client_a.post(
        "/api/v1/capacity/pickups", json.dumps(foreign), content_type="application/json"
    )
    assert post.status_code == 422 and post.json()["field"] == "point_id"
    assert api_client_a.get("/api/v1/capacity", {"point": theirs.point_id}).status_code == 404
    for value in ("x", "\x00", str(HUGE), "-1", "1.5", "nan"):
        for url in ("/api/v1/capacity", "/api/v1/capacity/pickups"):
            status = api_client_a.get(url, {"point": value}).status_code
            assert status in (404, 422), (url, value, status)
    assert api_client_a.get(f"/api/v1/capacity/pickups/{HUGE}").status_code == 404


FORMS = [
    {"max_parcels": str(HUGE)},
    {"max_parcels": "nan"},
    {"max_parcels": "inf"},
    {"weekdays": ["\x00"]},
    {"weekdays": ["9"]},
    {"dates": "\x00"},
    {"dates": "2026-13-01, 9999-99-99"},
    {"dates": ",".join(["2026-12-08"] * 100)},
    {"note": "a\x00b"},
    {"note": "x" * 5000},
    {"pickup_time": "\x00"},
    {"point": str(HUGE)},
    {"account": "abc"},
]


@pytest.mark.parametrize("change", FORMS, ids=lambda c: next(iter(c)))
def test_hostile_form_posts_are_form_errors(merchant_a, mine, change):
    client = signed_in_client(merchant_a)
    base = mine["base"]
    data = {"point": base["point_id"], "account": base["account_id"], "weekdays": ["0"],
            "max_parcels": "10", "is_active": "on"} | change  # fmt: skip
    for url in ("/app/capacity/", f"/app/capacity/pickups/{mine['pickup'].pk}/"):
        response = client.post(url, data)
        assert response.status_code in (200, 400), (url, response.status_code)
        assert b"errorlist" in response.content or b"form-errors" in response.content, url


def test_hostile_page_queries_and_another_shops_pickup(merchant_a, mine):
    client = signed_in_client(merchant_a)
    for value in ("\x00", str(HUGE), "abc", "-1", str(mine["theirs"].point_id)):
        assert client.get("/app/capacity/", {"point": value}).status_code == 200
    theirs = mine["theirs"].pk
    assert client.get(f"/app/capacity/pickups/{theirs}/").status_code == 404
    assert client.post(f"/app/capacity/pickups/{theirs}/delete").status_code == 404
    assert client.get(f"/app/capacity/pickups/{HUGE}/").status_code == 404
