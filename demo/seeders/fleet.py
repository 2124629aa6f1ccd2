"""The demo's own drivers (#16 item 8): own delivery from the Lincoln Park back room, three
drivers (cargo bike, car, van) with today's shifts, today's orders booked on it around Lincoln
Park and Lakeview (a few with address problems to flag), and today's routes planned and
dispatched, so that `make run`'s Fleet pages, the dispatcher board and the driver simulator
(`manage.py simulate_drivers`) have something to show.

Idempotent per day: a day that has a plan already is left alone; a new day gets shifts, orders
and a plan of its own. Nothing is booked with a courier: own delivery needs none.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from fulfillment.fleet.plans.services import editing, planning
from fulfillment.fleet.plans.services.problem import local_dt, tz_of
from fulfillment.fleet.services.setup import save_fleet_service
from fulfillment.models import Driver, FleetService, Order, RoutePlan, Shift, Shipment, Vehicle
from fulfillment.orders.services.orders import create_order
from fulfillment.orders.services.routing import Unroutable
from fulfillment.shipments.services.booking import booking_key
from merchant.models import Merchant, Product, StoragePoint
from merchant.services.jobs import JobFailed

HUB_NAME = "Lincoln Park Back Room"
SERVICE_NAME = "Own drivers · Lincoln Park"
DRIVERS = (
    # name, email, phone, vehicle name, kind, parcels, grams, millilitres. Small loads on
    # purpose: no two vehicles hold the day's 18 parcels, so each driver gets a route.
    ("Maya Ortiz", "maya.driver@example.com", "+13125550181", "Cargo bike 1", "cargo_bike",
     6, 80_000, 300_000),
    ("Luis Ramirez", "luis.driver@example.com", "+13125550182", "Car 1", "car",
     7, 300_000, 900_000),
    ("Dana Kim", "dana.driver@example.com", "+13125550183", "Van 1", "van",
     9, 900_000, 6_000_000),
)  # fmt: skip
# (line1, line2, ZIP, latitude, longitude, phone): Lincoln Park, Old Town, Lakeview, Wicker Park.
STOPS = (
    ("2121 N Clark St", "", "60614", 41.9213, -87.6369, "+13125550201"),
    ("1950 N Halsted St", "", "60614", 41.9171, -87.6488, "+13125550202"),
    ("2500 N Lakeview Ave", "Apt 9C", "60614", 41.9275, -87.6373, "+13125550203"),
    ("1700 N Wells St", "", "60614", 41.9125, -87.6349, "+13125550204"),
    ("2400 N Lincoln Ave", "", "60614", 41.9252, -87.6502, "+13125550205"),
    ("2650 N Southport Ave", "", "60614", 41.9299, -87.6636, "+13125550206"),
    ("3000 N Sheffield Ave", "", "60657", 41.9363, -87.6537, "+13125550207"),
    ("3200 N Broadway", "Unit 4", "60657", 41.9398, -87.6440, "+13125550208"),
    ("3400 N Clark St", "", "60657", 41.9437, -87.6547, ""),  # no phone: flagged
    ("2800 N Pine Grove Ave Apartments", "", "60657", 41.9335, -87.6405, "+13125550210"),
    ("1400 N Milwaukee Ave", "", "60622", 41.9077, -87.6737, "+13125550211"),
    ("1600 N Damen Ave", "", "60647", 41.9106, -87.6775, "+13125550212"),
    ("1200 N Ashland Ave", "", "60622", 41.9032, -87.6676, "+13125550213"),
    ("1500 N Sedgwick St", "", "60610", 41.9092, -87.6389, "+13125550214"),
    ("2200 N Cannon Dr", "", "60614", 41.9217, -87.6318, "+13125550215"),
    ("2300 N Racine Ave", "", "60614", 41.9236, -87.6590, "+13125550216"),
    ("2900 N Ashland Ave", "", "60657", 41.9346, -87.6687, "+13125550217"),
    ("1800 N Orchard St", "", "60614", None, None, "+13125550218"),  # ZIP centre only: flagged
)


def _service(merchant: Merchant, hub: StoragePoint) -> FleetService:
    service = FleetService.objects.for_merchant(merchant).filter(name=SERVICE_NAME).first()
    if service is not None:
        return service
    return save_fleet_service(
        merchant=merchant,
        hub=hub,
        name=SERVICE_NAME,
        area_kind=FleetService.AreaKind.RADIUS,
        radius_km=8.0,
        per_hour_minor=2200,
        per_km_minor=40,
        per_stop_minor=150,
        service_seconds=180,
        cutoff=dt.time(13, 0),
        waves=["10:00", "15:00"],
        window_minutes=120,
    )


def _shifts(merchant: Merchant, hub: StoragePoint, today: dt.date) -> None:
    for name, email, phone, vname, kind, parcels, grams, ml in DRIVERS:
        driver, _ = Driver.objects.get_or_create(
            merchant=merchant, email=email, defaults={"name": name, "phone": phone}
        )
        vehicle, _ = Vehicle.objects.get_or_create(
            merchant=merchant,
            name=vname,
            defaults={
                "kind": kind,
                "capacity_parcels": parcels,
                "capacity_g": grams,
                "capacity_ml": ml,
            },
        )
        Shift.objects.get_or_create(
            merchant=merchant,
            driver=driver,
            date=today,
            defaults={
                "vehicle": vehicle,
                "starts_at": dt.time(7, 0),
                "ends_at": dt.time(23, 45),
                "start_point": hub,
                "end_point": hub,
                "breaks": [{"start": "12:00", "end": "14:00", "minutes": 30}],
            },
        )


def _windows(merchant: Merchant, today: dt.date, count: int) -> list[tuple[dt.datetime, ...]]:
    """Two-hour windows from the current hour on (the demo is watched now), staggered."""
    now_local = timezone.now().astimezone(tz_of(merchant))
    first = min(max(8, now_local.hour), 19)
    out = []
    for i in range(count):
        start = local_dt(merchant, today, dt.time(first + i % 3))
        out.append((start, start + dt.timedelta(hours=2)))
    return out


def _orders(merchant: Merchant, service: FleetService, today: dt.date) -> int:
    product = (
        Product.objects.for_merchant(merchant)
        .filter(is_active=True, sku__in=("MUG-CLASSIC", "SOCKS-DEEP", "TOTE-CANVAS"))
        .order_by("pk")
        .first()
    )
    if product is None:
        raise ValueError("The demo shop has no products: seed the merchant first.")
    courier = service.courier_service
    made = 0
    windows = _windows(merchant, today, len(STOPS))
    for i, (window, stop) in enumerate(zip(windows, STOPS, strict=True)):
        line1, line2, zip_code, lat, lon, phone = stop
        reference = f"DEMO-FLEET-{today:%Y%m%d}-{i + 1:02d}"
        destination = {
            "line1": line1, "line2": line2, "city": "Chicago", "state": "IL",
            "postal_code": zip_code, "country": "US",
        }  # fmt: skip
        if lat is not None:
            destination |= {"latitude": lat, "longitude": lon}
        order = None
        # Same day while the points' cut-off allows (a demo seeded late still gets its routes).
        for level in ("same_day", "next_day"):
            data = {
                "reference": reference,
                "shopper": {"name": f"Demo Neighbour {i + 1}", "email": "", "phone": phone},
                "destination": destination,
                "delivery": {"kind": "home", "service_level": level},
                "lines": [{"sku": product.sku, "quantity": 1}],
            }
            try:
                order, created = create_order(
                    merchant=merchant, data=data, source=Order.Source.MANUAL
                )
                break
            except Unroutable:
                continue
        if order is None:
            continue  # out of stock in the demo: fewer stops
        if not created or Shipment.objects.filter(order=order, is_return=False).exists():
            continue
        Shipment.objects.create(
            merchant=merchant,
            order=order,
            account=courier.account,
            service=courier,
            tracking_number=f"NBXOWN{today:%m%d}{i + 1:03d}",
            idempotency_key=booking_key(order),
            price_minor=service.per_stop_minor + 200,
            currency=merchant.currency,
            status="info_received",
            promised_from=window[0],
            promised_until=window[1],
            why="own driver: the demo's own delivery around Lincoln Park",
            booked_at=timezone.now(),
        )
        made += 1
    return made


def ensure_demo_fleet(*, merchant: Merchant, plan_seconds: float = 2.0) -> str:
    hub = StoragePoint.objects.for_merchant(merchant).filter(name=HUB_NAME).first()
    if hub is None or hub.latitude is None:
        raise ValueError(f"The demo shop has no {HUB_NAME!r} with a location.")
    today = timezone.now().astimezone(tz_of(merchant)).date()
    live = (RoutePlan.State.READY, RoutePlan.State.DISPATCHED, RoutePlan.State.DONE)
    if RoutePlan.objects.for_merchant(merchant).filter(date=today, state__in=live).exists():
        return "Own fleet demo: today's routes are planned already (Fleet → Plans)."
    with transaction.atomic():
        service = _service(merchant, hub)
        _shifts(merchant, hub, today)
        made = _orders(merchant, service, today)
    plan = planning.start_plan(merchant=merchant, date=today, wave=None, hubs=[hub])
    try:
        plan = planning.run_plan(plan_id=plan.pk, time_limit_s=plan_seconds)
    except JobFailed as error:
        planning.fail_plan(plan_id=plan.pk, message=str(error))
        return f"Own fleet demo: {made} orders; not planned ({error})."
    if plan.state == RoutePlan.State.READY and plan.routes.exists():
        editing.dispatch_plan(plan=plan)
    return (
        f"Own fleet demo: {made} orders for 3 drivers, {plan.summary.get('stops', 0)} stops "
        f"planned on {plan.summary.get('routes', 0)} routes and dispatched (Fleet → Dispatch)."
    )
