"""The demo's delivery history for Analytics (#20): eight weeks of past orders, each with its
allocation, a shipment with one of the demo couriers and its tracking events (most delivered,
some late, some failed first, a few exceptions; locker and shop orders ready then collected),
then the rollups rebuilt, so `make run`'s Analytics page has trends, breakdowns and a map.

Idempotent: skipped when the demo already has its history (orders referenced "HIST-…"); the
rebuild runs every time (it recomputes, never adds).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from demo.seeders.orders import ZIPS
from fulfillment.analytics.services.rollups import rebuild
from fulfillment.models import (
    Allocation,
    CourierService,
    Order,
    OrderLine,
    Shipment,
    ShipmentEvent,
)
from merchant.models import Merchant, Product, StoragePoint
from merchant.zones import zone_of

PREFIX = "HIST-"
DAYS = 56
REASONS = ("not_home", "not_home", "access_code", "refused", "address_unknown")


def ensure_demo_analytics(*, merchant: Merchant, today: dt.date | None = None) -> str:
    if not Order.objects.for_merchant(merchant).filter(reference__startswith=PREFIX).exists():
        made = _history(merchant, today or timezone.localdate(timezone.now(), zone_of(merchant)))
    else:
        made = 0
    days = rebuild(merchant=merchant)
    return f"Demo analytics: {made} past orders added, {days} days of rollups built (Analytics)."


def _history(merchant: Merchant, today: dt.date) -> int:
    rng = random.Random(20)
    tz = zone_of(merchant)
    points = list(StoragePoint.objects.for_merchant(merchant).order_by("pk")[:3])
    services = list(
        CourierService.objects.for_merchant(merchant)
        .filter(is_active=True)
        .select_related("account")
        .order_by("pk")[:4]
    )
    product = Product.objects.for_merchant(merchant).filter(is_active=True).first()
    if not points or not services or product is None:
        return 0
    made = 0
    with transaction.atomic():
        for back in range(DAYS, 1, -1):
            day = today - dt.timedelta(days=back)
            weekend = day.weekday() >= 5
            for n in range(rng.randint(6, 10) if weekend else rng.randint(12, 22)):
                _order(merchant, rng, tz, day, n, points, services, product)
                made += 1
    return made


def _order(merchant, rng, tz, day, n, points, services, product) -> None:
    created = dt.datetime.combine(day, dt.time(8), tzinfo=tz) + dt.timedelta(
        minutes=rng.randint(0, 12 * 60)
    )
    zip_code = rng.choice(ZIPS)
    kind = rng.choices(["home", "locker", "pickup_shop"], weights=[70, 20, 10])[0]
    order = Order.objects.create(
        merchant=merchant,
        reference=f"{PREFIX}{day:%m%d}-{n:02d}",
        source=rng.choices(["checkout", "shopify", "api", "csv"], weights=[5, 3, 1, 1])[0],
        shopper_name="Demo Shopper",
        shopper_email="shopper@example.com",
        line1=f"{rng.randint(100, 3999)} N Clark St",
        city="Chicago",
        state="IL",
        postal_code=zip_code,
        normalized_postal_code=zip_code,
        delivery_kind=kind,
        value=rng.randint(1500, 18000),
        created_at=created,
        promised_until=created + dt.timedelta(hours=48),
        status="delivered",
    )
    line = OrderLine.objects.create(
        merchant=merchant, order=order, product=product, quantity=1, unit_value=order.value
    )
    point_at = rng.choices(range(len(points)), weights=[6, 3, 1][: len(points)])[0]
    Allocation.objects.create(
        merchant=merchant,
        order=order,
        line=line,
        point=points[point_at],
        quantity=1,
        state="picked",
        distance_m=rng.randint(800, 14000),
        rank=1 if rng.random() < 0.8 else 2,
        why="demo history",
    )
    service = rng.choice(services)
    booked = created + dt.timedelta(hours=rng.randint(1, 5))
    fate = rng.random()
    transit = dt.timedelta(hours=rng.choice([20, 26, 30, 44, 52, 70]))
    status = "delivered" if fate < 0.9 else ("exception" if fate < 0.95 else "returned")
    shipment = Shipment.objects.create(
        merchant=merchant,
        order=order,
        account=service.account,
        service=service,
        tracking_number=f"DEMOH{order.pk:07d}",
        idempotency_key=f"demo-history-{order.pk}",
        price_minor=rng.randint(450, 1400),
        currency=merchant.currency,
        status=status,
        created_at=booked,
        booked_at=booked,
        handed_over_at=booked + dt.timedelta(hours=3),
        delivered_at=booked + transit if status == "delivered" else None,
        promised_until=created + dt.timedelta(hours=48),
        exception_handled_at=booked + dt.timedelta(hours=30) if status == "exception" else None,
        # Seen by tracking already: the poll planner leaves the history alone.
        last_polled_at=booked + transit,
    )
    if status != "delivered":
        Order.objects.filter(pk=order.pk).update(
            status="returned" if status == "returned" else "handed_over"
        )
    events = [("in_transit", booked + dt.timedelta(hours=3), "")]
    if rng.random() < 0.1:
        events.append(("failed_attempt", booked + dt.timedelta(hours=18), rng.choice(REASONS)))
    if status == "exception":
        events.append(("exception", booked + dt.timedelta(hours=12), "damaged"))
    if kind != "home" and status == "delivered":
        events.append(("available_for_pickup", booked + transit - dt.timedelta(hours=20), ""))
    if status == "delivered":
        events.append(("delivered", booked + transit, ""))
    ShipmentEvent.objects.bulk_create(
        [
            ShipmentEvent(
                merchant=merchant,
                shipment=shipment,
                event_id=f"demo-{shipment.pk}-{i}",
                status=status_,
                occurred_at=at,
                reason_code=reason,
                source="courier",
            )
            for i, (status_, at, reason) in enumerate(events)
        ]
    )
