"""Capacity advice reads (#20 item 5): the next 14 days per storage point, expected parcels from
the shop's forecast against own drivers' shifts and booked courier pick-ups.

One forecast per call (merchant/selectors/demand.py `forecast_total`), split per point by the
point's share of the shop's recent orders (its Allocations: where orders really shipped from;
DemandRecord knows the ZIP but not the point). About ten queries whatever the number of points
and days: nothing here queries per day or per point.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, QuerySet

from fulfillment.capacity.advice import (
    DEFAULT_SHIFT_HOURS,
    CourierOption,
    DayCapacity,
    PickupSlot,
    ShiftSlot,
    advise_day,
    cheapest_courier,
    shift_parcels,
    working_hours,
)
from fulfillment.couriers.services.rates import area_matcher
from fulfillment.models import (
    Allocation,
    CourierPickup,
    CourierService,
    FleetService,
    RouteStop,
    ServiceArea,
    Shift,
)
from merchant.demand.forecast import split_forecast
from merchant.models import Merchant, StoragePoint, get_for_merchant_or_404
from merchant.selectors.demand import SHARE_DAYS, forecast_total, merchant_today
from merchant.zones import zone_of

HORIZON_DAYS = 14
HISTORY_DAYS = 56  # the fleet's pace and the points' shares: the last eight weeks
DEFAULT_STOPS_PER_HOUR = 6.0  # NEARBOX_CAPACITY_STOPS_PER_HOUR when the fleet has no history
MIN_PACE_SHIFTS = 3  # finished shifts before the fleet's own pace is trusted
MIN_PACE_STOPS = 20
DONE_STATES = (
    RouteStop.State.DELIVERED,
    RouteStop.State.SAFE_PLACE,
    RouteStop.State.FAILED,
)


def get_pickup_for_merchant(merchant: Merchant, pickup_id: object) -> CourierPickup:
    """The merchant's booked pick-up; Http404 for another merchant's id or garbage."""
    return get_for_merchant_or_404(CourierPickup, merchant, pickup_id)


def pickups_for_list(merchant: Merchant, *, point_id: int | None = None) -> QuerySet:
    pickups = CourierPickup.objects.for_merchant(merchant).select_related("point", "account")
    if point_id is not None:
        pickups = pickups.filter(point_id=point_id)
    return pickups.order_by("point__name", "point_id", "pickup_time", "pk")


def pickup_applies(pickup: CourierPickup, day: dt.date) -> bool:
    return day.weekday() in (pickup.weekdays or []) or day.isoformat() in (pickup.dates or [])


@dataclass(frozen=True)
class Pace:
    stops_per_hour: float
    basis: str  # "history" or "setting"
    shifts: int = 0
    stops: int = 0

    @property
    def text(self) -> str:
        if self.basis == "history":
            return (
                f"{self.stops_per_hour:.1f} stops an hour: what your drivers did in "
                f"{self.shifts} shifts ({self.stops} stops) over the last {HISTORY_DAYS // 7} weeks"
            )
        return (
            f"{self.stops_per_hour:g} stops an hour (the default: fewer than {MIN_PACE_SHIFTS} "
            "finished shifts to learn your drivers' own pace from)"
        )


@dataclass
class PointCapacity:
    point: StoragePoint
    share: float
    days: list[DayCapacity] = field(default_factory=list)
    average_shift: float = 0.0
    courier: CourierOption | None = None

    @property
    def short_days(self) -> list[DayCapacity]:
        return [d for d in self.days if d.status == "short"]

    @property
    def advice_days(self) -> list[DayCapacity]:
        """Days that need doing something: short, or short on a busy day."""
        return [d for d in self.days if d.status in ("short", "tight")]

    @property
    def share_percent(self) -> float:
        return self.share * 100

    @property
    def expected_total(self) -> int:
        return sum(d.expected for d in self.days)


@dataclass
class CapacityOutlook:
    today: dt.date
    points: list[PointCapacity]
    pace: Pace
    share_basis: str  # "allocations" | "even" | "none"
    forecast_method: str
    has_history: bool
    has_drivers: bool
    has_pickups: bool


def fleet_pace(merchant: Merchant, *, today: dt.date) -> Pace:
    """Stops done (delivered, safe place or failed: each took a stop's time) per working hour
    of the shifts that did them, over the last eight weeks; the setting with too little."""
    default = float(
        getattr(settings, "NEARBOX_CAPACITY_STOPS_PER_HOUR", None) or DEFAULT_STOPS_PER_HOUR
    )
    since = today - dt.timedelta(days=HISTORY_DAYS)
    done = dict(
        RouteStop.objects.for_merchant(merchant)
        .filter(
            state__in=DONE_STATES,
            route__shift__isnull=False,
            route__shift__date__gte=since,
            route__shift__date__lt=today,
        )
        .values("route__shift_id")
        .annotate(n=Count("pk"))
        .values_list("route__shift_id", "n")
    )
    shifts = Shift.objects.for_merchant(merchant).filter(pk__in=list(done))
    hours = sum(working_hours(s.starts_at, s.ends_at, s.breaks or []) for s in shifts)
    stops = sum(done.values())
    if len(done) < MIN_PACE_SHIFTS or stops < MIN_PACE_STOPS or hours <= 0:
        return Pace(default, "setting")
    return Pace(stops / hours, "history", shifts=len(done), stops=stops)


def point_shares(
    merchant: Merchant, *, today: dt.date, points: list[StoragePoint]
) -> tuple[dict[int, float], str]:
    """Each point's share of the shop's orders in the last eight weeks and today so far: orders
    with units held at the point over all orders held anywhere (an order split over two points
    is a parcel from each). With no such orders the active points share evenly."""
    tz = zone_of(merchant)
    start = dt.datetime.combine(today - dt.timedelta(days=SHARE_DAYS), dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    # Over the active points only: a closed point's orders now ship from the others.
    allocations = (
        Allocation.objects.for_merchant(merchant)
        .exclude(state=Allocation.State.RELEASED)
        .filter(created_at__gte=start, created_at__lt=end, point__in=points)
    )
    total = allocations.aggregate(n=Count("order_id", distinct=True))["n"]
    if total:
        rows = allocations.values("point_id").annotate(n=Count("order_id", distinct=True))
        return {row["point_id"]: row["n"] / total for row in rows}, "allocations"
    if not points:
        return {}, "none"
    return {p.pk: 1 / len(points) for p in points}, "even"


def _hub_of(shift: Shift, hubs: list[StoragePoint]) -> int | None:
    """The point a shift loads at: its start hub, else its end hub, else (a shift from home)
    the nearest hub with own delivery, as the route planner picks it."""
    if shift.start_point_id:
        return shift.start_point_id
    if shift.end_point_id:
        return shift.end_point_id
    if not hubs:
        return None
    if shift.start_latitude is None or shift.start_longitude is None:
        return hubs[0].pk
    lat, lon = shift.start_latitude, shift.start_longitude
    return min(
        hubs,
        key=lambda h: (
            (h.latitude - lat) ** 2
            + ((h.longitude - lon) * math.cos(math.radians(h.latitude))) ** 2
        ),
    ).pk


def _loads(shift: Shift, waves: list[dt.time]) -> int:
    """Vehicle loads in a shift: one per wave of the hub leaving while it runs (at least one)."""
    return max(1, sum(1 for w in waves if shift.starts_at <= w < shift.ends_at))


def _shift_slots(
    merchant: Merchant, *, days: list[dt.date], pace: Pace
) -> dict[tuple[int, dt.date], list[ShiftSlot]]:
    services = list(
        FleetService.objects.for_merchant(merchant)
        .filter(is_active=True, hub__latitude__isnull=False, hub__longitude__isnull=False)
        .select_related("hub")
    )
    waves: dict[int, list[dt.time]] = defaultdict(list)
    for service in services:
        for text in service.waves or []:
            try:
                waves[service.hub_id].append(dt.datetime.strptime(text, "%H:%M").time())
            except (TypeError, ValueError):
                continue
    hubs = list({s.hub_id: s.hub for s in services}.values())
    shifts = (
        Shift.objects.for_merchant(merchant)
        .filter(
            date__gte=days[0], date__lte=days[-1], driver__is_active=True, vehicle__is_active=True
        )
        .select_related("driver", "vehicle")
    )
    slots: dict[tuple[int, dt.date], list[ShiftSlot]] = defaultdict(list)
    for shift in shifts:
        hub_id = _hub_of(shift, hubs)
        if hub_id is None:
            continue
        parcels = shift_parcels(
            hours=working_hours(shift.starts_at, shift.ends_at, shift.breaks or []),
            stops_per_hour=pace.stops_per_hour,
            vehicle_parcels=shift.vehicle.capacity_parcels,
            loads=_loads(shift, waves.get(hub_id, [])),
        )
        slots[(hub_id, shift.date)].append(ShiftSlot(driver=shift.driver.name, parcels=parcels))
    return slots


def _courier_options(merchant: Merchant, points: list[StoragePoint]) -> dict[int, CourierOption]:
    """Per point, the cheapest same-day courier service (else next-day) that serves it: an
    active service of an active account (own drivers excluded) whose area holds the point."""
    services = list(
        CourierService.objects.for_merchant(merchant)
        .filter(is_active=True, account__is_active=True)
        .exclude(account__courier="own_fleet")
        .select_related("account")
    )
    areas: dict[int, list[ServiceArea]] = defaultdict(list)
    for area in ServiceArea.objects.for_merchant(merchant).filter(
        account_id__in={s.account_id for s in services}
    ):
        areas[area.account_id].append(area)
    best = {}
    for point in points:
        options = []
        for service in services:
            mine = [a for a in areas[service.account_id] if a.service_id == service.pk]
            account_wide = [a for a in areas[service.account_id] if a.service_id is None]
            matchers = [area_matcher(a) for a in (mine or account_wide)]
            if any(m.covers(point.latitude, point.longitude, point.postal_code) for m in matchers):
                options.append(
                    CourierOption(
                        service_id=service.pk,
                        name=f"{service.account.name} · {service.name}",
                        level=service.level,
                        price_minor=max(service.base_minor, service.minimum_minor),
                        currency=service.account.currency,
                    )
                )
        choice = cheapest_courier(options)
        if choice is not None:
            best[point.pk] = choice
    return best


def capacity_outlook(
    merchant: Merchant,
    *,
    today: dt.date | None = None,
    point_id: int | None = None,
    days: int = HORIZON_DAYS,
) -> CapacityOutlook:
    """The next ``days`` days (from today) per active storage point, or for one point."""
    today = today or merchant_today(merchant)
    day_list = [today + dt.timedelta(days=i) for i in range(days)]
    all_points = list(
        StoragePoint.objects.for_merchant(merchant).filter(is_active=True).order_by("name", "pk")
    )
    history, _future, total = forecast_total(merchant, horizon=days, today=today)
    shares, basis = point_shares(merchant, today=today, points=all_points)
    points = [p for p in all_points if point_id is None or p.pk == point_id]
    pace = fleet_pace(merchant, today=today)
    slots = _shift_slots(merchant, days=day_list, pace=pace)
    pickups = list(
        CourierPickup.objects.for_merchant(merchant)
        .filter(is_active=True, point__in=points, account__is_active=True)
        .select_related("account")
    )
    couriers = _courier_options(merchant, points)
    merchant_shifts = [s.parcels for v in slots.values() for s in v]
    default_shift = shift_parcels(
        hours=DEFAULT_SHIFT_HOURS, stops_per_hour=pace.stops_per_hour, vehicle_parcels=10_000
    )
    outlook = []
    for point in points:
        share = shares.get(point.pk, 0.0)
        forecast = split_forecast(total, share)
        mine = [s.parcels for d in day_list for s in slots.get((point.pk, d), [])]
        sample = mine or merchant_shifts
        average = sum(sample) / len(sample) if sample else float(default_shift)
        capacity = PointCapacity(
            point=point, share=share, average_shift=average, courier=couriers.get(point.pk)
        )
        for i, day in enumerate(day_list):
            booked = [
                PickupSlot(courier=p.account.name, parcels=p.max_parcels)
                for p in pickups
                if p.point_id == point.pk and pickup_applies(p, day)
            ]
            capacity.days.append(
                advise_day(
                    day=day,
                    today=today,
                    expected=float(forecast.mean[i]),
                    upper=float(forecast.upper[i]),
                    drivers=slots.get((point.pk, day), []),
                    pickups=booked,
                    average_shift=average,
                    courier=capacity.courier,
                )
            )
        outlook.append(capacity)
    return CapacityOutlook(
        today=today,
        points=outlook,
        pace=pace,
        share_basis=basis,
        forecast_method=total.method,
        has_history=bool(history.orders.size and history.orders.sum() > 0),
        has_drivers=bool(slots),
        has_pickups=bool(pickups),
    )
