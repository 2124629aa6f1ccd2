"""The driver simulator (make run's demo drivers) drives a dispatched route through the phone's
services: positions move the route, stops get delivered, every Nth one fails."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fulfillment.fleet.plans.services import editing, planning
from fulfillment.management.commands.simulate_drivers import Simulator
from fulfillment.models import Route, RouteStop
from merchant.services.jobs import run_job
from tests.fulfillment.fleet.plans.factories import TZ, make_fleet, ring

pytestmark = pytest.mark.django_db


def test_the_simulator_moves_the_driver_delivers_and_fails_some(merchant_a, settings):
    settings.NEARBOX_FLEET_PLAN_SECONDS = 0.5
    today = timezone.now().astimezone(TZ).date()
    fleet = make_fleet(merchant_a.merchant, date=today, drivers=("car",), shift=(0, 23))
    ring(fleet, 4, radius_deg=0.005, window=None)
    plan = planning.start_plan(merchant=fleet.merchant, date=today, wave=None, hubs=[fleet.hub])
    run_job(plan.job_id)
    editing.dispatch_plan(plan=plan)
    route = Route.objects.get(plan=plan)

    sim = Simulator(speed=500, interval=2, fail_every=2)
    positions = set()
    for _ in range(40):
        sim.run_once([fleet.merchant])
        route.refresh_from_db()
        positions.add((route.latitude, route.longitude))
        if route.state == Route.State.FINISHED:
            break

    assert route.state == Route.State.FINISHED
    assert len(positions) >= 3  # the driver moved
    states = list(route.stops.order_by("sequence").values_list("state", flat=True))
    assert states.count(RouteStop.State.FAILED) == 2
    assert states.count(RouteStop.State.DELIVERED) == 2
    assert all(s.signature for s in route.stops.filter(state=RouteStop.State.DELIVERED))
