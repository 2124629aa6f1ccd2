"""The public delivery-options API as the checkout widget uses it."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from lockers.models import Compartment
from tests.factories.lockers import LINCOLN_PARK, LOOP, make_bank, make_shop
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.sqlite  # hand-written SQL or a vendor branch: runs on SQLite too

ORIGIN = "http://localhost:8000"
SMALL = {"weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 50}


def get(new, origin: str | None = ORIGIN, **params):
    headers = {"X-Nearbox-Key": new.publishable_key.raw}
    if origin:
        headers["Origin"] = origin
    return Client(headers=headers).get("/api/v1/delivery-options", params)


@pytest.mark.django_db
def test_lockers_and_shops_come_nearest_first(merchant_a):
    far = make_bank(merchant_a.merchant, at=LINCOLN_PARK, name="Far")
    near = make_bank(merchant_a.merchant, at=LOOP, name="Near")
    make_shop(merchant_a.merchant, at=LINCOLN_PARK, name="Far shop")
    make_shop(merchant_a.merchant, at=(41.8860, -87.6180), name="Near shop")
    response = get(merchant_a, postal_code="60601", **SMALL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [locker["id"] for locker in body["lockers"]] == [near.pk, far.pk]
    assert body["lockers"][0]["distance_m"] < body["lockers"][1]["distance_m"]
    assert [shop["name"] for shop in body["shops"]] == ["Near shop", "Far shop"]
    assert body["lockers"][0]["ref"] == f"locker:{near.pk}"
    assert body["home"] == []


@pytest.mark.django_db
def test_the_smallest_free_compartment_that_fits_is_offered_turned_any_way(merchant_a):
    make_bank(merchant_a.merchant, compartments={"S": 1, "M": 1, "L": 1})
    # 150 mm high does not fit S (80) or lying any way; M is 190 high.
    response = get(
        merchant_a,
        lat=41.8858,
        lon=-87.6181,
        weight_g=900,
        length_mm=150,
        width_mm=600,
        height_mm=300,
    )
    assert response.json()["lockers"][0]["compartment_size"] == "M"
    small = get(
        merchant_a,
        lat=41.8858,
        lon=-87.6181,
        weight_g=900,
        length_mm=80,
        width_mm=600,
        height_mm=300,
    )
    assert small.json()["lockers"][0]["compartment_size"] == "S"


@pytest.mark.django_db
def test_a_locker_without_a_free_fitting_compartment_is_not_listed(merchant_a):
    full = make_bank(merchant_a.merchant, name="Full", compartments={"S": 2, "L": 1})
    Compartment.objects.filter(bank=full, size="L").update(state=Compartment.State.OCCUPIED)
    other = make_bank(merchant_a.merchant, at=LINCOLN_PARK, name="Other")
    too_big = {"weight_g": 900, "length_mm": 600, "width_mm": 380, "height_mm": 300}
    body = get(merchant_a, postal_code="60601", **too_big).json()
    assert [locker["id"] for locker in body["lockers"]] == [other.pk]
    assert body["lockers"][0]["compartment_size"] == "L"
    huge = get(
        merchant_a, postal_code="60601", weight_g=900, length_mm=2000, width_mm=500, height_mm=500
    ).json()
    assert huge["lockers"] == []


@pytest.mark.django_db
def test_a_cart_is_sized_from_the_products_and_ready_by_comes_from_a_stocked_point(merchant_a):
    from merchant.services.stock import receive_stock

    m = merchant_a.merchant
    make_bank(m)
    mug = make_product(m, sku="MUG", length_mm=120, width_mm=100, height_mm=100, weight_g=400)
    empty = make_point(m, name="Near but empty", postal_code="60601")
    stocked = make_point(m, name="Stocked", postal_code="60614")
    receive_stock(merchant=m, product=mug, point=stocked, quantity=5)
    body = get(merchant_a, postal_code="60601", cart="MUG:2").json()
    assert body["parcel"] == {"weight_g": 800, "length_mm": 120, "width_mm": 100, "height_mm": 200}
    assert body["ships_from"]["id"] == stocked.pk != empty.pk
    assert body["lockers"][0]["compartment_size"] == "M"
    assert body["lockers"][0]["ready_by"]


@pytest.mark.django_db
def test_a_deactivated_locker_disappears_from_the_answer(
    merchant_a, django_capture_on_commit_callbacks
):
    from lockers.services.network import set_place_active

    bank = make_bank(merchant_a.merchant)
    assert len(get(merchant_a, postal_code="60601", **SMALL).json()["lockers"]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        set_place_active(place=bank, active=False)
    assert get(merchant_a, postal_code="60601", **SMALL).json()["lockers"] == []


@pytest.mark.django_db
def test_another_merchants_lockers_are_never_offered(merchant_a, merchant_b):
    make_bank(merchant_b.merchant)
    assert get(merchant_a, postal_code="60601", **SMALL).json()["lockers"] == []


@pytest.mark.django_db
def test_an_allowed_origin_gets_cors_headers_and_a_foreign_one_gets_403(merchant_a):
    make_bank(merchant_a.merchant)
    ok = get(merchant_a, postal_code="60601", **SMALL)
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    bad = get(merchant_a, origin="https://evil.example", postal_code="60601", **SMALL)
    assert bad.status_code == 403
    assert bad.json()["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in bad


@pytest.mark.django_db
def test_preflight_is_answered_for_allowed_origins_only(merchant_a):
    client = Client()
    ok = client.options(
        "/api/v1/delivery-options",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-nearbox-key",
        },
    )
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Nearbox-Key" in ok["Access-Control-Allow-Headers"]
    bad = client.options(
        "/api/v1/reservations",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert bad.status_code == 403
    assert "Access-Control-Allow-Origin" not in bad
    keyed = client.options(
        f"/api/v1/delivery-options?key={merchant_a.publishable_key.raw}",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert keyed.status_code == 403


@pytest.mark.django_db
def test_the_key_may_come_as_a_query_parameter_and_a_wrong_key_is_401(merchant_a):
    make_bank(merchant_a.merchant)
    params = {"key": merchant_a.publishable_key.raw, "postal_code": "60601", **SMALL}
    assert Client().get("/api/v1/delivery-options", params).status_code == 200
    secret = {**params, "key": merchant_a.secret_key.raw}
    response = Client().get("/api/v1/delivery-options", secret)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
@override_settings(NEARBOX_PUBLIC_RATE_LIMIT=3, NEARBOX_PUBLIC_RATE_WINDOW=60)
def test_more_requests_than_the_keys_limit_get_429_with_retry_after(merchant_a):
    statuses = [get(merchant_a, postal_code="60601", **SMALL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = get(merchant_a, postal_code="60601", **SMALL)
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, field",
    [
        ({"postal_code": "60601", "weight_g": 500, "length_mm": 300, "width_mm": 200}, "height_mm"),
        ({"postal_code": "60601", **SMALL, "weight_g": "heavy"}, "weight_g"),
        ({"postal_code": "6060", **SMALL}, "postal_code"),
        ({"postal_code": "00000", **SMALL}, "postal_code"),
        ({"lat": 41.9, **SMALL}, "lon"),
        ({**SMALL}, "postal_code"),
        ({"postal_code": "60601", "cart": "NOPE:1"}, "cart"),
        ({"postal_code": "60601", "cart": "MUG:x"}, "cart"),
    ],
)
def test_bad_input_answers_422_naming_the_field(merchant_a, params, field):
    response = get(merchant_a, **params)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert response["Access-Control-Allow-Origin"] == ORIGIN
