"""/api/v1/fleet: drivers, vehicles, shifts and own-delivery services, with hostile input."""

from __future__ import annotations

import json

import pytest

from fulfillment.models import CourierService, Shift
from tests.factories.merchant import make_point
from tests.fulfillment.fleet.admin.factories import make_driver


def _post(client, path: str, body: dict):
    return client.post(f"/api/v1/fleet{path}", json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_a_fleet_is_set_up_through_the_api(merchant_a, api_client_a):
    hub = make_point(merchant_a.merchant, name="Wicker Park")
    driver = _post(api_client_a, "/drivers", {"name": "Ana Ruiz", "email": "ANA@example.com"})
    assert driver.status_code == 201 and driver.json()["email"] == "ana@example.com"
    vehicle = _post(api_client_a, "/vehicles", {
        "name": "Van 1", "kind": "van", "capacity_parcels": 60, "capacity_g": 800_000,
        "capacity_ml": 3_000_000, "skills": ["Age check"],
    })  # fmt: skip
    assert vehicle.status_code == 201 and vehicle.json()["skills"] == ["age_check"]
    shift = _post(api_client_a, "/shifts", {
        "driver_id": driver.json()["id"], "vehicle_id": vehicle.json()["id"],
        "date": "2026-06-02", "starts_at": "09:00", "ends_at": "17:00",
        "start_point_id": hub.pk, "breaks": [{"start": "12:00", "end": "14:00", "minutes": 30}],
    })  # fmt: skip
    assert shift.status_code == 201, shift.content
    assert shift.json()["end_point_id"] == hub.pk
    service = _post(api_client_a, "/services", {
        "hub_id": hub.pk, "name": "Wicker Park same day", "radius_km": 6, "cutoff": "13:00",
        "waves": ["10:00", "15:00"], "per_hour_minor": 2000, "per_km_minor": 40,
        "per_stop_minor": 150,
    })  # fmt: skip
    assert service.status_code == 201, service.content
    courier_service = CourierService.objects.get(pk=service.json()["courier_service_id"])
    assert courier_service.account.courier == "own_fleet"
    listed = api_client_a.get("/api/v1/fleet/services").json()
    assert [s["name"] for s in listed] == ["Wicker Park same day"]
    gone = api_client_a.delete(f"/api/v1/fleet/drivers/{driver.json()['id']}")
    assert gone.status_code == 204
    assert api_client_a.get("/api/v1/fleet/drivers").json() == []


@pytest.mark.django_db
def test_hostile_values_are_422_problems_naming_the_field(merchant_a, merchant_b, api_client_a):
    hub = make_point(merchant_a.merchant)
    theirs = make_driver(merchant_b.merchant)
    for path, body, field in (
        ("/drivers", {"name": "A\x00B"}, "name"),
        ("/drivers", {"name": "x", "email": "not-an-email"}, "email"),
        ("/drivers", {"name": "x", "phone": "<script>"}, "phone"),
        ("/vehicles", {"name": "v", "kind": "rocket", "capacity_parcels": 1, "capacity_g": 1,
                       "capacity_ml": 1}, "kind"),
        ("/vehicles", {"name": "v", "kind": "van", "capacity_parcels": True, "capacity_g": 1,
                       "capacity_ml": 1}, "capacity_parcels"),
        ("/vehicles", {"name": "v", "kind": "van", "capacity_parcels": 1, "capacity_g": 2**40,
                       "capacity_ml": 1}, "capacity_g"),
        ("/shifts", {"driver_id": theirs.pk, "vehicle_id": 1, "date": "2026-06-02",
                     "starts_at": "09:00", "ends_at": "17:00", "start_point_id": hub.pk},
         "driver_id"),
        ("/services", {"hub_id": hub.pk, "name": "s", "radius_km": 5, "cutoff": "13:00",
                       "waves": ["25:00"]}, "waves"),
        ("/services", {"hub_id": hub.pk, "name": "s", "area_kind": "polygon",
                       "polygon": {"type": "Polygon", "coordinates": [[[0, 0]]]},
                       "cutoff": "13:00", "waves": ["15:00"]}, "polygon"),
    ):  # fmt: skip
        answer = _post(api_client_a, path, body)
        assert answer.status_code == 422, (path, body, answer.content)
        problem = answer.json()
        assert field in (problem.get("field") or "") + problem["detail"], (path, problem)
    assert not Shift.objects.exists()
    assert api_client_a.get(f"/api/v1/fleet/drivers/{theirs.pk}").status_code == 404
