"""Factories for the own-fleet admin tests and the tenant-isolation sweep."""

from __future__ import annotations

import datetime as dt
import itertools

from fulfillment.fleet.drivers.services.drivers import save_driver
from fulfillment.fleet.services.setup import save_fleet_service
from fulfillment.fleet.shifts.services import Place, save_shift
from fulfillment.fleet.vehicles.services import save_vehicle
from fulfillment.models import Driver, FleetService, Shift, Vehicle
from merchant.models import Merchant, StoragePoint
from tests.factories.merchant import make_point

_seq = itertools.count(1)


def make_driver(merchant: Merchant, **fields) -> Driver:
    n = next(_seq)
    values = {"name": f"Driver {n}", "email": f"driver{n}@example.com", "phone": "+13125550100"}
    return save_driver(merchant=merchant, **(values | fields))


def make_vehicle(merchant: Merchant, **fields) -> Vehicle:
    values = dict(
        name=f"Van {next(_seq)}", kind="van", capacity_parcels=40, capacity_g=500_000,
        capacity_ml=2_000_000, skills=["fragile"],
    )  # fmt: skip
    return save_vehicle(merchant=merchant, **(values | fields))


def make_shift(
    merchant: Merchant, *, hub: StoragePoint | None = None, day: dt.date | None = None, **fields
) -> Shift:
    hub = hub or make_point(merchant)
    values = dict(
        driver=make_driver(merchant), vehicle=make_vehicle(merchant),
        day=day or dt.date(2026, 6, 2), starts_at=dt.time(9), ends_at=dt.time(17),
        start=Place(point=hub),
    )  # fmt: skip
    return save_shift(merchant=merchant, **(values | fields))


def make_fleet_service(
    merchant: Merchant, *, hub: StoragePoint | None = None, **fields
) -> FleetService:
    values = dict(
        hub=hub or make_point(merchant), name=f"Own delivery {next(_seq)}", area_kind="radius",
        radius_km=10.0, per_hour_minor=2000, per_km_minor=50, per_stop_minor=150,
        cutoff=dt.time(14), waves=["10:00", "15:00"], window_minutes=120,
    )  # fmt: skip
    return save_fleet_service(merchant=merchant, **(values | fields))


TENANT_FACTORIES = {
    "driver_id": lambda new: make_driver(new.merchant).pk,
    "vehicle_id": lambda new: make_vehicle(new.merchant).pk,
    "shift_id": lambda new: make_shift(new.merchant).pk,
    "fleet_service_id": lambda new: make_fleet_service(new.merchant).pk,
}
