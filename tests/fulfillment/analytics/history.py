"""Random small histories of orders, allocations, shipments and tracking events (hypothesis
strategies and their writer), and a naive reference of every report figure computed straight
from those rows: the property tests hold build_report (which reads only rollups) to it."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import zoneinfo
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from fulfillment.models import (
    Allocation,
    CourierAccount,
    CourierService,
    Order,
    OrderLine,
    Shipment,
    ShipmentEvent,
)
from merchant.models import Merchant, Product, StoragePoint

TZ = "America/Chicago"
START = dt.date(2026, 3, 1)  # a DST change (March 8) falls inside the 14 days
DAYS = 14
ZIPS = ["60601", "60614", "60616", "60622"]
REASONS = ["", "not_home", "address_unknown", "refused"]
_seq = itertools.count(1)


@dataclass
class World:
    merchant: Merchant
    points: list[StoragePoint]
    accounts: list[CourierAccount]  # the last is own fleet
    services: list[CourierService]  # one per account
    product: Product


def make_world(name: str = "Analytics") -> World:
    n = next(_seq)
    merchant = Merchant.objects.create(name=f"{name} {n}", slug=f"analytics-{n}", time_zone=TZ)
    points = [
        StoragePoint.objects.create(
            merchant=merchant,
            name=f"Point {i}",
            address_line="1 Test St",
            city="Chicago",
            state="IL",
            postal_code="60601",
            latitude=41.88,
            longitude=-87.62,
        )
        for i in range(3)
    ]
    accounts, services = [], []
    for i, courier in enumerate(["manual", "sandbox", "own_fleet"]):
        account = CourierAccount.objects.create(merchant=merchant, courier=courier, name=f"C{i}")
        accounts.append(account)
        services.append(
            CourierService.objects.create(
                merchant=merchant,
                account=account,
                level="next_day",
                code=f"s{i}",
                name=f"S{i}",
                transit_hours=24,
                pickup_cutoff=dt.time(17),
            )
        )
    product = Product.objects.create(
        merchant=merchant, sku="P1", name="P", weight_g=100, length_mm=1, width_mm=1, height_mm=1
    )
    return World(merchant, points, accounts, services, product)


allocation_st = st.tuples(
    st.integers(0, 2),  # point
    st.integers(1, 3),  # rank
    st.integers(0, 30_000),  # distance_m
    st.booleans(),  # released
)
event_st = st.tuples(
    st.sampled_from(["failed_attempt", "exception", "available_for_pickup", "in_transit"]),
    st.integers(1, 200),  # hours after booking
    st.sampled_from(REASONS),
)
shipment_st = st.fixed_dictionaries(
    {
        "account": st.integers(0, 2),
        "booked": st.sampled_from([True, True, True, False]),
        "voided": st.sampled_from([False, False, False, True]),
        "is_return": st.sampled_from([False, False, False, False, True]),
        "price": st.integers(0, 5000),
        "status": st.sampled_from(
            [*["delivered"] * 3, "in_transit", "failed_attempt", "exception", "expired", "returned"]
        ),
        "booked_after_h": st.integers(0, 30),
        "delivered_after_h": st.sampled_from([0, 5, 24, 30, 48, 72, 200, 400]),
        "promise_after_h": st.one_of(st.none(), st.sampled_from([0, 24, 30, 48, 72])),
        "stuck": st.booleans(),
        "handled_after_h": st.one_of(st.none(), st.integers(0, 300)),
        "events": st.lists(event_st, max_size=4),
    }
)
order_st = st.fixed_dictionaries(
    {
        "day": st.integers(0, DAYS - 1),
        "minute": st.integers(0, 24 * 60 - 1),
        "source": st.sampled_from(["api", "checkout", "shopify"]),
        "kind": st.sampled_from(["home", "locker", "pickup_shop"]),
        "zip": st.sampled_from(ZIPS),
        "value": st.integers(0, 100_000),
        "allocations": st.lists(allocation_st, max_size=3),
        "shipments": st.lists(shipment_st, min_size=1, max_size=2),
    }
)
history_st = st.lists(order_st, min_size=1, max_size=12)


def write_history(world: World, history: list[dict[str, Any]]) -> list[Order]:
    tz = zoneinfo.ZoneInfo(TZ)
    m = world.merchant
    orders = []
    for spec in history:
        day = START + dt.timedelta(days=spec["day"])
        created = dt.datetime.combine(day, dt.time.min, tzinfo=tz) + dt.timedelta(
            minutes=spec["minute"]
        )
        order = Order.objects.create(
            merchant=m,
            shopper_name="S",
            postal_code=spec["zip"],
            normalized_postal_code=spec["zip"],
            source=spec["source"],
            delivery_kind=spec["kind"],
            value=spec["value"],
            created_at=created,
            promised_until=created + dt.timedelta(hours=48),
        )
        orders.append(order)
        line = OrderLine.objects.create(merchant=m, order=order, product=world.product, quantity=1)
        for point, rank, distance, released in spec["allocations"]:
            Allocation.objects.create(
                merchant=m,
                order=order,
                line=line,
                point=world.points[point],
                quantity=1,
                rank=rank,
                distance_m=distance,
                why="test",
                state="released" if released else "reserved",
            )
        for s in spec["shipments"]:
            booked_at = created + dt.timedelta(hours=s["booked_after_h"])
            delivered = s["status"] == "delivered"
            shipment = Shipment.objects.create(
                merchant=m,
                order=order,
                account=world.accounts[s["account"]],
                service=world.services[s["account"]],
                idempotency_key=f"k{next(_seq)}",
                tracking_number=f"T{next(_seq)}" if s["booked"] else "",
                booked_at=booked_at if s["booked"] else None,
                handed_over_at=booked_at + dt.timedelta(hours=2) if s["booked"] else None,
                created_at=created,
                is_return=s["is_return"],
                price_minor=s["price"],
                currency="USD",
                status=s["status"],
                voided_at=booked_at + dt.timedelta(hours=1) if s["voided"] else None,
                delivered_at=(
                    booked_at + dt.timedelta(hours=s["delivered_after_h"]) if delivered else None
                ),
                promised_until=(
                    None
                    if s["promise_after_h"] is None
                    else booked_at + dt.timedelta(hours=s["promise_after_h"])
                ),
                is_stuck=s["stuck"],
                exception_handled_at=(
                    None
                    if s["handled_after_h"] is None
                    else booked_at + dt.timedelta(hours=s["handled_after_h"])
                ),
            )
            for status, hours, reason in s["events"]:
                ShipmentEvent.objects.create(
                    merchant=m,
                    shipment=shipment,
                    event_id=f"e{next(_seq)}",
                    status=status,
                    occurred_at=booked_at + dt.timedelta(hours=hours),
                    reason_code=reason,
                    source="courier",
                )
    return orders


# ---- The naive reference: every figure straight from the rows, one loop per figure. --------


def reference_figures(merchant: Merchant, filters: Any, date_from=None, date_to=None) -> dict:
    """The report's figures for `filters` (optionally another period), from raw rows."""
    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    date_from = date_from or filters.date_from
    date_to = date_to or filters.date_to
    orders = [
        o
        for o in Order.objects.filter(merchant=merchant)
        if date_from <= o.created_at.astimezone(tz).date() <= date_to
        and (not filters.channel or o.source == filters.channel)
        and (not filters.zip or o.normalized_postal_code.startswith(filters.zip))
    ]

    def live_allocations(o: Order) -> list[Allocation]:
        return [a for a in Allocation.objects.filter(order=o) if a.state != "released"]

    def point_of(o: Order) -> int | None:
        live = sorted(live_allocations(o), key=lambda a: (a.rank, a.pk))
        return live[0].point_id if live else None

    def forward(o: Order) -> list[Shipment]:
        return list(
            Shipment.objects.filter(order=o, is_return=False)
            .select_related("account")
            .order_by("created_at", "pk")
        )

    def booked(s: Shipment) -> bool:
        return s.booked_at is not None or s.tracking_number != ""

    def carrier_ok(s: Shipment | None) -> bool:
        if filters.carrier is None:
            ok = True
        elif filters.carrier == "own_fleet":
            ok = s is not None and s.account.courier == "own_fleet"
        else:
            ok = s is not None and s.account_id == filters.carrier
        if filters.service_id is not None:
            ok = ok and s is not None and s.service_id == filters.service_id
        return ok

    def primary(o: Order) -> Shipment | None:
        ships = forward(o)
        for s in ships:
            if booked(s) and s.voided_at is None:
                return s
        return ships[0] if ships else None

    orders = [o for o in orders if filters.point_id is None or point_of(o) == filters.point_id]
    order_rows = [o for o in orders if carrier_ok(primary(o))]
    ships = [(o, s) for o in orders for s in forward(o) if booked(s) and carrier_ok(s)]
    parcels = [(o, s) for o, s in ships if s.voided_at is None]
    events = {
        s.pk: list(ShipmentEvent.objects.filter(shipment=s).order_by("occurred_at", "pk"))
        for _, s in parcels
    }

    def ev(s: Shipment, status: str) -> list[ShipmentEvent]:
        return [e for e in events[s.pk] if e.status == status]

    delivered = [(o, s) for o, s in parcels if s.status == "delivered" and s.delivered_at]
    promised = [(o, s) for o, s in delivered if (s.promised_until or o.promised_until)]
    on_time = [1 for o, s in promised if s.delivered_at <= (s.promised_until or o.promised_until)]

    def days_between(a: dt.datetime, b: dt.datetime) -> int:
        return (b.astimezone(tz).date() - a.astimezone(tz).date()).days

    transit = sorted(
        min(max(days_between(s.handed_over_at or s.booked_at, s.delivered_at), 0), 15)
        for _, s in delivered
    )
    o2d = sorted(min(max(days_between(o.created_at, s.delivered_at), 0), 15) for o, s in delivered)

    def nearest_rank(values: list[int], q: float) -> int | None:
        return values[max(math.ceil(q * len(values)), 1) - 1] if values else None

    allocated = [o for o in order_rows if live_allocations(o)]
    spend = sum(s.price_minor for _, s in parcels)
    value = sum(o.value for o in order_rows)
    with_exception = [(o, s) for o, s in parcels if ev(s, "exception")]
    resolved = [(o, s) for o, s in with_exception if s.exception_handled_at]
    collected = [
        (o, s)
        for o, s in delivered
        if o.delivery_kind in ("locker", "pickup_shop") and ev(s, "available_for_pickup")
    ]

    def share(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    failed_reasons: dict[str, int] = {}
    for _, s in parcels:
        for e in ev(s, "failed_attempt"):
            failed_reasons[e.reason_code or "unknown"] = (
                failed_reasons.get(e.reason_code or "unknown", 0) + 1
            )
    same_day = sum(1 for o, s in delivered if days_between(o.created_at, s.delivered_at) == 0)
    return {
        "orders": len(order_rows),
        "order_value_minor": value,
        "shipments": len(ships),
        "parcels": len(parcels),
        "label_spend_minor": spend,
        "cost_per_order_minor": round(spend / len(order_rows)) if order_rows else None,
        "cost_per_parcel_minor": round(spend / len(parcels)) if parcels else None,
        "cost_share_of_value": share(spend, value),
        "voids": len(ships) - len(parcels),
        "voided_spend_minor": sum(s.price_minor for _, s in ships if s.voided_at is not None),
        "delivered": len(delivered),
        "delivered_with_promise": len(promised),
        "on_time": len(on_time),
        "on_time_share": share(len(on_time), len(promised)),
        "first_attempt_success": sum(1 for _, s in delivered if not ev(s, "failed_attempt")),
        "first_attempt_share": share(
            sum(1 for _, s in delivered if not ev(s, "failed_attempt")), len(delivered)
        ),
        "failed_attempts": sum(len(ev(s, "failed_attempt")) for _, s in parcels),
        "transit_days_median": nearest_rank(transit, 0.5),
        "transit_days_p90": nearest_rank(transit, 0.9),
        "order_to_delivery_days_median": nearest_rank(o2d, 0.5),
        "order_to_delivery_days_p90": nearest_rank(o2d, 0.9),
        "stuck": sum(1 for _, s in parcels if s.is_stuck),
        "exceptions": len(with_exception),
        "exceptions_resolved": len(resolved),
        "exception_resolve_hours_mean": (
            round(
                sum(
                    max(
                        int(
                            (
                                s.exception_handled_at - ev(s, "exception")[0].occurred_at
                            ).total_seconds()
                        ),
                        0,
                    )
                    for _, s in resolved
                )
                / len(resolved)
                / 3600,
                2,
            )
            if resolved
            else None
        ),
        "pickup_orders": sum(1 for o in order_rows if o.delivery_kind != "home"),
        "locker_orders": sum(1 for o in order_rows if o.delivery_kind == "locker"),
        "shop_orders": sum(1 for o in order_rows if o.delivery_kind == "pickup_shop"),
        "locker_share": share(
            sum(1 for o in order_rows if o.delivery_kind == "locker"), len(order_rows)
        ),
        "shop_share": share(
            sum(1 for o in order_rows if o.delivery_kind == "pickup_shop"), len(order_rows)
        ),
        "collected": len(collected),
        "collection_hours_mean": (
            round(
                sum(
                    max(
                        int(
                            (
                                s.delivered_at - ev(s, "available_for_pickup")[0].occurred_at
                            ).total_seconds()
                        ),
                        0,
                    )
                    for _, s in collected
                )
                / len(collected)
                / 3600,
                2,
            )
            if collected
            else None
        ),
        "expired": sum(1 for _, s in parcels if s.status == "expired"),
        "returned": sum(1 for _, s in parcels if s.status == "returned"),
        "allocated_orders": len(allocated),
        "nearest_point_orders": sum(
            1 for o in allocated if all(a.rank == 1 for a in live_allocations(o))
        ),
        "nearest_point_share": share(
            sum(1 for o in allocated if all(a.rank == 1 for a in live_allocations(o))),
            len(allocated),
        ),
        "split_orders": sum(
            1 for o in allocated if len({a.point_id for a in live_allocations(o)}) > 1
        ),
        "split_share": share(
            sum(1 for o in allocated if len({a.point_id for a in live_allocations(o)}) > 1),
            len(allocated),
        ),
        "distance_m_mean": (
            round(
                sum(max(a.distance_m for a in live_allocations(o)) for o in allocated)
                / len(allocated),
                1,
            )
            if allocated
            else None
        ),
        "same_day": same_day,
        "same_day_share": share(same_day, len(delivered)),
        "shipping_charged_minor": None,
        "surcharges_minor": None,
        "_failed_by_reason": failed_reasons,
    }
