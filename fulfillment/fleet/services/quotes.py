"""The own-fleet quote, pure: distance from the hub × circuity at the vehicle's speed gives the
hours; price = hours × per hour + km × per km + per stop. Available before the cut-off when a
coming wave has room (its shifts' parcel capacity minus the stops already booked on it)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from fulfillment.couriers.adapters import DeliveryWindow


@dataclass(frozen=True)
class FleetEntry:
    service_id: int  # the CourierService rate shopping knows it by
    hub_id: int
    hub_name: str
    hub_latitude: float
    hub_longitude: float
    per_hour_minor: int
    per_km_minor: int
    per_stop_minor: int
    circuity: float
    speed_kmh: float
    cutoff: dt.time
    waves: tuple[dt.time, ...]
    window_minutes: int
    day: dt.date  # the local day `room` was counted for
    capacity: int = 0  # parcels per wave: the day's shifts' vehicles
    room: dict[dt.time, int] = field(default_factory=dict)  # wave → parcels it can still take


@dataclass(frozen=True)
class FleetQuote:
    price_minor: int
    road_km: float
    hours: float


def fleet_quote(entry: FleetEntry, straight_m: float) -> FleetQuote:
    road_km = straight_m / 1000 * entry.circuity
    hours = road_km / max(entry.speed_kmh, 1.0)
    price = entry.per_stop_minor + hours * entry.per_hour_minor + road_km * entry.per_km_minor
    return FleetQuote(price_minor=math.floor(price + 0.5), road_km=road_km, hours=hours)


def next_wave(
    entry: FleetEntry, now_local: dt.datetime
) -> tuple[DeliveryWindow | None, dt.time | None, str]:
    """The window of the first coming wave with room, its departure time, or why none."""
    if now_local.date() != entry.day:
        return None, None, "its waves are counted for another day"
    if now_local.time() >= entry.cutoff:
        return None, None, f"the own-fleet cut-off ({entry.cutoff:%H:%M}) has passed"
    coming = [w for w in entry.waves if w > now_local.time()]
    if not coming:
        return None, None, "no wave leaves later today"
    if entry.capacity <= 0:
        return None, None, f"no driver has a shift at {entry.hub_name} today"
    if not any(entry.room.get(w, 0) > 0 for w in coming):
        return None, None, f"today's waves ({', '.join(f'{w:%H:%M}' for w in coming)}) are full"
    wave = next(w for w in coming if entry.room.get(w, 0) > 0)
    start = dt.datetime.combine(entry.day, wave, tzinfo=now_local.tzinfo)
    return DeliveryWindow(start, start + dt.timedelta(minutes=entry.window_minutes)), wave, ""
