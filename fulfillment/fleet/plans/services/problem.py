"""From the database to the planner's dataclasses: the day's shifts as vehicles, the orders booked
on a hub's own-fleet service as jobs, and existing routes (for moving a stop, inserting an order
and re-timing) as a problem of their own.

Parcels are loaded at the hub: a route starts at its hub and ends where the shift ends (the hub,
or the driver's home). With several hubs, each job carries the skill ``hub:<id>`` and each vehicle
the skill of its hub, so that no route delivers a parcel that waits at another hub.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Sum

from fulfillment.fleet.planning.types import Place, PlanJob, PlanningProblem, PlanVehicle
from fulfillment.models import FleetService, Order, OrderLine, Route, RouteStop, Shift, Shipment
from merchant.models import Merchant, StoragePoint

__all__ = [
    "DEFAULT_PARCEL_G",
    "DEFAULT_PARCEL_ML",
    "hub_skill",
    "job_for_order",
    "local_dt",
    "routes_problem",
    "vehicle_for_route",
    "vehicle_for_shift",
]

# A parcel whose weight or size is unknown counts as this much against a vehicle's capacity.
DEFAULT_PARCEL_G = 1000
DEFAULT_PARCEL_ML = 6000


def hub_skill(hub_id: int) -> str:
    return f"hub:{hub_id}"


def tz_of(merchant: Merchant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_dt(merchant: Merchant, date: dt.date, time: dt.time) -> dt.datetime:
    """An aware datetime for a local date and time of the merchant."""
    return dt.datetime.combine(date, time, tzinfo=tz_of(merchant))


def _place(lat: float | None, lon: float | None) -> Place | None:
    if lat is None or lon is None:
        return None
    return Place(float(lat), float(lon))


def point_place(point: StoragePoint | None) -> Place | None:
    return _place(point.latitude, point.longitude) if point is not None else None


def shift_end_place(shift: Shift | None) -> Place | None:
    if shift is None:
        return None
    return point_place(shift.end_point) or _place(shift.end_latitude, shift.end_longitude)


def _breaks(merchant: Merchant, shift: Shift) -> list[tuple[dt.datetime, dt.datetime, int]]:
    out = []
    for entry in shift.breaks or []:
        try:
            start = dt.time.fromisoformat(str(entry["start"]))
            end = dt.time.fromisoformat(str(entry["end"]))
            seconds = int(entry["minutes"]) * 60
        except (KeyError, TypeError, ValueError):
            continue
        if seconds > 0 and end > start:
            out.append(
                (
                    local_dt(merchant, shift.date, start),
                    local_dt(merchant, shift.date, end),
                    seconds,
                )
            )
    return out


def _vehicle_skills(vehicle_skills: Iterable[str], hub_id: int) -> frozenset[str]:
    return frozenset(str(s) for s in vehicle_skills or []) | {hub_skill(hub_id)}


@dataclass(frozen=True)
class Costs:
    per_hour_minor: int = 0
    per_km_minor: int = 0
    per_stop_minor: int = 0
    service_seconds: int = 240


def costs_for_hub(merchant: Merchant, hub_id: int) -> Costs:
    service = (
        FleetService.objects.for_merchant(merchant)
        .filter(hub_id=hub_id)
        .order_by("-is_active", "pk")
        .first()
    )
    if service is None:
        return Costs()
    return Costs(
        service.per_hour_minor,
        service.per_km_minor,
        service.per_stop_minor,
        service.service_seconds,
    )


def vehicle_for_shift(
    shift: Shift, *, hub: StoragePoint, key: str, not_before: dt.datetime, costs: Costs
) -> PlanVehicle:
    merchant = shift.merchant
    hub_place = point_place(hub)
    assert hub_place is not None
    start = local_dt(merchant, shift.date, shift.starts_at)
    return PlanVehicle(
        key=key,
        kind=shift.vehicle.kind,
        start=hub_place,
        end=shift_end_place(shift) or hub_place,
        shift_start=max(start, not_before),
        shift_end=local_dt(merchant, shift.date, shift.ends_at),
        capacity=(
            shift.vehicle.capacity_parcels,
            shift.vehicle.capacity_g,
            min(shift.vehicle.capacity_ml, 2**62),
        ),
        skills=_vehicle_skills(shift.vehicle.skills, hub.pk),
        breaks=_breaks(merchant, shift),
        per_hour_minor=costs.per_hour_minor,
        per_km_minor=costs.per_km_minor,
    )


def vehicle_for_route(route: Route, costs: Costs) -> PlanVehicle:
    """A route as the planner's vehicle (key: the route id)."""
    hub_place = point_place(route.hub)
    assert hub_place is not None
    shift = route.shift
    depart = route.departs_at or route.plan.created_at
    if shift is not None:
        start = local_dt(route.merchant, shift.date, shift.starts_at)
        end = local_dt(route.merchant, shift.date, shift.ends_at)
        breaks = _breaks(route.merchant, shift)
    else:
        start, end, breaks = depart, (route.returns_at or depart) + dt.timedelta(hours=2), []
    return PlanVehicle(
        key=str(route.pk),
        kind=route.vehicle.kind,
        start=hub_place,
        end=shift_end_place(shift) or hub_place,
        shift_start=max(start, depart),
        shift_end=end,
        capacity=(
            route.vehicle.capacity_parcels,
            route.vehicle.capacity_g,
            min(route.vehicle.capacity_ml, 2**62),
        ),
        skills=_vehicle_skills(route.vehicle.skills, route.hub_id),
        breaks=breaks,
        per_hour_minor=costs.per_hour_minor,
        per_km_minor=costs.per_km_minor,
    )


def order_demand(order: Order, shipment: Shipment | None) -> tuple[int, int, int]:
    grams = (shipment.weight_g if shipment is not None else None) or 0
    ml = 0
    if shipment is not None and shipment.box is not None:
        ml = shipment.box.volume_mm3 // 1000
    if not grams or not ml:
        line_g, line_ml = 0, 0
        for line in order.lines.all():
            p = line.product
            line_g += p.weight_g * line.quantity
            line_ml += p.length_mm * p.width_mm * p.height_mm * line.quantity // 1000
        grams = grams or line_g or DEFAULT_PARCEL_G
        ml = ml or line_ml or DEFAULT_PARCEL_ML
    return (1, int(grams), int(ml))


def order_window(order: Order, shipment: Shipment | None) -> tuple[dt.datetime, dt.datetime] | None:
    """The window promised for the order: the shipment's (booked), else the order's."""
    if shipment is not None and shipment.promised_from and shipment.promised_until:
        return (shipment.promised_from, shipment.promised_until)
    if order.promised_from and order.promised_until:
        return (order.promised_from, order.promised_until)
    return None


def job_for_order(
    order: Order,
    *,
    hub_id: int,
    shipment: Shipment | None,
    service_seconds: int,
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> PlanJob:
    assert order.latitude is not None and order.longitude is not None
    return PlanJob(
        key=str(order.pk),
        place=Place(order.latitude, order.longitude),
        window=window if window is not None else order_window(order, shipment),
        service_seconds=service_seconds,
        demand=order_demand(order, shipment),
        skills=frozenset({hub_skill(hub_id)}),
    )


def stop_demands(stops: list[RouteStop]) -> dict[int, tuple[int, int, int]]:
    """Each stop's demand by order id, in two queries (not an object per order line): the
    booked parcel's weight and box where known, else the order's products."""
    order_ids = {s.order_id for s in stops}
    lines = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(
            grams=Sum(F("product__weight_g") * F("quantity")),
            mm3=Sum(
                F("product__length_mm") * F("product__width_mm") * F("product__height_mm")
                * F("quantity")
            ),
        )
    )  # fmt: skip
    by_order = {row["order_id"]: (row["grams"] or 0, (row["mm3"] or 0) // 1000) for row in lines}
    parcels = {
        row["pk"]: row
        for row in Shipment.objects.filter(pk__in={s.shipment_id for s in stops if s.shipment_id})
        .values("pk", "weight_g", "box__inner_length_mm", "box__inner_width_mm")
        .annotate(box_h=F("box__inner_height_mm"))
    }
    out = {}
    for stop in stops:
        grams, ml = by_order.get(stop.order_id, (0, 0))
        parcel = parcels.get(stop.shipment_id)
        if parcel is not None:
            grams = parcel["weight_g"] or grams
            if parcel["box__inner_length_mm"]:
                ml = (
                    parcel["box__inner_length_mm"] * parcel["box__inner_width_mm"]
                    * parcel["box_h"] // 1000
                )  # fmt: skip
        out[stop.order_id] = (1, int(grams or DEFAULT_PARCEL_G), int(ml or DEFAULT_PARCEL_ML))
    return out


def stop_job(stop: RouteStop, hub_id: int, demand: tuple[int, int, int]) -> PlanJob:
    """A stored stop as the planner's job (key: the order id)."""
    window = (
        (stop.window_from, stop.window_until) if stop.window_from and stop.window_until else None
    )
    return PlanJob(
        key=str(stop.order_id),
        place=Place(stop.latitude, stop.longitude),
        window=window,
        service_seconds=stop.service_seconds,
        demand=demand,
        skills=frozenset({hub_skill(hub_id)}),
    )


def routes_problem(
    routes: list[Route], *, extra_jobs: list[PlanJob] = (), depart_at: dt.datetime | None = None
) -> PlanningProblem:
    """Existing routes and their stops as one problem (vehicle key: route id, job key: order
    id), plus jobs not yet on any route (an order to insert)."""
    vehicles, jobs = [], list(extra_jobs)
    costs: dict[int, Costs] = {}
    demands = stop_demands([stop for route in routes for stop in route.stops.all()])
    for route in routes:
        if route.hub_id not in costs:
            costs[route.hub_id] = costs_for_hub(route.merchant, route.hub_id)
        vehicles.append(vehicle_for_route(route, costs[route.hub_id]))
        jobs.extend(
            stop_job(stop, route.hub_id, demands[stop.order_id]) for stop in route.stops.all()
        )
    depart = depart_at or min((v.shift_start for v in vehicles), default=None)
    return PlanningProblem(
        vehicles=vehicles, jobs=jobs, depart_at=depart or dt.datetime.now(dt.UTC)
    )
