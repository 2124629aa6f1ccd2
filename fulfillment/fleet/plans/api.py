"""Plans and routes API (#16 item 9), mounted at /api/v1/fleet (secret key): plan a wave (a
Job, like the page), read a plan with its routes and stops, move a stop (re-checked), dispatch,
and insert a same-day order into the running routes. The same services as the pages; another
merchant's id answers 404, a refusal 422 with the reason."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fulfillment.fleet.dispatch.services import insert_order
from fulfillment.fleet.plans.selectors import (
    get_plan_for_merchant,
    get_stop_for_merchant,
    plan_routes,
)
from fulfillment.fleet.plans.services import editing, planning
from fulfillment.models import Route, RoutePlan
from fulfillment.orders.selectors.orders import get_order_for_merchant
from merchant.api.fields import Id, InputSchema, LocalTime, Problem
from merchant.models import StoragePoint, get_for_merchant_or_404

router = Router(tags=["fleet plans"])
ERRORS = {404: Problem, 422: Problem}
MAX_DAYS = 366


class FleetPlanIn(InputSchema):
    date: dt.date
    wave: LocalTime | None = None
    hub_ids: list[Id] = Field(..., min_length=1, max_length=50)


class FleetStopOut(Schema):
    id: int
    order_id: int
    sequence: int
    state: str
    latitude: float
    longitude: float
    window_from: dt.datetime | None
    window_until: dt.datetime | None
    eta: dt.datetime | None
    address_flags: list[dict]


class FleetRouteOut(Schema):
    id: int
    driver_id: int
    vehicle_id: int
    hub_id: int
    colour: str
    state: str
    departs_at: dt.datetime | None
    returns_at: dt.datetime | None
    distance_m: int
    duration_s: int
    cost_minor: int
    latitude: float | None
    longitude: float | None
    position_at: dt.datetime | None
    stops: list[FleetStopOut]


class FleetPlanOut(Schema):
    id: int
    date: dt.date
    wave: LocalTime | None
    state: str
    job_id: int | None
    matrix_source: str
    summary: dict
    unassigned: list[dict]


class FleetPlanDetailOut(FleetPlanOut):
    routes: list[FleetRouteOut]


class FleetStopMoveIn(InputSchema):
    stop_id: Id
    route_id: Id
    position: int | None = Field(None, ge=1, le=10_000)


def _detail(plan: RoutePlan) -> dict:
    data = FleetPlanOut.from_orm(plan).dict()
    data["routes"] = [
        {
            **FleetRouteOut.from_orm(r).dict(),
            "stops": [FleetStopOut.from_orm(s) for s in r.stops.all()],
        }
        for r in plan_routes(plan)
    ]
    return data


def _check_date(day: dt.date) -> None:
    if abs((day - dt.date.today()).days) > MAX_DAYS:
        raise ValidationError({"date": "Plan a day within a year of today."})


@router.get("/plans", response=list[FleetPlanOut], summary="Route plans (newest day first)")
def list_route_plans(request: HttpRequest, date: dt.date | None = None):
    plans = RoutePlan.objects.for_merchant(request.api_merchant)
    if date is not None:
        plans = plans.filter(date=date)
    return list(plans[:200])


@router.post(
    "/plans", response={202: FleetPlanOut, **ERRORS}, summary="Plan a wave (runs as a job)"
)
def create_route_plan(request: HttpRequest, payload: FleetPlanIn):
    _check_date(payload.date)
    hubs = [get_for_merchant_or_404(StoragePoint, request.api_merchant, i) for i in payload.hub_ids]
    plan = planning.start_plan(
        merchant=request.api_merchant, date=payload.date, wave=payload.wave, hubs=hubs
    )
    return Status(202, plan)


@router.get(
    "/plans/{int:route_plan_id}",
    response={200: FleetPlanDetailOut, 404: Problem},
    summary="A plan with its routes and stops",
)
def get_route_plan(request: HttpRequest, route_plan_id: int):
    return _detail(get_plan_for_merchant(request.api_merchant, route_plan_id))


@router.post(
    "/plans/{int:route_plan_id}/moves",
    response={200: FleetPlanDetailOut, **ERRORS},
    summary="Move a stop to a route and position (both routes re-checked)",
)
def move_route_stop(request: HttpRequest, route_plan_id: int, payload: FleetStopMoveIn):
    plan = get_plan_for_merchant(request.api_merchant, route_plan_id)
    stop = get_stop_for_merchant(request.api_merchant, payload.stop_id)
    route = get_for_merchant_or_404(Route, request.api_merchant, payload.route_id)
    if stop.plan_id != plan.pk:
        raise ValidationError({"stop_id": "That stop is not on this plan."})
    editing.move_stop(stop=stop, route=route, position=payload.position)
    plan.refresh_from_db()
    return _detail(plan)


@router.post(
    "/plans/{int:route_plan_id}/dispatch",
    response={200: FleetPlanOut, **ERRORS},
    summary="Give the routes to the drivers",
)
def dispatch_route_plan(request: HttpRequest, route_plan_id: int):
    plan = get_plan_for_merchant(request.api_merchant, route_plan_id)
    return editing.dispatch_plan(plan=plan)


@router.post(
    "/orders/{int:order_id}/insert",
    response={201: FleetStopOut, **ERRORS},
    summary="Insert a same-day own-delivery order into the running routes",
)
def insert_order_into_routes(request: HttpRequest, order_id: int):
    order = get_order_for_merchant(request.api_merchant, order_id)
    return Status(201, insert_order(order=order))
