"""A planned route for one driver, with stops on real orders and shipments, for the driver app
and live ETA tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from fulfillment.models import Driver, Route, RoutePlan, RouteStop, Vehicle
from merchant.models import Merchant
from tests.factories.couriers import LOOP, make_shipment
from tests.factories.merchant import make_point
from tests.factories.orders import make_order

_seq = itertools.count(1)


def make_driver(merchant: Merchant, *, name: str = "Sam Rivera") -> Driver:
    n = next(_seq)
    return Driver.objects.create(merchant=merchant, name=name, email=f"driver{n}@example.com")


def make_route(
    merchant: Merchant,
    *,
    stops: int = 3,
    driver: Driver | None = None,
    kind: str = Vehicle.Kind.CARGO_BIKE,
    window_minutes: int = 120,
) -> Route:
    """A planned route from a hub at the Loop: stops ~600 m apart going north, each an order
    with a shipment (tracking number on its label), windows from now on."""
    n = next(_seq)
    driver = driver or make_driver(merchant)
    hub = make_point(merchant, name=f"Hub {n}", postal_code="60601")
    vehicle = Vehicle.objects.create(
        merchant=merchant, name=f"Bike {n}", kind=kind,
        capacity_parcels=60, capacity_g=120_000, capacity_ml=400_000,
    )  # fmt: skip
    now = timezone.now()
    plan = RoutePlan.objects.create(
        merchant=merchant, date=timezone.localdate(), state=RoutePlan.State.DISPATCHED
    )
    plan.hubs.add(hub)
    route = Route.objects.create(
        merchant=merchant, plan=plan, driver=driver, vehicle=vehicle, hub=hub,
        departs_at=now, returns_at=now + dt.timedelta(hours=6),
    )  # fmt: skip
    for i in range(stops):
        order = make_order(merchant)
        shipment = make_shipment(merchant, order=order, status="info_received")
        RouteStop.objects.create(
            merchant=merchant, plan=plan, route=route, sequence=i + 1, order=order,
            shipment=shipment, latitude=LOOP[0] + 0.0055 * (i + 1), longitude=LOOP[1],
            window_from=now, window_until=now + dt.timedelta(minutes=window_minutes),
            service_seconds=180,
        )  # fmt: skip
    return route


def codes(route: Route) -> list[str]:
    return [s.shipment.tracking_number for s in route.stops.select_related("shipment")]


# For tests/test_tenant_isolation.py OBJECT_FACTORIES (the driver app's /driver/route/<id>/).
TENANT_FACTORIES = {
    "route_id": lambda new: make_route(new.merchant, stops=1).pk,
    "stop_id": lambda new: make_route(new.merchant, stops=1).stops.get().pk,
}


def sign_in_driver_of(client, merchant: Merchant) -> Driver:
    """Give a test client's session a signed-in driver of `merchant` (as the sign-in link does)."""
    from fulfillment.fleet.auth.session import SESSION_KEY

    driver = make_driver(merchant, name="Sweep Driver")
    session = client.session
    session[SESSION_KEY] = driver.pk
    session.save()
    return driver
