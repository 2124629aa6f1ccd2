"""Planning a wave: the job gathers the wave's orders and the day's shifts, stores routes with a
colour each and the orders that did not fit with the reason; moving a stop re-checks both routes
and refuses with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fulfillment.fleet.plans.services import editing, planning
from fulfillment.models import Route, RoutePlan, RouteStop
from merchant.models import Job
from merchant.services.jobs import JobFailed, run_job
from tests.fulfillment.fleet.plans.factories import HUB, book_on_fleet, make_fleet, ring

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_plans(settings):
    settings.NEARBOX_FLEET_PLAN_SECONDS = 1.0
    settings.NEARBOX_FLEET_OSRM_URL = ""
    settings.NEARBOX_FLEET_VALHALLA_URL = ""


def plan_now(fleet, wave=dt.time(10)) -> RoutePlan:
    plan = planning.start_plan(
        merchant=fleet.merchant, date=fleet.date, wave=wave, hubs=[fleet.hub]
    )
    job = run_job(plan.job_id)
    assert job.state == Job.State.SUCCEEDED, job.error
    plan.refresh_from_db()
    return plan


@pytest.mark.sqlite  # make run's database
def test_the_plan_job_stores_coloured_routes_and_lists_what_did_not_fit(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car", "van"), parcels=5)
    orders = ring(fleet, 12)
    plan = plan_now(fleet)

    assert plan.state == RoutePlan.State.READY
    routes = list(plan.routes.all())
    assert len(routes) == 2
    assert len({r.colour for r in routes}) == 2
    stops = list(RouteStop.objects.filter(plan=plan))
    assert len(stops) == 10  # 2 vehicles x 5 parcels
    assert len({s.order_id for s in stops}) == 10
    for stop in stops:
        assert stop.window_from <= stop.eta <= stop.window_until
    assert {e["order_id"] for e in plan.unassigned} == {o.pk for o in orders} - {
        s.order_id for s in stops
    }
    assert all("no room" in e["reason"] for e in plan.unassigned)
    assert plan.summary["stops"] == 10 and plan.summary["routes"] == 2
    for route in routes:
        assert route.distance_m > 0 and route.cost_minor > 0
        assert [s.sequence for s in route.stops.all()] == list(range(1, route.stops.count() + 1))


def test_orders_of_another_wave_or_already_planned_are_left_out(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",))
    morning = ring(fleet, 3)
    afternoon = book_on_fleet(fleet, latitude=HUB[0] + 0.01, longitude=HUB[1], window=(15, 17))
    plan = plan_now(fleet)
    planned = set(RouteStop.objects.filter(plan=plan).values_list("order_id", flat=True))
    assert planned == {o.pk for o in morning}

    with pytest.raises(JobFailed, match="No orders"):
        # nothing left for the morning wave: the job fails with a sentence
        planning.run_plan(
            plan_id=planning.start_plan(
                merchant=fleet.merchant, date=fleet.date, wave=dt.time(10), hubs=[fleet.hub]
            ).pk
        )
    later = plan_now(fleet, wave=dt.time(15))
    assert set(RouteStop.objects.filter(plan=later).values_list("order_id", flat=True)) == {
        afternoon.pk
    }


def test_a_wave_the_hub_does_not_have_is_refused(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",))
    with pytest.raises(ValidationError) as error:
        planning.start_plan(
            merchant=fleet.merchant, date=fleet.date, wave=dt.time(11), hubs=[fleet.hub]
        )
    assert "10:00, 15:00" in str(error.value)


@pytest.mark.sqlite
def test_moving_a_stop_rechecks_both_routes_and_their_etas(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car", "van"), parcels=5)
    ring(fleet, 8, window=(10, 14))  # more than one vehicle holds: two routes
    plan = plan_now(fleet)
    first, second = list(plan.routes.all())
    stop = first.stops.order_by("sequence").last()
    before = second.stops.count()

    moved = editing.move_stop(stop=stop, route=second, position=1)

    assert moved.route_id == second.pk and moved.sequence == 1
    assert second.stops.count() == before + 1
    assert [s.sequence for s in second.stops.order_by("sequence")] == list(range(1, before + 2))
    assert moved.eta is not None and moved.eta >= fleet.at(10)
    assert [s.sequence for s in first.stops.order_by("sequence")] == list(
        range(1, first.stops.count() + 1)
    )


def test_a_move_that_breaks_a_window_is_refused_with_the_reason(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car", "cargo_bike"))
    # Far apart stops with tight windows: the last one cannot be first on the bike's route.
    ring(fleet, 6, radius_deg=0.08, window=(10, 11))
    plan = plan_now(fleet)
    routes = list(plan.routes.all())
    stop = routes[0].stops.order_by("sequence").first()
    target = routes[-1]
    # 20 minutes of service per stop on one route: the sixth stop cannot be reached in time.
    for route in routes:
        route.stops.update(service_seconds=1800)
    with pytest.raises(editing.RouteRefused) as refused:
        for other in RouteStop.objects.filter(plan=plan).exclude(route=target):
            editing.move_stop(stop=other, route=target)
    assert "after its window closes" in " ".join(refused.value.problems)
    assert RouteStop.objects.get(pk=stop.pk).route_id in {r.pk for r in routes}


def test_dispatch_then_no_more_discard(merchant_a):
    fleet = make_fleet(merchant_a.merchant, drivers=("car",))
    ring(fleet, 2)
    plan = plan_now(fleet)
    editing.dispatch_plan(plan=plan)
    plan.refresh_from_db()
    assert plan.state == RoutePlan.State.DISPATCHED
    assert set(plan.routes.values_list("state", flat=True)) == {Route.State.PLANNED}
    with pytest.raises(ValidationError):
        editing.discard_plan(plan=plan)
