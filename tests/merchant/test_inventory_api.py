"""Products, stock and transfers over /api/v1/: scoped, paginated, errors as JSON problems."""

import pytest

from merchant.models import Product, StockLevel, Transfer
from merchant.services import stock
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.django_db

PRODUCT = {
    "sku": "TEA-1",
    "name": "Sencha",
    "weight_g": 100,
    "length_mm": 80,
    "width_mm": 60,
    "height_mm": 40,
    "value": 900,
}


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_products_are_created_listed_paginated_and_changed(api_client_a, merchant_a):
    created = post(api_client_a, "/api/v1/products", PRODUCT)
    assert created.status_code == 201
    product_id = created.json()["id"]
    for n in range(3):
        make_product(merchant_a.merchant, sku=f"Z-{n}")

    page = api_client_a.get("/api/v1/products", {"limit": 2, "offset": 0}).json()
    assert page["count"] == 4 and [p["sku"] for p in page["items"]] == ["TEA-1", "Z-0"]

    patched = api_client_a.patch(
        f"/api/v1/products/{product_id}",
        {"name": "Gyokuro", "is_active": False},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["is_active"]) == ("Gyokuro", False)
    assert api_client_a.get(f"/api/v1/products/{product_id}").json()["weight_g"] == 100


def test_duplicate_sku_and_zero_weight_are_422_with_their_field(api_client_a):
    post(api_client_a, "/api/v1/products", PRODUCT)
    duplicate = post(api_client_a, "/api/v1/products", PRODUCT)
    assert (duplicate.status_code, duplicate.json()["field"]) == (422, "sku")
    light = post(api_client_a, "/api/v1/products", {**PRODUCT, "sku": "X", "weight_g": 0})
    assert (light.status_code, light.json()["field"]) == (422, "weight_g")
    assert Product.objects.count() == 1


def test_another_merchants_product_is_404(api_client_a, merchant_b):
    other = make_product(merchant_b.merchant)
    assert api_client_a.get(f"/api/v1/products/{other.pk}").status_code == 404
    response = api_client_a.patch(
        f"/api/v1/products/{other.pk}", {"name": "mine"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_receive_adjust_and_list_stock_levels(api_client_a, merchant_a):
    m = merchant_a.merchant
    point, product = make_point(m, name="North"), make_product(m, sku="TEA")
    make_point(m, name="South")
    received = post(
        api_client_a, "/api/v1/stock/receive", {"sku": "TEA", "point_id": point.pk, "quantity": 9}
    )
    assert received.status_code == 200
    assert received.json() | {} == {
        "product_id": product.pk,
        "sku": "TEA",
        "point_id": point.pk,
        "point_name": "North",
        "on_hand": 9,
        "reserved": 0,
        "available": 9,
        "low_stock_threshold": 0,
    }
    adjusted = post(
        api_client_a,
        "/api/v1/stock/adjust",
        {"sku": "TEA", "point_id": point.pk, "delta": -2, "reason": "damaged"},
    )
    assert adjusted.json()["on_hand"] == 7
    levels = api_client_a.get("/api/v1/stock", {"sku": "TEA", "point_id": point.pk}).json()
    assert levels["count"] == 1 and levels["items"][0]["available"] == 7


def test_negative_quantity_is_422_naming_the_field(api_client_a, merchant_a):
    point, _ = make_point(merchant_a.merchant), make_product(merchant_a.merchant, sku="TEA")
    response = post(
        api_client_a, "/api/v1/stock/receive", {"sku": "TEA", "point_id": point.pk, "quantity": -3}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "quantity"
    assert not StockLevel.objects.exists()


def test_adjusting_below_zero_is_409_out_of_stock(api_client_a, merchant_a):
    point, _ = make_point(merchant_a.merchant), make_product(merchant_a.merchant, sku="TEA")
    response = post(
        api_client_a,
        "/api/v1/stock/adjust",
        {"sku": "TEA", "point_id": point.pk, "delta": -1, "reason": "count"},
    )
    assert (response.status_code, response.json()["code"]) == (409, "out_of_stock")


def test_unknown_sku_or_foreign_point_is_422_naming_the_field(api_client_a, merchant_b):
    foreign = make_point(merchant_b.merchant)
    make_product(merchant_b.merchant, sku="THEIRS")
    response = post(
        api_client_a, "/api/v1/stock/receive", {"sku": "THEIRS", "point_id": 1, "quantity": 1}
    )
    assert (response.status_code, response.json()["field"]) == (422, "sku")
    assert not StockLevel.objects.filter(point=foreign).exists()


@pytest.fixture
def two_points(merchant_a):
    m = merchant_a.merchant
    source, destination = make_point(m, name="Source"), make_point(m, name="Destination")
    product = make_product(m, sku="TEA")
    stock.receive_stock(merchant=m, product=product, point=source, quantity=5)
    return source, destination, product


def test_transfer_life_cycle_over_the_api(api_client_a, two_points):
    source, destination, product = two_points
    body = {
        "from_point_id": source.pk,
        "to_point_id": destination.pk,
        "lines": [{"sku": "TEA", "quantity": 3}],
    }
    created = post(api_client_a, "/api/v1/transfers", body)
    assert created.status_code == 201
    transfer = created.json()
    assert transfer["status"] == "requested"
    assert transfer["lines"] == [{"product_id": product.pk, "sku": "TEA", "quantity": 3}]
    url = f"/api/v1/transfers/{transfer['id']}"

    assert api_client_a.post(f"{url}/ship").json()["status"] == "in_transit"
    assert api_client_a.post(f"{url}/receive").json()["status"] == "received"
    late_cancel = api_client_a.post(f"{url}/cancel")
    assert late_cancel.status_code == 422
    assert api_client_a.get(url).json()["status"] == "received"
    assert StockLevel.objects.get(point=destination).on_hand == 3
    listed = api_client_a.get("/api/v1/transfers", {"status": "received"}).json()
    assert [t["id"] for t in listed["items"]] == [transfer["id"]]


def test_transfer_beyond_available_stock_is_409(api_client_a, two_points):
    source, destination, _product = two_points
    body = {
        "from_point_id": source.pk,
        "to_point_id": destination.pk,
        "lines": [{"sku": "TEA", "quantity": 6}],
    }
    response = post(api_client_a, "/api/v1/transfers", body)
    assert response.status_code == 409
    problem = response.json()
    assert (problem["code"], problem["available"], problem["requested"]) == ("out_of_stock", 5, 6)
    assert not Transfer.objects.exists()


def test_transfer_with_a_negative_quantity_is_422_naming_the_line(api_client_a, two_points):
    source, destination, _product = two_points
    body = {
        "from_point_id": source.pk,
        "to_point_id": destination.pk,
        "lines": [{"sku": "TEA", "quantity": -1}],
    }
    response = post(api_client_a, "/api/v1/transfers", body)
    assert (response.status_code, response.json()["field"]) == (422, "lines.0.quantity")


def test_cancel_over_the_api_releases_the_units(api_client_a, two_points):
    source, destination, _product = two_points
    body = {
        "from_point_id": source.pk,
        "to_point_id": destination.pk,
        "lines": [{"sku": "TEA", "quantity": 2}],
    }
    transfer_id = post(api_client_a, "/api/v1/transfers", body).json()["id"]
    assert StockLevel.objects.get(point=source).reserved == 2
    api_client_a.post(f"/api/v1/transfers/{transfer_id}/cancel")
    assert StockLevel.objects.get(point=source).reserved == 0


def test_requests_without_a_key_are_401(client):
    assert client.get("/api/v1/stock").status_code == 401
