"""Placement advisor: plans from order history, their effect, and accepting them."""

import pytest
from django.urls import reverse

from merchant.models import PlacementPlan, StockLevel, StoragePoint, Transfer
from merchant.services import jobs, placement, stock
from tests.factories.merchant import make_point, make_product
from tests.support.helpers import add_demand

pytestmark = pytest.mark.django_db


def computed(plan: PlacementPlan) -> PlacementPlan:
    jobs.run_job(plan.job_id)  # what the Celery task runs
    plan.refresh_from_db()
    return plan


def test_a_one_point_plan_picks_the_point_nearest_the_demand(shop):
    m, _, downtown, north, _ = shop
    plan = computed(placement.request_plan(merchant=m, params=placement.PlanParams(k=1)))
    assert plan.status == PlacementPlan.Status.READY
    assert [p["id"] for p in plan.result["points"] if p["open"]] == [north.pk]
    assert plan.metrics_today["points"] == [downtown.pk]
    assert plan.metrics_plan["mean_km"] < plan.metrics_today["mean_km"]
    assert plan.metrics_plan["p90_km"] >= 0 and plan.metrics_plan["same_day_share"] == 1.0


def test_the_cost_model_keeps_the_expensive_point_closed_when_a_cheap_one_serves(shop):
    m, _, downtown, _, _ = shop
    plan = computed(placement.request_plan(merchant=m, params=placement.PlanParams(mode="cost")))
    opened = [p["id"] for p in plan.result["points"] if p["open"]]
    assert downtown.pk not in opened
    assert plan.metrics_plan["monthly_storage_cents"] < plan.metrics_today["monthly_storage_cents"]


def test_accepting_a_plan_opens_its_points_and_creates_the_transfers(shop):
    m, product, downtown, north, _ = shop
    plan = computed(placement.request_plan(merchant=m, params=placement.PlanParams(k=1)))
    target = next(t for t in plan.result["stock_targets"] if t["point_id"] == north.pk)
    made = placement.accept_plan(plan=plan)
    north.refresh_from_db()
    assert north.role == StoragePoint.Role.IN_USE
    assert len(made) == 1
    transfer = made[0]
    assert (transfer.from_point_id, transfer.to_point_id) == (downtown.pk, north.pk)
    assert transfer.lines.get().quantity == target["units"]
    level = StockLevel.objects.get(product=product, point=downtown)
    assert level.reserved == target["units"]  # held at the source until shipped
    assert stock.ledger_mismatches(m) == []
    with pytest.raises(Exception, match="only a plan ready to review"):
        placement.accept_plan(plan=plan)
    assert Transfer.objects.filter(plan=plan).count() == 1


def test_a_retried_plan_job_computes_nothing_twice(shop):
    m = shop[0]
    plan = computed(placement.request_plan(merchant=m, params=placement.PlanParams(k=1)))
    before = plan.result
    assert placement.compute_plan(plan).result == before


def test_a_plan_without_history_or_with_too_few_candidates_explains_what_is_missing(
    merchant_a, merchant_b
):
    make_point(merchant_b.merchant)
    with pytest.raises(Exception, match="no order history"):
        placement.request_plan(merchant=merchant_b.merchant, params=placement.PlanParams(k=1))
    m = merchant_a.merchant
    make_point(m)
    add_demand(m, make_product(m), "60614", 1)
    with pytest.raises(Exception, match="only 1 candidate"):
        placement.request_plan(merchant=m, params=placement.PlanParams(k=3))


def test_the_plan_page_shows_today_against_the_plan_and_accepts_it(shop, client_a):
    m = shop[0]
    response = client_a.post(
        reverse("placement"), {"mode": "pmedian", "k": 1, "history_days": 180, "cover_days": 14}
    )
    plan = PlacementPlan.objects.for_merchant(m).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("placement_plan", args=[plan.pk])
    computed(plan)
    page = client_a.get(reverse("placement_plan", args=[plan.pk])).content.decode()
    assert "Mean distance to customers" in page and "With the plan" in page
    assert 'id="placement-data"' in page
    assert "Sized from the forecast" in page
    assert 0.5 <= plan.result["forecast"]["scale"] <= 2.0
    accepted = client_a.post(reverse("placement_accept", args=[plan.pk]), follow=True)
    assert "Plan accepted: 1 transfer(s) created" in accepted.content.decode()


def test_the_plan_form_refuses_more_points_than_candidates_naming_the_field(shop, client_a):
    response = client_a.post(
        reverse("placement"), {"mode": "pmedian", "k": 9, "history_days": 180, "cover_days": 14}
    )
    assert response.status_code == 200
    assert "only 3 candidate points have coordinates" in response.content.decode()
    assert not PlacementPlan.objects.exists()


def test_plans_over_the_api(shop, api_client_a):
    created = api_client_a.post(
        "/api/v1/placement/plans", {"k": 1}, content_type="application/json"
    )
    assert created.status_code == 202
    plan = computed(PlacementPlan.objects.get(pk=created.json()["id"]))
    body = api_client_a.get(f"/api/v1/placement/plans/{plan.pk}").json()
    assert body["status"] == "ready" and body["metrics_plan"]["points"]
    accepted = api_client_a.post(f"/api/v1/placement/plans/{plan.pk}/accept")
    assert accepted.status_code == 200 and len(accepted.json()["transfer_ids"]) == 1
    bad = api_client_a.post("/api/v1/placement/plans", {"k": 0}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "k"
