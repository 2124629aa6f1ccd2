"""Planning a wave (#16 item 3): "Plan wave" makes a RoutePlan and a Job; the job gathers the
orders booked on the hubs' own-fleet services for that wave, the day's shifts, runs the planner
and stores routes (one colour each), stops (with their address flags) and the orders that did
not fit with the reason.

An order belongs to the wave that leaves last at or before the start of its promised window (the
first wave when its window starts earlier); an order without a promised window goes with the
first wave planned. An order already on a stop of a live plan is not planned again (a failed
stop whose next step is the next wave is).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.fleet.planning.solver import solve
from fulfillment.fleet.planning.types import PlanningProblem, PlanningSolution, PlanVehicle
from fulfillment.fleet.plans.services.flags import address_flags, multi_unit_streets, street_key
from fulfillment.fleet.plans.services.problem import (
    Costs,
    costs_for_hub,
    job_for_order,
    local_dt,
    order_window,
    point_place,
    tz_of,
    vehicle_for_shift,
)
from fulfillment.models import (
    FleetService,
    Order,
    OrderLine,
    Route,
    RoutePlan,
    RouteStop,
    Shift,
    Shipment,
)
from merchant.models import Merchant, StoragePoint, User
from merchant.services.jobs import JobFailed, Progress, start_job

__all__ = [
    "JOB_KIND",
    "ROUTE_COLOURS",
    "WaveOrder",
    "run_plan",
    "start_plan",
    "wave_orders",
    "waves_for_hubs",
]

JOB_KIND = "fleet.plan"
# Distinct on the map and readable as text on white (WCAG AA for large marks).
ROUTE_COLOURS = [
    "#1d4ed8",
    "#b91c1c",
    "#047857",
    "#7e22ce",
    "#c2410c",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#4338ca",
    "#9f1239",
    "#155e75",
    "#57534e",
    "#6d28d9",
    "#15803d",
]
LIVE_PLAN_STATES = (RoutePlan.State.PLANNING, RoutePlan.State.READY, RoutePlan.State.DISPATCHED)
PLANNABLE_SHIPMENT_STATUSES = (
    TrackingStatus.PENDING.value,
    TrackingStatus.INFO_RECEIVED.value,
    TrackingStatus.FAILED_ATTEMPT.value,
)


def _parse_waves(values: object) -> list[dt.time]:
    out = []
    for value in values if isinstance(values, list) else []:
        try:
            out.append(dt.time.fromisoformat(str(value)))
        except ValueError:
            continue
    return sorted(set(out))


def waves_for_hubs(merchant: Merchant, hub_ids: list[int]) -> list[dt.time]:
    """The waves of the hubs' active own-fleet services, in time order."""
    waves: set[dt.time] = set()
    for service in FleetService.objects.for_merchant(merchant).filter(
        hub_id__in=hub_ids, is_active=True
    ):
        waves.update(_parse_waves(service.waves))
    return sorted(waves)


@dataclass
class WaveOrder:
    order: Order
    shipment: Shipment
    hub_id: int
    service: FleetService
    window: tuple[dt.datetime, dt.datetime] | None


def _wave_of(start_local: dt.time, waves: list[dt.time]) -> dt.time | None:
    earlier = [w for w in waves if w <= start_local]
    return earlier[-1] if earlier else (waves[0] if waves else None)


def wave_orders(
    merchant: Merchant,
    *,
    date: dt.date,
    wave: dt.time | None,
    hub_ids: list[int],
    exclude_plan_id: int | None = None,
) -> list[WaveOrder]:
    """Orders booked on the hubs' own-fleet services for that date and wave, not yet on a live
    plan's stop."""
    tz = tz_of(merchant)
    waves = waves_for_hubs(merchant, hub_ids)
    on_plans = RouteStop.objects.for_merchant(merchant).filter(
        plan__state__in=LIVE_PLAN_STATES, plan__date=date
    )
    if exclude_plan_id is not None:
        on_plans = on_plans.exclude(plan_id=exclude_plan_id)
    on_plans = on_plans.exclude(state=RouteStop.State.FAILED)
    planned = set(on_plans.values_list("order_id", flat=True))
    shipments = (
        Shipment.objects.for_merchant(merchant)
        .filter(
            service__fleet_service__hub_id__in=hub_ids,
            is_return=False,
            voided_at__isnull=True,
            cancelled_at__isnull=True,
            status__in=PLANNABLE_SHIPMENT_STATUSES,
        )
        .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.DELIVERED])
        .select_related("order", "box", "service__fleet_service")
        .prefetch_related(
            Prefetch(
                "order__lines", queryset=OrderLine.objects.select_related("product").order_by("pk")
            )
        )
        .order_by("pk")
    )
    shipments = list(shipments)
    failed = last_failed_stops(merchant, [s.order_id for s in shipments])
    out: list[WaveOrder] = []
    seen: set[int] = set()
    for shipment in shipments:
        order = shipment.order
        if order.pk in planned or order.pk in seen:
            continue
        window = order_window(order, shipment)
        stop = failed.get(order.pk)
        if stop is not None:
            # A failed delivery: "back to the hub" waits to be booked again; "next wave" (or
            # no choice made) is due in the wave after the failed one, in that wave's window.
            if stop.next_step and stop.next_step != RouteStop.NextStep.NEXT_WAVE:
                continue
            due = redelivery_wave(merchant, shipment.service.fleet_service, stop)
            if due is None or due[0] != date or (wave is not None and due[1] != wave):
                continue
            window = due[2]
        elif window is not None:
            start_local = window[0].astimezone(tz)
            if start_local.date() != date:
                continue
            if wave is not None and _wave_of(start_local.time(), waves) != wave:
                continue
        seen.add(order.pk)
        service = shipment.service.fleet_service
        out.append(WaveOrder(order, shipment, service.hub_id, service, window))
    return out


def last_failed_stops(merchant: Merchant, order_ids: list[int]) -> dict[int, RouteStop]:
    """Each order's newest stop, where that stop failed (the order waits for another try)."""
    newest: dict[int, RouteStop] = {}
    stops = (
        RouteStop.objects.for_merchant(merchant)
        .filter(order_id__in=order_ids)
        .select_related("plan")
        .order_by("order_id", "-plan__date", "-pk")
    )
    for stop in stops:
        newest.setdefault(stop.order_id, stop)
    return {oid: stop for oid, stop in newest.items() if stop.state == RouteStop.State.FAILED}


def redelivery_wave(
    merchant: Merchant, service: FleetService, stop: RouteStop
) -> tuple[dt.date, dt.time | None, tuple[dt.datetime, dt.datetime] | None] | None:
    """(date, wave, window) of the next wave after a failed stop: the same day's next wave,
    else the next day's first (a service without waves: the next day, no window)."""
    tz = tz_of(merchant)
    failed_at = (stop.done_at or timezone.now()).astimezone(tz)
    waves = _parse_waves(service.waves)
    if not waves:
        return (failed_at.date() + dt.timedelta(days=1), None, None)
    later = [w for w in waves if local_dt(merchant, failed_at.date(), w) > failed_at]
    day = failed_at.date() if later else failed_at.date() + dt.timedelta(days=1)
    wave = later[0] if later else waves[0]
    start = local_dt(merchant, day, wave)
    return (day, wave, (start, start + dt.timedelta(minutes=service.window_minutes)))


# --- starting -----------------------------------------------------------------------------------


def start_plan(
    *,
    merchant: Merchant,
    date: dt.date,
    wave: dt.time | None,
    hubs: list[StoragePoint],
    user: User | None = None,
) -> RoutePlan:
    """Make the plan and queue its job. Raises ValidationError (hubs without own delivery or
    coordinates, a wave the hubs do not have, the same wave being planned already)."""
    if not hubs:
        raise ValidationError({"hubs": "Choose at least one hub."})
    for hub in hubs:
        if hub.merchant_id != merchant.pk:
            raise ValidationError({"hubs": "Choose one of your hubs."})
        if point_place(hub) is None:
            raise ValidationError({"hubs": f"{hub.name} has no coordinates: correct its address."})
    hub_ids = [h.pk for h in hubs]
    if (
        not FleetService.objects.for_merchant(merchant)
        .filter(hub_id__in=hub_ids, is_active=True)
        .exists()
    ):
        raise ValidationError({"hubs": "None of these hubs has an active own-fleet service."})
    waves = waves_for_hubs(merchant, hub_ids)
    if wave is not None and waves and wave not in waves:
        shown = ", ".join(w.strftime("%H:%M") for w in waves)
        raise ValidationError({"wave": f"These hubs' waves are {shown}."})
    with transaction.atomic():
        busy = (
            RoutePlan.objects.for_merchant(merchant)
            .select_for_update()
            .filter(date=date, wave=wave, state=RoutePlan.State.PLANNING)
        )
        if busy.exists():
            raise ValidationError({"wave": "This wave is being planned already: wait for it."})
        plan = RoutePlan.objects.create(
            merchant=merchant,
            date=date,
            wave=wave,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        plan.hubs.set(hubs)
        label = f"{date:%d %b}" + (f" {wave:%H:%M}" if wave else "")
        job = start_job(
            merchant=merchant,
            kind=JOB_KIND,
            params={"plan_id": plan.pk},
            user=user,
            title=f"Plan the wave of {label}",
        )
        plan.job = job
        plan.save(update_fields=["job"])
    return plan


# --- running ------------------------------------------------------------------------------------


def _hub_for_shift(shift: Shift, hubs: dict[int, StoragePoint]) -> StoragePoint:
    for point_id in (shift.start_point_id, shift.end_point_id):
        if point_id in hubs:
            return hubs[point_id]
    if shift.start_latitude is not None and shift.start_longitude is not None:
        return min(
            hubs.values(),
            key=lambda h: (
                (h.latitude - shift.start_latitude) ** 2
                + ((h.longitude - shift.start_longitude) * math.cos(math.radians(h.latitude))) ** 2
            ),
        )
    return next(iter(hubs.values()))


def _shifts(plan: RoutePlan, hubs: dict[int, StoragePoint]) -> list[Shift]:
    busy_drivers = Route.objects.for_merchant(plan.merchant).filter(
        plan__date=plan.date, plan__wave=plan.wave, plan__state__in=LIVE_PLAN_STATES
    )
    busy_drivers = busy_drivers.exclude(plan=plan).values("driver_id")
    shifts = (
        Shift.objects.for_merchant(plan.merchant)
        .filter(date=plan.date, driver__is_active=True, vehicle__is_active=True)
        .exclude(driver_id__in=busy_drivers)
        .filter(
            Q(start_point_id__in=hubs)
            | Q(end_point_id__in=hubs)
            | Q(start_point__isnull=True, end_point__isnull=True)
        )
        .select_related("driver", "vehicle", "start_point", "end_point", "merchant")
    )
    return list(shifts)


def build_wave_problem(
    plan: RoutePlan,
) -> tuple[PlanningProblem, list[WaveOrder], list[dict], dict[str, Shift], dict[int, Costs]]:
    merchant = plan.merchant
    hubs = {h.pk: h for h in plan.hubs.all() if point_place(h) is not None}
    if not hubs:
        raise JobFailed("The plan's hubs have no coordinates.")
    costs = {hub_id: costs_for_hub(merchant, hub_id) for hub_id in hubs}
    depart = local_dt(merchant, plan.date, plan.wave or dt.time(0, 0))
    orders = wave_orders(
        merchant, date=plan.date, wave=plan.wave, hub_ids=list(hubs), exclude_plan_id=plan.pk
    )
    unassigned: list[dict] = []
    located: list[WaveOrder] = []
    for item in orders:
        if item.order.latitude is None or item.order.longitude is None:
            unassigned.append(_unassigned(item.order, "no coordinates: correct its address first"))
        else:
            located.append(item)
    vehicles: list[PlanVehicle] = []
    by_key: dict[str, Shift] = {}
    for shift in _shifts(plan, hubs):
        hub = _hub_for_shift(shift, hubs)
        vehicle = vehicle_for_shift(
            shift, hub=hub, key=str(shift.pk), not_before=depart, costs=costs[hub.pk]
        )
        if vehicle.shift_end <= vehicle.shift_start:
            continue
        vehicles.append(vehicle)
        by_key[vehicle.key] = shift
    jobs = [
        job_for_order(
            item.order,
            hub_id=item.hub_id,
            shipment=item.shipment,
            service_seconds=item.service.service_seconds,
            window=item.window,
        )
        for item in located
    ]
    problem = PlanningProblem(vehicles=vehicles, jobs=jobs, depart_at=depart)
    return problem, located, unassigned, by_key, costs


def _unassigned(order: Order, reason: str) -> dict:
    return {"order_id": order.pk, "reference": order.reference or str(order.pk), "reason": reason}


def run_plan(
    *, plan_id: int, progress: Progress | None = None, time_limit_s: float | None = None
) -> RoutePlan:
    """The job's body: idempotent (a plan already stored is returned as it is). The planner
    gets NEARBOX_FLEET_PLAN_SECONDS unless `time_limit_s` says otherwise."""
    plan = RoutePlan.objects.select_related("merchant").get(pk=plan_id)
    if plan.state != RoutePlan.State.PLANNING:
        return plan
    if progress:
        progress.set_total(100, "Gathering the wave's orders and shifts")
    problem, located, unassigned, shifts, costs = build_wave_problem(plan)
    if not problem.jobs and not unassigned:
        raise JobFailed("No orders are booked on own delivery for this wave.")
    if not problem.vehicles and problem.jobs:
        raise JobFailed("No driver has a shift that day: add shifts, then plan again.")
    if progress:
        progress.update(
            10, f"Planning {len(problem.jobs)} stops on up to {len(problem.vehicles)} routes"
        )
    began = time.monotonic()
    seconds = time_limit_s or float(getattr(settings, "NEARBOX_FLEET_PLAN_SECONDS", 10.0))
    solution = (
        solve(problem, time_limit_s=seconds)
        if problem.jobs
        else PlanningSolution(routes=[], unassigned={})
    )
    if progress:
        progress.update(90, "Storing the routes")
    return store_solution(
        plan=plan,
        problem=problem,
        solution=solution,
        located=located,
        unassigned=unassigned,
        shifts=shifts,
        costs=costs,
        seconds=time.monotonic() - began,
    )


def store_solution(
    *,
    plan: RoutePlan,
    problem: PlanningProblem,
    solution: PlanningSolution,
    located: list[WaveOrder],
    unassigned: list[dict],
    shifts: dict[str, Shift],
    costs: dict[int, Costs],
    seconds: float,
) -> RoutePlan:
    items = {str(item.order.pk): item for item in located}
    shared = multi_unit_streets([item.order for item in located])
    with transaction.atomic():
        plan = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.state != RoutePlan.State.PLANNING:
            return plan
        plan.routes.all().delete()
        totals = {"distance_m": 0, "duration_s": 0, "cost_minor": 0, "routes": 0, "stops": 0}
        flagged = 0
        stops: list[RouteStop] = []
        for index, planned in enumerate(solution.routes):
            if not planned.stops:
                continue
            shift = shifts[planned.vehicle_key]
            hub_id = items[planned.stops[0].job_key].hub_id  # a route serves one hub
            cost = planned.cost_minor + costs[hub_id].per_stop_minor * len(planned.stops)
            route = Route.objects.create(
                merchant=plan.merchant,
                plan=plan,
                driver=shift.driver,
                vehicle=shift.vehicle,
                shift=shift,
                hub_id=hub_id,
                colour=ROUTE_COLOURS[index % len(ROUTE_COLOURS)],
                departs_at=planned.depart,
                returns_at=planned.back,
                distance_m=planned.distance_m,
                duration_s=planned.duration_s,
                cost_minor=cost,
            )
            for totals_key, value in (
                ("distance_m", planned.distance_m),
                ("duration_s", planned.duration_s),
                ("cost_minor", cost),
                ("routes", 1),
                ("stops", len(planned.stops)),
            ):
                totals[totals_key] += value
            for sequence, stop in enumerate(planned.stops, start=1):
                item = items[stop.job_key]
                order = item.order
                flags = address_flags(order, shared_address=street_key(order) in shared)
                flagged += bool(flags)
                stops.append(
                    RouteStop(
                        merchant=plan.merchant,
                        plan=plan,
                        route=route,
                        sequence=sequence,
                        order=order,
                        shipment=item.shipment,
                        latitude=order.latitude,
                        longitude=order.longitude,
                        window_from=item.window[0] if item.window else None,
                        window_until=item.window[1] if item.window else None,
                        service_seconds=item.service.service_seconds,
                        planned_arrival=stop.start,
                        eta=stop.start,
                        address_flags=flags,
                    )
                )
        RouteStop.objects.bulk_create(stops, batch_size=500)
        for key, reason in solution.unassigned.items():
            unassigned.append(_unassigned(items[key].order, reason))
        plan.unassigned = unassigned
        plan.summary = {
            **totals,
            "flagged": flagged,
            "unassigned": len(unassigned),
            "seconds": round(seconds, 2),
            "notes": solution.notes,
        }
        plan.matrix_source = (solution.matrix_source or "")[:20]
        plan.state = RoutePlan.State.READY
        plan.save(update_fields=["unassigned", "summary", "matrix_source", "state"])
    return plan


def fail_plan(*, plan_id: int, message: str) -> None:
    RoutePlan.objects.filter(pk=plan_id, state=RoutePlan.State.PLANNING).update(
        state=RoutePlan.State.FAILED, summary={"error": message[:500]}
    )


def today_for(merchant: Merchant) -> dt.date:
    return timezone.now().astimezone(tz_of(merchant)).date()
