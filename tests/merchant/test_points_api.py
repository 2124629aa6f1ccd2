"""/api/v1/storage-points with a secret key: create, list, read, patch, delete."""

from __future__ import annotations

import pytest

from merchant.models import StoragePoint
from merchant.services.geocoding import distance_m
from merchant.services.stock import receive_stock
from tests.factories.merchant import CHICAGO, make_point, make_product

pytestmark = pytest.mark.django_db

URL = "/api/v1/storage-points"
BODY = {
    "name": "West Loop MFC",
    "kind": "mfc",
    "address_line": "1000 W Fulton Market",
    "city": "Chicago",
    "postal_code": "60622",
    "monthly_cost": 250000,
    "same_day_cutoff": "15:00",
    "opening_hours": {"mon": [["08:00", "20:00"]], "sun": []},
}


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def patch(client, point_id, body):
    return client.patch(f"{URL}/{point_id}", body, content_type="application/json")


def test_create_geocodes_and_answers_201(api_client_a, merchant_a):
    response = post(api_client_a, BODY)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_active"] is True
    assert distance_m((body["latitude"], body["longitude"]), CHICAGO["60622"]) < 2000
    assert body["monthly_cost"] == 250000 and body["currency"] == "USD"
    assert body["same_day_cutoff"] == "15:00:00"
    assert body["opening_hours"] == {"mon": [["08:00", "20:00"]], "sun": []}
    assert StoragePoint.objects.for_merchant(merchant_a.merchant).get().pk == body["id"]


def test_a_malformed_postal_code_is_a_422_problem_naming_the_field(api_client_a, merchant_a):
    response = post(api_client_a, {**BODY, "postal_code": "60-22"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "postal_code" and problem["code"] == "invalid"
    assert "ZIP" in problem["detail"]
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_an_unknown_postal_code_creates_an_inactive_point_with_the_reason(api_client_a):
    body = post(api_client_a, {**BODY, "postal_code": "99999"}).json()
    assert body["is_active"] is False and body["latitude"] is None
    assert "postal code" in body["inactive_reason"]


def test_bad_opening_hours_are_a_422_naming_the_day(api_client_a):
    response = post(api_client_a, {**BODY, "opening_hours": {"thu": [["20:00", "08:00"]]}})
    assert response.status_code == 422
    assert response.json()["field"] == "opening_hours"
    assert response.json()["detail"].startswith("Thursday:")


def test_a_duplicate_name_is_a_422_on_name(api_client_a):
    post(api_client_a, BODY)
    response = post(api_client_a, BODY)
    assert response.status_code == 422 and response.json()["field"] == "name"


def test_list_is_paginated_and_scoped(api_client_a, merchant_a, merchant_b):
    for n in range(3):
        make_point(merchant_a.merchant, name=f"A{n}")
    make_point(merchant_b.merchant, name="B0")
    page = api_client_a.get(f"{URL}?limit=2").json()
    assert page["count"] == 3
    assert [item["name"] for item in page["items"]] == ["A0", "A1"]


def test_patch_changes_only_the_given_fields(api_client_a, merchant_a):
    point = make_point(merchant_a.merchant, name="Old", monthly_cost=100)
    response = patch(api_client_a, point.pk, {"name": "New", "postal_code": "60616"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "New" and body["monthly_cost"] == 100
    assert distance_m((body["latitude"], body["longitude"]), CHICAGO["60616"]) < 2000


def test_patch_without_a_body_is_a_422(api_client_a, merchant_a):
    point = make_point(merchant_a.merchant)
    response = api_client_a.patch(f"{URL}/{point.pk}")
    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]


def test_patch_activating_a_point_without_coordinates_is_a_422(api_client_a, merchant_a):
    point_id = post(api_client_a, {**BODY, "postal_code": "99999"}).json()["id"]
    response = patch(api_client_a, point_id, {"is_active": True})
    assert response.status_code == 422 and response.json()["field"] == "is_active"


def test_delete_removes_an_unused_point_and_refuses_one_with_stock(api_client_a, merchant_a):
    merchant = merchant_a.merchant
    unused, stocked = make_point(merchant), make_point(merchant)
    receive_stock(merchant=merchant, product=make_product(merchant), point=stocked, quantity=2)

    assert api_client_a.delete(f"{URL}/{unused.pk}").status_code == 204
    assert not StoragePoint.objects.filter(pk=unused.pk).exists()

    refused = api_client_a.delete(f"{URL}/{stocked.pk}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "point_in_use"
    assert StoragePoint.objects.filter(pk=stocked.pk).exists()


def test_another_merchants_point_answers_404(api_client_a, merchant_b):
    other = make_point(merchant_b.merchant, name="Theirs")
    assert api_client_a.get(f"{URL}/{other.pk}").status_code == 404
    assert patch(api_client_a, other.pk, {"name": "Mine"}).status_code == 404
    assert api_client_a.delete(f"{URL}/{other.pk}").status_code == 404
    other.refresh_from_db()
    assert other.name == "Theirs"


def test_without_a_key_the_api_answers_401(client):
    assert client.get(URL).status_code == 401
