"""Changing a plan by hand: move a stop to another route or position (both routes re-checked and
re-timed, refused with the reason when a window, the load or the shift would not hold), dispatch
the plan to the drivers, discard it, and send an order that did not fit to a courier.

A route on the road keeps its done stops where they are: only its pending stops move, and it is
re-timed from the driver's last position (or the hub) from now.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.fleet.planning.solver import check_route
from fulfillment.fleet.planning.types import Place, PlanningProblem, RouteCheck
from fulfillment.fleet.plans.services.problem import costs_for_hub, routes_problem
from fulfillment.models import FleetService, Order, Route, RoutePlan, RouteStop, Shipment
from fulfillment.shipments.services import booking
from fulfillment.shipments.services.voiding import CannotVoid, void_shipment
from merchant.models import Merchant, User

__all__ = [
    "EDITABLE_PLAN_STATES",
    "RouteRefused",
    "check_sequence",
    "discard_plan",
    "dispatch_plan",
    "move_stop",
    "save_sequence",
    "send_to_courier",
]

EDITABLE_PLAN_STATES = (RoutePlan.State.READY, RoutePlan.State.DISPATCHED)


class RouteRefused(ValidationError):
    """The change would break a route: its problems, in sentences."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__({"stop": "; ".join(problems)}, code="infeasible")
        self.problems = problems


def _locked_routes(route_ids: list[int]) -> list[Route]:
    """Lock the routes in id order (two dispatchers moving stops never deadlock)."""
    ids = sorted(set(route_ids))
    list(Route.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    routes = (
        Route.objects.filter(pk__in=ids)
        .select_related("merchant", "hub", "vehicle", "driver", "shift__start_point")
        .select_related("shift__end_point")
        .select_related("plan")
        .prefetch_related("stops")
    )
    by_id = {r.pk: r for r in routes}
    return [by_id[i] for i in route_ids if i in by_id]


def _pending_and_done(route: Route) -> tuple[list[RouteStop], list[RouteStop]]:
    stops = sorted(route.stops.all(), key=lambda s: s.sequence)
    done = [s for s in stops if s.state != RouteStop.State.PENDING]
    return [s for s in stops if s.state == RouteStop.State.PENDING], done


def check_sequence(
    problem: PlanningProblem, route: Route, order_ids: list[int], *, now: dt.datetime | None = None
) -> RouteCheck:
    """Re-time `route` visiting these orders' stops in this order: from the hub at departure
    while it is planned, from the driver's position (else the hub) from now when on the road."""
    keys = [str(i) for i in order_ids]
    if route.state == Route.State.PLANNED:
        return check_route(problem, str(route.pk), keys)
    now = now or timezone.now()
    place = (
        Place(route.latitude, route.longitude)
        if route.latitude is not None and route.longitude is not None
        else None
    )
    return check_route(problem, str(route.pk), keys, start_at=now, start_place=place)


def save_sequence(
    route: Route, pending: list[RouteStop], done: list[RouteStop], check: RouteCheck
) -> None:
    """Store the pending stops' new order and ETAs after the done ones, and the route's totals."""
    times = {stop.job_key: stop.start for stop in check.stops}
    for sequence, stop in enumerate(done + pending, start=1):
        fields = {"sequence": sequence, "route_id": route.pk}
        if stop.state == RouteStop.State.PENDING and str(stop.order_id) in times:
            fields["eta"] = times[str(stop.order_id)]
            if route.state == Route.State.PLANNED:
                fields["planned_arrival"] = fields["eta"]
        RouteStop.objects.filter(pk=stop.pk).update(**fields)
    costs = costs_for_hub(route.merchant, route.hub_id)
    route_fields: dict = {"updated_at": timezone.now()}
    if route.state == Route.State.PLANNED:
        route_fields.update(
            distance_m=check.distance_m,
            duration_s=check.duration_s,
            returns_at=check.back,
            cost_minor=round(
                costs.per_hour_minor * check.duration_s / 3600
                + costs.per_km_minor * check.distance_m / 1000
                + costs.per_stop_minor * len(pending)
            ),
        )
    elif check.back is not None:
        route_fields["returns_at"] = check.back
    Route.objects.filter(pk=route.pk).update(**route_fields)


def move_stop(
    *, stop: RouteStop, route: Route, position: int | None = None, now: dt.datetime | None = None
) -> RouteStop:
    """Move a pending stop to `route` (the same or another of the plan) at `position` (1 = the
    first pending stop; None = last). Raises RouteRefused with both routes' problems."""
    if route.plan_id != stop.plan_id or route.merchant_id != stop.merchant_id:
        raise ValidationError({"route": "Choose a route of the same plan."})
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().get(pk=stop.plan_id)
        if plan.state not in EDITABLE_PLAN_STATES:
            raise ValidationError({"stop": "This plan can no longer be changed."})
        routes = _locked_routes([stop.route_id, route.pk])
        source, target = routes[0], routes[-1]
        if target.state == Route.State.FINISHED:
            raise ValidationError({"route": "That route is finished."})
        stop = RouteStop.objects.get(pk=stop.pk)
        if stop.state != RouteStop.State.PENDING:
            raise ValidationError({"stop": "This stop is done already and stays where it is."})
        problem = routes_problem([source] if source.pk == target.pk else [source, target])
        src_pending, src_done = _pending_and_done(source)
        src_pending = [s for s in src_pending if s.pk != stop.pk]
        if source.pk == target.pk:
            tgt_pending, tgt_done = src_pending, src_done
        else:
            tgt_pending, tgt_done = _pending_and_done(target)
        at = len(tgt_pending) if position is None else max(0, min(position - 1, len(tgt_pending)))
        moved = next(s for s in source.stops.all() if s.pk == stop.pk)
        tgt_pending = [*tgt_pending[:at], moved, *tgt_pending[at:]]
        checks = [(target, tgt_pending, tgt_done)]
        if source.pk != target.pk:
            checks.append((source, src_pending, src_done))
        problems: list[str] = []
        results = []
        for route_, pending, done in checks:
            check = check_sequence(problem, route_, [s.order_id for s in pending], now=now)
            driver = route_.driver.name if route_.driver_id else f"route {route_.pk}"
            problems.extend(f"{driver}'s route: {p}" for p in check.problems)
            results.append((route_, pending, done, check))
        if problems:
            raise RouteRefused(problems)
        for route_, pending, done, check in results:
            save_sequence(route_, pending, done, check)
        _refresh_summary(plan)
    stop.refresh_from_db()
    return stop


def _refresh_summary(plan: RoutePlan) -> None:
    routes = list(Route.objects.filter(plan=plan).values("distance_m", "duration_s", "cost_minor"))
    plan.summary = {
        **plan.summary,
        "distance_m": sum(r["distance_m"] for r in routes),
        "duration_s": sum(r["duration_s"] for r in routes),
        "cost_minor": sum(r["cost_minor"] for r in routes),
        "stops": RouteStop.objects.filter(plan=plan).count(),
        "unassigned": len(plan.unassigned),
    }
    plan.save(update_fields=["summary"])


def dispatch_plan(*, plan: RoutePlan) -> RoutePlan:
    """Give the routes to the drivers: their phones show them from now (routes stay planned
    until the driver starts)."""
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.state == RoutePlan.State.DISPATCHED:
            return plan
        if plan.state != RoutePlan.State.READY:
            raise ValidationError({"plan": "Only a ready plan can be dispatched."})
        if not plan.routes.exists():
            raise ValidationError({"plan": "This plan has no routes to dispatch."})
        plan.state = RoutePlan.State.DISPATCHED
        plan.save(update_fields=["state"])
    return plan


def discard_plan(*, plan: RoutePlan) -> None:
    """Drop a plan that was not dispatched (its orders can be planned again)."""
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.state not in (RoutePlan.State.READY, RoutePlan.State.FAILED):
            raise ValidationError({"plan": "Only a ready or failed plan can be discarded."})
        plan.delete()


def _fleet_service_ids(merchant: Merchant) -> set[int]:
    return set(
        FleetService.objects.for_merchant(merchant)
        .exclude(courier_service__isnull=True)
        .values_list("courier_service_id", flat=True)
    )


def send_to_courier(*, plan: RoutePlan, order: Order, user: User | None = None) -> Shipment:
    """An order the plan could not fit goes to the cheapest eligible courier: its own-fleet
    booking is voided and the order rebooked through rate shopping without own delivery."""
    listed = {int(entry.get("order_id", 0)) for entry in plan.unassigned}
    if order.pk not in listed or order.merchant_id != plan.merchant_id:
        raise ValidationError({"order": "Only an order this plan could not fit can be sent."})
    fleet_services = _fleet_service_ids(plan.merchant)
    own = (
        Shipment.objects.for_merchant(plan.merchant)
        .filter(order=order, is_return=False, voided_at__isnull=True, service_id__in=fleet_services)
        .first()
    )
    result = booking.rates_for_order(merchant=plan.merchant, order=order, live=False)
    options = [
        o for o in result.options if o.eligible and o.priced and o.service_id not in fleet_services
    ]
    if not options:
        raise ValidationError({"order": "No courier can take this order: " + (result.why or "")})
    best = min(options, key=lambda o: (o.price_minor, o.option_id))
    with transaction.atomic():
        if own is not None:
            try:
                void_shipment(shipment=own, by=user)
            except CannotVoid as error:
                raise ValidationError({"order": " ".join(error.messages)}) from None
            order.refresh_from_db()
        shipment = booking.request_shipment(
            merchant=plan.merchant, order=order, option_id=best.option_id
        )
        locked = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        locked.unassigned = [e for e in locked.unassigned if int(e.get("order_id", 0)) != order.pk]
        locked.summary = {**locked.summary, "unassigned": len(locked.unassigned)}
        locked.save(update_fields=["unassigned", "summary"])
    return shipment
