"""A storage point whose ZIP contradicts its city or state is refused, as order addresses
are flagged: "Chicago" with 10001 would be pinned in New York."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merchant.models import StoragePoint
from merchant.services.points import create_point, update_point
from tests.factories.merchant import make_point
from tests.support.helpers import point_form_data

pytestmark = pytest.mark.django_db

API = "/api/v1/storage-points"
BODY = {
    "name": "Midtown room",
    "kind": "back_room",
    "address_line": "1 Test St",
    "city": "Chicago",
    "postal_code": "10001",
}


def test_the_form_refuses_a_zip_of_another_city_with_an_error_on_the_city(client_a, merchant_a):
    response = client_a.post(reverse("point_create"), point_form_data(postal_code="10001"))
    assert response.status_code == 200
    assert response.context["form"].errors["city"] == [
        "ZIP code 10001 is in New York, not Chicago."
    ]
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_the_form_refuses_a_zip_of_another_state(client_a, merchant_a):
    response = client_a.post(reverse("point_create"), point_form_data(state="NY"))
    assert response.context["form"].errors["state"] == ["ZIP code 60614 is in IL, not NY."]
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_editing_a_point_to_a_zip_of_another_city_is_refused_and_changes_nothing(
    client_a, merchant_a
):
    point = make_point(merchant_a.merchant, postal_code="60614")
    data = point_form_data(name=point.name, postal_code="10001")
    response = client_a.post(reverse("point_edit", args=[point.pk]), data)
    assert response.context["form"].errors["city"]
    point.refresh_from_db()
    assert point.postal_code == "60614"


def test_the_api_refuses_the_mismatch_with_a_problem_naming_the_city(api_client_a, merchant_a):
    response = api_client_a.post(API, BODY, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "city"
    assert "10001 is in New York, not Chicago" in body["detail"]
    assert not StoragePoint.objects.for_merchant(merchant_a.merchant).exists()


def test_the_api_refuses_a_patch_that_moves_the_zip_out_of_the_city(api_client_a, merchant_a):
    point = make_point(merchant_a.merchant, postal_code="60614")
    response = api_client_a.patch(
        f"{API}/{point.pk}", {"postal_code": "10001"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "city"


def test_an_accepted_alternative_city_name_and_a_matching_zip_are_fine(merchant_a):
    point = create_point(merchant=merchant_a.merchant, **{**BODY, "city": "new york"})
    assert point.is_active and point.latitude is not None
    update_point(point=point, name="Midtown back room")  # unrelated edits are not re-checked
    assert create_point(
        merchant=merchant_a.merchant, **{**BODY, "name": "Loop", "postal_code": "60601"}
    ).pk
