"""The plans API: plan a wave (202 and a job), read it with routes and stops, move a stop,
dispatch; another merchant's ids answer 404, hostile input 422."""

from __future__ import annotations

import pytest

from fulfillment.models import RoutePlan, RouteStop
from merchant.services.jobs import run_job
from tests.fulfillment.fleet.plans.factories import make_fleet, make_plan_with_stop, ring

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_plans(settings):
    settings.NEARBOX_FLEET_PLAN_SECONDS = 0.5
    settings.NEARBOX_FLEET_OSRM_URL = ""
    settings.NEARBOX_FLEET_VALHALLA_URL = ""


def test_plan_a_wave_read_it_move_a_stop_and_dispatch(api_client_a, merchant_a, merchant_b):
    fleet = make_fleet(merchant_a.merchant, drivers=("car", "van"), parcels=3)
    ring(fleet, 4, window=(10, 14))
    made = api_client_a.post(
        "/api/v1/fleet/plans",
        {"date": fleet.date.isoformat(), "wave": "10:00", "hub_ids": [fleet.hub.pk]},
        content_type="application/json",
    )
    assert made.status_code == 202, made.content
    plan_id = made.json()["id"]
    assert made.json()["state"] == "planning" and made.json()["job_id"]
    run_job(made.json()["job_id"])

    got = api_client_a.get(f"/api/v1/fleet/plans/{plan_id}").json()
    assert got["state"] == "ready"
    assert sum(len(r["stops"]) for r in got["routes"]) == 4
    source = max(got["routes"], key=lambda r: len(r["stops"]))
    target = min(got["routes"], key=lambda r: len(r["stops"]))
    stop_id = source["stops"][0]["id"]
    moved = api_client_a.post(
        f"/api/v1/fleet/plans/{plan_id}/moves",
        {"stop_id": stop_id, "route_id": target["id"], "position": 1},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    assert RouteStop.objects.get(pk=stop_id).route_id == target["id"]
    sent = api_client_a.post(f"/api/v1/fleet/plans/{plan_id}/dispatch")
    assert sent.status_code == 200 and sent.json()["state"] == "dispatched"
    assert RoutePlan.objects.get(pk=plan_id).state == RoutePlan.State.DISPATCHED

    foreign = make_plan_with_stop(merchant_b.merchant)
    assert api_client_a.get(f"/api/v1/fleet/plans/{foreign.plan_id}").status_code == 404
    assert (
        api_client_a.post(
            f"/api/v1/fleet/plans/{plan_id}/moves",
            {"stop_id": foreign.pk, "route_id": target["id"]},
            content_type="application/json",
        ).status_code
        == 404
    )
    for body in (
        {"date": "9999-12-31", "hub_ids": [fleet.hub.pk]},
        {"date": fleet.date.isoformat(), "wave": "25:99", "hub_ids": [fleet.hub.pk]},
        {"date": fleet.date.isoformat(), "hub_ids": []},
        {"date": fleet.date.isoformat(), "wave": "11:00", "hub_ids": [fleet.hub.pk]},
        {"date": "\u0000", "hub_ids": ["<b>1</b>"]},
    ):
        answer = api_client_a.post("/api/v1/fleet/plans", body, content_type="application/json")
        assert answer.status_code == 422, (body, answer.content)
    assert (
        api_client_a.post(
            "/api/v1/fleet/plans",
            {"date": fleet.date.isoformat(), "hub_ids": [foreign.route.hub_id]},
            content_type="application/json",
        ).status_code
        == 404
    )
