"""Own-fleet data for the plan and dispatch tests (and the tenant-isolation sweep): a hub with
its own-fleet service (booked through a courier service like any other), drivers with shifts,
and orders booked on it with a promised window."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from dataclasses import dataclass, field

from fulfillment.models import (
    Driver,
    FleetService,
    Order,
    Route,
    RoutePlan,
    RouteStop,
    Shift,
    Shipment,
    Vehicle,
)
from merchant.models import Merchant, StoragePoint
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point
from tests.factories.orders import make_order

_seq = itertools.count(1)
HUB = (41.8837, -87.6289)  # the Loop
TZ = zoneinfo.ZoneInfo("America/Chicago")


@dataclass
class Fleet:
    merchant: Merchant
    hub: StoragePoint
    service: FleetService
    date: dt.date
    shifts: list[Shift] = field(default_factory=list)

    def at(self, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.date, dt.time(hour, minute), tzinfo=TZ)


def make_fleet(
    merchant: Merchant,
    *,
    date: dt.date | None = None,
    drivers: tuple[str, ...] = ("car", "cargo_bike", "van"),
    parcels: int = 40,
    shift: tuple[int, int] = (8, 20),
    cutoff: dt.time = dt.time(23, 59),
    set_time_zone: bool = True,
) -> Fleet:
    if set_time_zone:
        merchant.time_zone = "America/Chicago"
        merchant.save(update_fields=["time_zone"])
    n = next(_seq)
    hub = make_point(merchant, name=f"Hub {n}", latitude=HUB[0], longitude=HUB[1])
    courier = make_service(make_account(merchant), level="same_day", code=f"own-{n}")
    service = FleetService.objects.create(
        merchant=merchant,
        hub=hub,
        courier_service=courier,
        name=f"Own delivery {n}",
        radius_km=20,
        per_hour_minor=2000,
        per_km_minor=50,
        per_stop_minor=100,
        service_seconds=180,
        cutoff=cutoff,
        waves=["10:00", "15:00"],
    )
    fleet = Fleet(merchant, hub, service, date or dt.date.today() + dt.timedelta(days=1))
    for i, kind in enumerate(drivers):
        driver = Driver.objects.create(
            merchant=merchant, name=f"Driver {n}-{i} Test", phone=f"+1312555{n:02d}{i:02d}"
        )
        vehicle = Vehicle.objects.create(
            merchant=merchant,
            name=f"{kind} {n}-{i}",
            kind=kind,
            capacity_parcels=parcels,
            capacity_g=200_000,
            capacity_ml=2_000_000,
        )
        fleet.shifts.append(
            Shift.objects.create(
                merchant=merchant,
                driver=driver,
                vehicle=vehicle,
                date=fleet.date,
                starts_at=dt.time(shift[0]),
                ends_at=dt.time(shift[1]),
                start_point=hub,
                end_point=hub,
            )
        )
    return fleet


def book_on_fleet(
    fleet: Fleet,
    *,
    latitude: float,
    longitude: float,
    window: tuple[int, int] | None = (10, 12),
    order: Order | None = None,
    **order_fields: object,
) -> Order:
    """An order booked on the fleet's own delivery, at that place, promised in that window
    (local hours of the fleet's day)."""
    order = order or make_order(fleet.merchant)
    order_fields.setdefault("coordinates_source", "shop")
    Order.objects.filter(pk=order.pk).update(latitude=latitude, longitude=longitude, **order_fields)
    order.refresh_from_db()
    courier = fleet.service.courier_service
    Shipment.objects.create(
        merchant=fleet.merchant,
        order=order,
        account=courier.account,
        service=courier,
        tracking_number=f"NBXFLEET{next(_seq):05d}",
        idempotency_key=f"fleet-test-{order.pk}-{next(_seq)}",
        price_minor=300,
        currency="USD",
        status="info_received",
        promised_from=fleet.at(window[0]) if window else None,
        promised_until=fleet.at(window[1]) if window else None,
    )
    return order


def ring(fleet: Fleet, count: int, *, radius_deg: float = 0.03, **kwargs: object) -> list[Order]:
    """`count` orders around the hub."""
    import math

    out = []
    for i in range(count):
        angle = 2 * math.pi * i / max(count, 1)
        out.append(
            book_on_fleet(
                fleet,
                latitude=HUB[0] + radius_deg * math.sin(angle),
                longitude=HUB[1] + radius_deg * math.cos(angle),
                **kwargs,
            )
        )
    return out


def make_plan_with_stop(merchant: Merchant) -> RouteStop:
    """A ready plan with one route and one stop (no planner run): for the tenant sweep."""
    fleet = make_fleet(merchant, drivers=("car",), set_time_zone=False)
    order = book_on_fleet(fleet, latitude=HUB[0] + 0.01, longitude=HUB[1])
    shift = fleet.shifts[0]
    plan = RoutePlan.objects.create(merchant=merchant, date=fleet.date, state="ready")
    plan.hubs.set([fleet.hub])
    route = Route.objects.create(
        merchant=merchant, plan=plan, driver=shift.driver, vehicle=shift.vehicle, shift=shift,
        hub=fleet.hub,
    )  # fmt: skip
    return RouteStop.objects.create(
        merchant=merchant, plan=plan, route=route, sequence=1, order=order,
        latitude=order.latitude, longitude=order.longitude,
    )  # fmt: skip


# For tests/test_tenant_isolation.py OBJECT_FACTORIES:
TENANT_FACTORIES = {
    "route_plan_id": lambda new: make_plan_with_stop(new.merchant).plan_id,
    "stop_id": lambda new: make_plan_with_stop(new.merchant).pk,
}
