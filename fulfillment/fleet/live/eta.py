"""The ETAs of a started route's remaining stops, from the driver's position.

The same driving model as planning (fulfillment.fleet.planning: `check_route` with the offline
model, service times, waiting for windows), never a routing server: a position arrives every
15-30 s from each driver and must cost a few milliseconds (bench/fleet.py measures it)."""

from __future__ import annotations

import datetime as dt

from fulfillment.fleet.planning.matrix import OfflineModel
from fulfillment.fleet.planning.solver import check_route
from fulfillment.fleet.planning.types import Place, PlanJob, PlanningProblem, PlanVehicle
from fulfillment.models import Route, RouteStop

VEHICLE_KEY = "route"
# Capacity and shift are the planner's business; an ETA only needs the times.
NO_LIMIT = (10**9, 10**9, 10**9)

_offline: OfflineModel | None = None


def offline_model() -> OfflineModel:
    global _offline
    if _offline is None:
        _offline = OfflineModel()
    return _offline


def remaining_stops(route: Route) -> list[RouteStop]:
    return list(
        RouteStop.objects.filter(route=route, state=RouteStop.State.PENDING)
        .order_by("sequence", "pk")
        .only(
            "pk", "route_id", "shipment_id", "sequence", "latitude", "longitude",
            "window_from", "window_until", "service_seconds", "eta",
        )
    )  # fmt: skip


def compute_etas(
    stops: list[RouteStop], *, vehicle_kind: str, latitude: float, longitude: float, at: dt.datetime
) -> list[dt.datetime]:
    """When service can start at each stop, driving from (latitude, longitude) at `at`, in
    the given order (waiting for a window that has not opened yet)."""
    if not stops:
        return []
    here = Place(latitude, longitude)
    vehicle = PlanVehicle(
        key=VEHICLE_KEY, kind=vehicle_kind, start=here, end=None,
        shift_start=at, shift_end=at + dt.timedelta(days=1), capacity=NO_LIMIT,
    )  # fmt: skip
    jobs = [
        PlanJob(
            key=str(stop.pk),
            place=Place(stop.latitude, stop.longitude),
            window=(stop.window_from, stop.window_until)
            if stop.window_from and stop.window_until and stop.window_from <= stop.window_until
            else None,
            service_seconds=stop.service_seconds,
            demand=(0, 0, 0),
        )
        for stop in stops
    ]
    check = check_route(
        PlanningProblem(vehicles=[vehicle], jobs=jobs, depart_at=at),
        VEHICLE_KEY,
        [job.key for job in jobs],
        start_at=at,
        start_place=here,
        matrix=offline_model(),
    )
    return [planned.start for planned in check.stops]


def recompute_etas(
    route: Route, *, vehicle_kind: str, latitude: float, longitude: float, at: dt.datetime
) -> list[RouteStop]:
    """Recompute and store the ETAs of the route's pending stops; returns them in order."""
    stops = remaining_stops(route)
    etas = compute_etas(
        stops, vehicle_kind=vehicle_kind, latitude=latitude, longitude=longitude, at=at
    )
    changed = []
    for stop, eta in zip(stops, etas, strict=True):
        if stop.eta != eta:
            stop.eta = eta
            changed.append(stop)
    if changed:
        RouteStop.objects.bulk_update(changed, ["eta"])
    return stops
