"""Reading own-fleet services, and the entries rate shopping prices them with (with today's
room per wave: 3 queries for all of a merchant's services)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, QuerySet

from fulfillment.fleet.services.quotes import FleetEntry
from fulfillment.models import FleetService, Shift, Shipment
from merchant.models import Merchant, get_for_merchant_or_404

DEFAULT_KIND = "car"


def fleet_services_for_list(merchant: Merchant) -> QuerySet[FleetService]:
    return FleetService.objects.for_merchant(merchant).select_related("hub", "courier_service")


def get_fleet_service_for_merchant(merchant: Merchant, service_id: object) -> FleetService:
    """The merchant's own-fleet service; Http404 for another merchant's id or garbage."""
    return get_for_merchant_or_404(FleetService, merchant, service_id)


def speed_kmh(kind: str) -> float:
    speeds = getattr(settings, "NEARBOX_FLEET_SPEEDS", {}) or {}
    spec = speeds.get(kind) or speeds.get(DEFAULT_KIND) or {}
    return float(spec.get("kmh", 25.0))


def parse_wave(text: str) -> dt.time:
    return dt.datetime.strptime(text, "%H:%M").time()


def fleet_entries(merchant: Merchant, now: dt.datetime) -> dict[int, FleetEntry]:
    """CourierService id → FleetEntry for each active own-fleet service, with today's room."""
    services = list(
        FleetService.objects.for_merchant(merchant)
        .filter(is_active=True, courier_service__isnull=False, hub__latitude__isnull=False)
        .select_related("hub")
    )
    if not services:
        return {}
    tz = zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
    today = now.astimezone(tz).date()
    shifts = list(
        Shift.objects.for_merchant(merchant)
        .filter(date=today, driver__is_active=True, vehicle__is_active=True)
        .values("start_point_id", "vehicle__kind", "vehicle__capacity_parcels")
    )
    start = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    booked: dict[tuple[int, dt.datetime], int] = {
        (row["service_id"], row["promised_from"]): row["n"]
        for row in Shipment.objects.for_merchant(merchant)
        .filter(
            service_id__in=[s.courier_service_id for s in services],
            promised_from__gte=start,
            promised_from__lt=start + dt.timedelta(days=1),
            cancelled_at__isnull=True,
            voided_at__isnull=True,
        )
        .values("service_id", "promised_from")
        .annotate(n=Count("pk"))
    }
    by_hub: dict[int | None, list[dict]] = defaultdict(list)
    for shift in shifts:
        by_hub[shift["start_point_id"]].append(shift)
    entries = {}
    for service in services:
        # Shifts starting at this hub, and those starting at home (they pick up at a hub).
        mine = by_hub.get(service.hub_id, []) + by_hub.get(None, [])
        capacity = sum(s["vehicle__capacity_parcels"] for s in mine)
        speed = min((speed_kmh(s["vehicle__kind"]) for s in mine), default=speed_kmh("car"))
        waves = tuple(sorted(parse_wave(w) for w in service.waves))
        room = {}
        for wave in waves:
            at = dt.datetime.combine(today, wave, tzinfo=tz)
            room[wave] = capacity - booked.get((service.courier_service_id, at), 0)
        entries[service.courier_service_id] = FleetEntry(
            service_id=service.courier_service_id,
            hub_id=service.hub_id,
            hub_name=service.hub.name,
            hub_latitude=service.hub.latitude,
            hub_longitude=service.hub.longitude,
            per_hour_minor=service.per_hour_minor,
            per_km_minor=service.per_km_minor,
            per_stop_minor=service.per_stop_minor,
            circuity=float(getattr(settings, "NEARBOX_FLEET_CIRCUITY", 1.3)),
            speed_kmh=speed,
            cutoff=service.cutoff,
            waves=waves,
            window_minutes=service.window_minutes,
            day=today,
            capacity=capacity,
            room=room,
        )
    return entries
