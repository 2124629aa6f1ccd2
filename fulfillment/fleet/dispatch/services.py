"""The dispatcher's actions on running routes (#16 item 6): insert a new same-day order into
the route where it costs least, without reordering the stops already done.

Candidates are every gap between two pending stops of every running or planned route of the
order's hub today, ranked by the detour they add (great-circle, the offline model's ranking);
`check_route` re-times them in that order and the first one whose windows, load and shift all
hold wins, so the cheapest feasible insertion is found with few checks.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.couriers.services.rates import haversine_m
from fulfillment.fleet.planning.types import Place
from fulfillment.fleet.plans.services.editing import (
    _locked_routes,
    _pending_and_done,
    _refresh_summary,
    check_sequence,
    save_sequence,
)
from fulfillment.fleet.plans.services.flags import address_flags
from fulfillment.fleet.plans.services.planning import LIVE_PLAN_STATES
from fulfillment.fleet.plans.services.problem import (
    job_for_order,
    local_dt,
    order_window,
    point_place,
    routes_problem,
    shift_end_place,
    tz_of,
)
from fulfillment.models import FleetService, Order, Route, RoutePlan, RouteStop, Shipment
from merchant.models import Merchant

__all__ = ["MAX_CHECKS", "NotInserted", "insert_order", "waiting_orders"]

# Insertion positions re-timed at most (ranked by detour first): bounds the time of one insert.
MAX_CHECKS = 60


class NotInserted(ValidationError):
    def __init__(self, message: str, code: str = "not_inserted") -> None:
        super().__init__({"order": message}, code=code)
        self.reason = code  # a dict error keeps no code of its own


def _own_shipment(order: Order) -> Shipment | None:
    return (
        Shipment.objects.for_merchant(order.merchant)
        .filter(
            order=order,
            is_return=False,
            voided_at__isnull=True,
            cancelled_at__isnull=True,
            service__fleet_service__isnull=False,
        )
        .select_related("service__fleet_service__hub", "box")
        .order_by("-pk")
        .first()
    )


def _running_routes(order: Order, hub_id: int, date: dt.date) -> list[int]:
    return list(
        Route.objects.for_merchant(order.merchant)
        .filter(
            plan__date=date,
            plan__state__in=(RoutePlan.State.READY, RoutePlan.State.DISPATCHED),
            hub_id=hub_id,
            state__in=(Route.State.PLANNED, Route.State.STARTED),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _m(a: Place, b: Place) -> float:
    return haversine_m(a.latitude, a.longitude, b.latitude, b.longitude)


def _candidates(route: Route, pending: list[RouteStop], new: Place) -> list[tuple[float, int]]:
    """(detour in metres, insertion index among the pending stops) for every gap."""
    if route.state == Route.State.STARTED and route.latitude is not None:
        first = Place(route.latitude, route.longitude)
    else:
        first = point_place(route.hub)
    last = shift_end_place(route.shift) or point_place(route.hub)
    chain = [first] + [Place(s.latitude, s.longitude) for s in pending] + [last]
    out = []
    for i in range(len(chain) - 1):
        a, b = chain[i], chain[i + 1]
        out.append((_m(a, new) + _m(new, b) - _m(a, b), i))
    return out


def insert_order(*, order: Order, now: dt.datetime | None = None) -> RouteStop:
    """Put a same-day own-delivery order on the running route where it adds least. Raises
    NotInserted with the reason (after the cut-off, no route of its hub, nowhere feasible)."""
    now = now or timezone.now()
    merchant = order.merchant
    shipment = _own_shipment(order)
    if shipment is None:
        raise NotInserted("This order is not booked on own delivery.", "not_own_fleet")
    service: FleetService = shipment.service.fleet_service
    if order.latitude is None or order.longitude is None:
        raise NotInserted("This order has no coordinates: correct its address first.")
    today = now.astimezone(tz_of(merchant)).date()
    if now > local_dt(merchant, today, service.cutoff):
        raise NotInserted(
            f"It is after today's cut-off ({service.cutoff:%H:%M}): plan it in the next wave.",
            "after_cutoff",
        )
    if (
        RouteStop.objects.filter(order=order, plan__state__in=LIVE_PLAN_STATES, plan__date=today)
        .exclude(state=RouteStop.State.FAILED)
        .exists()
    ):
        raise NotInserted("This order is on a route already.", "already_planned")
    route_ids = _running_routes(order, service.hub_id, today)
    if not route_ids:
        raise NotInserted("No route of its hub runs today: plan a wave for it.", "no_routes")
    job = job_for_order(
        order,
        hub_id=service.hub_id,
        shipment=shipment,
        service_seconds=service.service_seconds,
        window=order_window(order, shipment),
    )
    with transaction.atomic():
        routes = _locked_routes(route_ids)
        problem = routes_problem(routes, extra_jobs=[job])
        ranked = []
        split = {}
        for route in routes:
            pending, done = _pending_and_done(route)
            split[route.pk] = (pending, done)
            ranked.extend((d, route.pk, i) for d, i in _candidates(route, pending, job.place))
        ranked.sort()
        by_id = {r.pk: r for r in routes}
        last_problems: list[str] = []
        for _detour, route_id, index in ranked[:MAX_CHECKS]:
            route = by_id[route_id]
            pending, done = split[route_id]
            order_ids = [s.order_id for s in pending]
            order_ids.insert(index, order.pk)
            check = check_sequence(problem, route, order_ids, now=now)
            if not check.feasible:
                last_problems = check.problems
                continue
            window = job.window
            stop = RouteStop.objects.create(
                merchant=merchant,
                plan_id=route.plan_id,
                route=route,
                sequence=len(done) + index + 1,
                order=order,
                shipment=shipment,
                latitude=order.latitude,
                longitude=order.longitude,
                window_from=window[0] if window else None,
                window_until=window[1] if window else None,
                service_seconds=service.service_seconds,
                address_flags=address_flags(order),
            )
            new_pending = [*pending[:index], stop, *pending[index:]]
            save_sequence(route, new_pending, done, check)
            _refresh_summary(RoutePlan.objects.get(pk=route.plan_id))
            stop.refresh_from_db()
            return stop
    reason = "; ".join(last_problems[:2]) if last_problems else "no room"
    raise NotInserted(f"No running route can take it ({reason}): plan it in the next wave.")


def waiting_orders(merchant: Merchant, date: dt.date) -> list[Order]:
    """Today's orders booked on own delivery that are on no live route yet."""
    planned = (
        RouteStop.objects.for_merchant(merchant)
        .filter(plan__date=date, plan__state__in=LIVE_PLAN_STATES)
        .exclude(state=RouteStop.State.FAILED)
    )
    tz = tz_of(merchant)
    start = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    shipments = (
        Shipment.objects.for_merchant(merchant)
        .filter(
            service__fleet_service__isnull=False,
            is_return=False,
            voided_at__isnull=True,
            cancelled_at__isnull=True,
            status__in=("pending", "info_received"),
            created_at__gte=start,
        )
        .exclude(order_id__in=planned.values("order_id"))
        .select_related("order")
        .order_by("pk")
    )
    seen, out = set(), []
    for s in shipments:
        if s.order_id not in seen:
            seen.add(s.order_id)
            out.append(s.order)
    return out
