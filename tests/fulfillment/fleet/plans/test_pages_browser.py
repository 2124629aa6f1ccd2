"""In Chromium: the plan page draws each route in its colour and moves a stop by htmx; the
dispatcher board's map moves a driver when the phone's position arrives (htmx polling), with no
CSP violation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from fulfillment.fleet.live import services as live
from fulfillment.fleet.plans.services import editing, planning
from fulfillment.models import RoutePlan
from merchant.services.jobs import run_job
from tests.fulfillment.fleet.plans.factories import TZ, make_fleet, ring
from tests.support.helpers import screenshot, sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_plans(settings):
    settings.NEARBOX_FLEET_PLAN_SECONDS = 0.5
    settings.NEARBOX_FLEET_OSRM_URL = ""
    settings.NEARBOX_FLEET_VALHALLA_URL = ""
    settings.NEARBOX_MAP_TILES_URL = ""


def planned(merchant, *, date: dt.date, parcels: int = 40) -> RoutePlan:
    fleet = make_fleet(merchant, date=date, drivers=("car", "van"), parcels=parcels, shift=(0, 23))
    ring(fleet, 4, window=None)
    plan = planning.start_plan(merchant=merchant, date=date, wave=None, hubs=[fleet.hub])
    run_job(plan.job_id)
    plan.refresh_from_db()
    assert plan.state == RoutePlan.State.READY
    return plan


def csp_violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    return seen


def test_the_plan_page_draws_the_routes_and_moves_a_stop(live_server, page, merchant_a):
    plan = planned(merchant_a.merchant, date=dt.date.today() + dt.timedelta(days=1), parcels=3)
    # 4 parcels, 3 a vehicle: two routes; a stop moves from the fuller to the other.
    routes = sorted(plan.routes.all(), key=lambda r: -r.stops.count())
    assert len(routes) == 2
    violations = csp_violations(page)
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(live_server.url + reverse("fleet_plan", args=[plan.pk]))
    expect(page.locator("#fleet-map[data-ready=true]")).to_be_visible()
    markers = page.locator("#fleet-map .fleet-stop")
    expect(markers).to_have_count(4)
    colours = {m.evaluate("el => el.style.background") for m in markers.all()}
    assert len(colours) == 2  # one colour per route

    stop = routes[0].stops.order_by("sequence").first()
    row = page.locator(f"#stop-{stop.pk}")
    row.get_by_label("Route for").select_option(str(routes[1].pk))
    row.get_by_role("button", name="Move").click()
    expect(page.locator("#move-result")).to_contain_text("re-checked")
    stop.refresh_from_db()
    assert stop.route_id == routes[1].pk
    expect(page.locator(f"#route-{routes[1].pk} #stop-{stop.pk}")).to_be_visible()
    screenshot(page, "fleet-plan-moved")
    assert violations == []


def test_the_dispatcher_map_moves_when_a_position_arrives(live_server, page, merchant_a):
    today = timezone.now().astimezone(TZ).date()
    plan = planned(merchant_a.merchant, date=today)
    editing.dispatch_plan(plan=plan)
    route = plan.routes.first()
    for stop in route.stops.select_related("shipment"):
        live.load_parcel(driver=route.driver, route=route, code=stop.shipment.tracking_number)
    live.start_route(driver=route.driver, route=route)
    route.refresh_from_db()
    live.record_position(
        driver=route.driver, route=route, latitude=41.8800, longitude=-87.6300,
        recorded_at=timezone.now() - dt.timedelta(seconds=5),
    )  # fmt: skip
    violations = csp_violations(page)
    sign_in_browser(page, live_server, merchant_a.owner)
    page.goto(live_server.url + reverse("fleet_dispatch"))
    expect(page.locator("#dispatch-map[data-ready=true]")).to_be_visible()
    driver = page.locator(f'#dispatch-map .fleet-driver[data-route="{route.pk}"]')
    expect(driver).to_have_attribute("data-lat", "41.88")
    before = driver.bounding_box()

    route.refresh_from_db()
    live.record_position(
        driver=route.driver, route=route, latitude=41.9100, longitude=-87.6500,
        recorded_at=timezone.now(),
    )  # fmt: skip

    expect(driver).to_have_attribute("data-lat", "41.91", timeout=20_000)
    after = driver.bounding_box()
    assert after is not None and before is not None
    assert after["y"] < before["y"]  # further north: higher on the map
    screenshot(page, "fleet-dispatch-board")
    assert violations == []
