"""The placement journey in Chromium, with a real Celery worker computing the plan: add a
candidate point, run a plan, watch its progress, accept it and see the transfers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from demo.seeders.merchant import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from merchant.models import PlacementPlan, StoragePoint, Transfer
from tests.support.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_merchant_adds_a_point_runs_a_plan_accepts_it_and_sees_the_transfers(
    live_server, page, celery_worker
):
    merchant = seed_demo().merchant
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/app/storage-points/new/")
    page.get_by_label("Name", exact=True).fill("Lakeview Micro-Fulfilment")
    page.get_by_label("Kind", exact=True).select_option("mfc")
    page.get_by_label("Role").select_option("candidate")
    page.get_by_label("Street address").fill("3300 N Broadway")
    page.get_by_label("City", exact=True).fill("Chicago")
    page.get_by_label("ZIP / postal code").fill("60657")
    page.get_by_role("button", name="Add storage point").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lakeview Micro-Fulfilment")
    lakeview = StoragePoint.objects.get(merchant=merchant, name="Lakeview Micro-Fulfilment")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Placement").click()
    page.get_by_label("Closest to customers").check()
    page.get_by_label("Number of points").fill("3")
    page.get_by_role("button", name="Compute plan").click()

    # The plan page polls the job: first its progress, then the computed plan.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Placement plan")
    expect(page.get_by_role("heading", name="Expected effect")).to_be_visible(timeout=60_000)
    plan = PlacementPlan.objects.for_merchant(merchant).get()
    assert plan.status == PlacementPlan.Status.READY
    assert plan.job.state == "succeeded" and plan.job.done == plan.job.total
    expect(page.get_by_role("row", name="Mean distance to customers")).to_be_visible()
    expect(page.locator("#placement-map .leaflet-interactive").first).to_be_attached()
    screenshot(page, "placement-plan")

    page.get_by_role("button", name="Accept plan and create transfers").click()
    expect(page.get_by_text("Plan accepted")).to_be_visible()
    transfers = Transfer.objects.filter(plan=plan)
    assert transfers.exists()
    opened = [p["id"] for p in plan.result["points"] if p["open"]]
    assert all(t.to_point_id in opened for t in transfers)
    if lakeview.pk in opened:
        lakeview.refresh_from_db()
        assert lakeview.role == StoragePoint.Role.IN_USE

    first = transfers.order_by("pk").first()
    page.get_by_role("link", name=f"Transfer {first.pk}").click()
    expect(page.get_by_text(first.to_point.name).first).to_be_visible()
    screenshot(page, "placement-transfer")
