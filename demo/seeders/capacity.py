"""The demo's capacity advice (#20 item 5): courier pick-ups booked at two points and the demo
drivers' shifts for the coming two weeks (weekdays two drivers, Saturday the van, Sunday
nobody), so that `make run`'s Capacity page shows short, tight and covered days with advice.

Idempotent: a pick-up is found by its point and courier, a shift by its driver and day.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from demo.seeders.couriers import DEMO_LOCAL, DEMO_SANDBOX
from demo.seeders.fleet import DRIVERS, HUB_NAME
from fulfillment.capacity.services import save_pickup
from fulfillment.fleet.plans.services.problem import tz_of
from fulfillment.models import CourierAccount, CourierPickup, Driver, Shift, Vehicle
from merchant.models import Merchant, StoragePoint

WAREHOUSE = "West Loop Warehouse"
# (point, courier account, weekdays, parcels, time, note)
PICKUPS = (
    (WAREHOUSE, DEMO_SANDBOX, [0, 1, 2, 3, 4], 8, dt.time(17), "Daily van, booked to March"),
    (HUB_NAME, DEMO_LOCAL, [1, 3], 4, dt.time(15, 30), "Bike courier collects Tue and Thu"),
)
# weekday -> the demo drivers (by email) who work that day
ROTA = {
    0: ("maya.driver@example.com", "luis.driver@example.com"),
    1: ("maya.driver@example.com", "luis.driver@example.com"),
    2: ("maya.driver@example.com", "luis.driver@example.com"),
    3: ("maya.driver@example.com", "luis.driver@example.com"),
    4: ("maya.driver@example.com", "luis.driver@example.com"),
    5: ("dana.driver@example.com",),
}
VEHICLE_OF = {row[1]: row[3] for row in DRIVERS}  # driver email -> vehicle name


def _pickups(merchant: Merchant, today: dt.date) -> int:
    points = {p.name: p for p in StoragePoint.objects.for_merchant(merchant)}
    accounts = {a.name: a for a in CourierAccount.objects.for_merchant(merchant)}
    made = 0
    for point_name, account_name, weekdays, parcels, at, note in PICKUPS:
        point, account = points.get(point_name), accounts.get(account_name)
        if point is None or account is None:
            continue
        if CourierPickup.objects.for_merchant(merchant).filter(point=point, account=account):
            continue
        save_pickup(
            merchant=merchant, point=point, account=account, weekdays=weekdays,
            max_parcels=parcels, pickup_time=at, note=note, today=today,
        )  # fmt: skip
        made += 1
    return made


def _shifts(merchant: Merchant, hub: StoragePoint, today: dt.date) -> int:
    drivers = {d.email: d for d in Driver.objects.for_merchant(merchant)}
    vehicles = {v.name: v for v in Vehicle.objects.for_merchant(merchant)}
    made = 0
    for offset in range(1, 14):
        day = today + dt.timedelta(days=offset)
        for email in ROTA.get(day.weekday(), ()):
            driver, vehicle = drivers.get(email), vehicles.get(VEHICLE_OF[email])
            if driver is None or vehicle is None:
                continue
            _, created = Shift.objects.get_or_create(
                merchant=merchant, driver=driver, date=day,
                defaults={
                    "vehicle": vehicle, "starts_at": dt.time(9), "ends_at": dt.time(17),
                    "start_point": hub, "end_point": hub,
                    "breaks": [{"start": "12:00", "end": "14:00", "minutes": 30}],
                },
            )  # fmt: skip
            made += created
    return made


def ensure_demo_capacity(*, merchant: Merchant) -> str:
    today = dt.datetime.now(tz_of(merchant)).date()
    hub = StoragePoint.objects.for_merchant(merchant).filter(name=HUB_NAME).first()
    with transaction.atomic():
        pickups = _pickups(merchant, today)
        shifts = _shifts(merchant, hub, today) if hub is not None else 0
    return (
        f"Capacity demo: {pickups} courier pick-ups booked, {shifts} shifts added for the "
        "next two weeks (Capacity)."
    )
