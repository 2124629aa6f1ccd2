"""The arithmetic of capacity advice, on plain values (no models, no clock): what one shift can
deliver, a day's parcels against its drivers and pick-ups, and the sentence that says what to do.

selectors.py gathers the values from the database; tests call these functions on fixed data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

DEFAULT_SHIFT_HOURS = 8.0  # the shift a driver to add would work, when the point has none


@dataclass(frozen=True)
class ShiftSlot:
    """One driver's shift at a point on a day, and the parcels it can take."""

    driver: str
    parcels: int


@dataclass(frozen=True)
class PickupSlot:
    """A courier pick-up booked at a point on a day."""

    courier: str
    parcels: int


@dataclass(frozen=True)
class CourierOption:
    """The courier service that could take what the drivers cannot (cheapest same-day first)."""

    service_id: int
    name: str
    level: str
    price_minor: int
    currency: str


@dataclass
class DayCapacity:
    day: dt.date
    expected: int
    upper: int
    drivers: list[ShiftSlot] = field(default_factory=list)
    pickups: list[PickupSlot] = field(default_factory=list)
    drivers_to_add: int = 0
    drivers_to_release: int = 0
    move_parcels: int = 0
    courier: CourierOption | None = None
    status: str = "ok"  # short | tight | ok | idle
    text: str = ""

    @property
    def driver_parcels(self) -> int:
        return sum(s.parcels for s in self.drivers)

    @property
    def pickup_parcels(self) -> int:
        return sum(p.parcels for p in self.pickups)

    @property
    def capacity(self) -> int:
        return self.driver_parcels + self.pickup_parcels

    @property
    def shortfall(self) -> int:
        return max(0, self.expected - self.capacity)

    @property
    def spare(self) -> int:
        return max(0, self.capacity - self.expected)


def working_hours(starts_at: dt.time, ends_at: dt.time, breaks: Sequence[dict] = ()) -> float:
    """A shift's hours less its breaks (never below zero)."""
    minutes = (ends_at.hour * 60 + ends_at.minute) - (starts_at.hour * 60 + starts_at.minute)
    minutes -= sum(int(b.get("minutes") or 0) for b in breaks if isinstance(b, dict))
    return max(0.0, minutes / 60)


def shift_parcels(
    *, hours: float, stops_per_hour: float, vehicle_parcels: int, loads: int = 1
) -> int:
    """What one shift can deliver: the stops its hours allow at the fleet's pace, but no more
    than its vehicle carries in the loads it makes (one per wave leaving during the shift)."""
    by_time = math.floor(max(0.0, hours) * max(0.0, stops_per_hour) + 1e-9)
    return max(0, min(by_time, vehicle_parcels * max(1, loads)))


def drivers_needed(shortfall: int, average_shift: float) -> int:
    """Drivers of an average shift that cover ``shortfall`` parcels (0 when nothing is short)."""
    if shortfall <= 0:
        return 0
    return math.ceil(shortfall / max(average_shift, 1.0))


def drivers_to_release(drivers: Sequence[ShiftSlot], capacity: int, upper: int) -> int:
    """Drivers (the smallest shifts first) a day could do without and still cover the top of
    the forecast band with what is left (0 when none can go)."""
    left, count = capacity, 0
    for slot in sorted(drivers, key=lambda s: s.parcels):
        if left - slot.parcels < upper:
            break
        left -= slot.parcels
        count += 1
    return count


def cheapest_courier(options: Sequence[CourierOption]) -> CourierOption | None:
    """The cheapest same-day service, else the cheapest next-day, else economy."""
    rank = {"same_day": 0, "next_day": 1, "economy": 2}
    ranked = sorted(options, key=lambda o: (rank.get(o.level, 3), o.price_minor, o.service_id))
    return ranked[0] if ranked else None


def day_label(day: dt.date, today: dt.date) -> str:
    if day == today:
        return f"Today ({day:%a} {day:%b} {day.day})"
    if day == today + dt.timedelta(days=1):
        return f"Tomorrow ({day:%a} {day:%b} {day.day})"
    return f"{day:%A} {day:%b} {day.day}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _who(day: DayCapacity) -> str:
    parts = []
    if day.drivers:
        parts.append(f"your {plural(len(day.drivers), 'driver')}")
    if len(day.pickups) == 1:
        parts.append(f"the {day.pickups[0].courier} pick-up")
    elif day.pickups:
        parts.append(f"{len(day.pickups)} courier pick-ups")
    return " and ".join(parts)


def advise_day(
    *,
    day: dt.date,
    today: dt.date,
    expected: float,
    upper: float,
    drivers: Sequence[ShiftSlot],
    pickups: Sequence[PickupSlot],
    average_shift: float,
    courier: CourierOption | None,
) -> DayCapacity:
    """One day at one point: expected parcels (and the band's top) against its capacity, with
    the advice in a sentence, e.g. "Saturday Dec 12: 140 parcels expected, your 3 drivers
    cover 95: add 2 drivers or move 45 to Bike courier · Bike, same day"."""
    result = DayCapacity(
        day=day,
        expected=max(0, round(expected)),
        upper=max(0, round(upper)),
        drivers=list(drivers),
        pickups=list(pickups),
    )
    result.upper = max(result.upper, result.expected)
    head = f"{day_label(day, today)}: {plural(result.expected, 'parcel')} expected"
    who, capacity = _who(result), result.capacity
    cover = f"{who} {'covers' if len(result.drivers) + len(result.pickups) == 1 else 'cover'}"
    if result.expected == 0:
        result.status = "idle"
        spare = f"; {who} could take {capacity}" if capacity else ""
        result.text = f"{day_label(day, today)}: no parcels expected{spare}."
        return result
    if result.shortfall:
        result.status = "short"
        short = result.shortfall
        result.drivers_to_add = drivers_needed(short, average_shift)
        result.move_parcels = short
        result.courier = courier
        add = f"add {plural(result.drivers_to_add, 'driver')}"
        if courier is not None:
            step = f"{add} or move {short} to {courier.name}"
        else:
            step = f"{add} or book a courier pick-up for {short}"
        if capacity:
            result.text = f"{head}, {cover} {capacity}: {step}."
        else:
            result.text = f"{head} and no driver or courier pick-up is booked: {step}."
        return result
    if result.upper > capacity:
        result.status = "tight"
        gap = result.upper - capacity
        result.text = (
            f"{head}, {cover} {capacity}: enough, but a busy day (up to {result.upper}) would "
            f"leave {gap}: keep {plural(drivers_needed(gap, average_shift), 'driver')} on call"
            f"{f' or {courier.name} ready' if courier else ''}."
        )
        return result
    result.status = "ok"
    result.text = f"{head}, {cover} {capacity}: {result.spare} to spare."
    result.drivers_to_release = drivers_to_release(result.drivers, capacity, result.upper)
    if result.drivers_to_release:
        fewer = plural(result.drivers_to_release, "driver")
        result.text = (
            f"{result.text[:-1]}; {fewer} fewer would still cover a busy day "
            f"(up to {result.upper})."
        )
    return result
