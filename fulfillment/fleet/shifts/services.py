"""Shifts: a driver's working day with a vehicle, a start place (a hub, or an address such as
home, geocoded through the shop's geocoder), an end place (the start's by default) and breaks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fulfillment.models import Driver, Shift, Vehicle
from merchant.models import Merchant, StoragePoint
from merchant.services.geocoding import GeocodingError, geocode

MAX_BREAKS = 4
BREAK_LINE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s+(\d{1,3})\s*(?:min)?\s*$")


@dataclass(frozen=True)
class Place:
    """Where a shift starts or ends: a hub, or typed coordinates/address."""

    point: StoragePoint | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


def _time(text: str, field: str) -> time:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise ValidationError({field: f"“{text[:20]}” is not a time like 12:30."}) from None


def parse_breaks(value: object) -> list[dict]:
    """[{"start": "12:00", "end": "14:00", "minutes": 30}] from that list or from lines like
    "12:00-14:00 30" (a 30-minute break taken between 12:00 and 14:00)."""
    if isinstance(value, str):
        lines = [line for line in value.splitlines() if line.strip()]
        items = []
        for number, line in enumerate(lines, 1):
            match = BREAK_LINE.match(line)
            if not match:
                raise ValidationError(
                    {"breaks": f"Line {number}: write a break as 12:00-14:00 30 (minutes)."}
                )
            items.append({"start": match[1], "end": match[2], "minutes": int(match[3])})
        value = items
    if not isinstance(value, list):
        raise ValidationError({"breaks": "Breaks are a list of {start, end, minutes}."})
    if len(value) > MAX_BREAKS:
        raise ValidationError({"breaks": f"At most {MAX_BREAKS} breaks."})
    breaks = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"start", "end", "minutes"}:
            raise ValidationError({"breaks": "Each break has start, end and minutes."})
        start = _time(str(item.get("start", "")), "breaks")
        end = _time(str(item.get("end", "")), "breaks")
        minutes = item.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 180:
            raise ValidationError({"breaks": "A break lasts 5 to 180 minutes."})
        span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if span < minutes:
            raise ValidationError(
                {
                    "breaks": f"The break {start:%H:%M}-{end:%H:%M} is shorter than "
                    f"{minutes} minutes."
                }
            )
        breaks.append({"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "minutes": minutes})
    return sorted(breaks, key=lambda b: b["start"])


def _resolve(merchant: Merchant, place: Place | None, field: str) -> Place | None:
    if place is None or (place.point is None and not place.address and place.latitude is None):
        return None
    if place.point is not None:
        if place.point.merchant_id != merchant.pk or place.point.latitude is None:
            raise ValidationError({field: "Choose one of your storage points with a location."})
        return place
    if place.latitude is not None or place.longitude is not None:
        lat, lon = place.latitude, place.longitude
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError({field: "Give a latitude (-90..90) and longitude (-180..180)."})
        return place
    address = place.address.strip()
    if "\x00" in address or len(address) > 200:
        raise ValidationError({f"{field}_address": "Enter an address of at most 200 characters."})
    try:
        found = geocode(address=address)
    except GeocodingError as error:
        raise ValidationError({f"{field}_address": error.message}) from None
    return Place(address=address, latitude=found.latitude, longitude=found.longitude)


def save_shift(
    *,
    merchant: Merchant,
    shift: Shift | None = None,
    driver: Driver,
    vehicle: Vehicle,
    day: date,
    starts_at: time,
    ends_at: time,
    start: Place | None,
    end: Place | None = None,
    breaks: object = (),
) -> Shift:
    """Add or change a shift. The start is a hub or an address; the end defaults to the start."""
    if driver.merchant_id != merchant.pk or not driver.is_active:
        raise ValidationError({"driver": "Choose one of your active drivers."})
    if vehicle.merchant_id != merchant.pk or not vehicle.is_active:
        raise ValidationError({"vehicle": "Choose one of your vehicles in use."})
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise ValidationError({"date": "Choose a date between 2000 and 2100."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The shift must end after it starts (same day)."})
    begin = _resolve(merchant, start, "start")
    if begin is None:
        raise ValidationError({"start": "Choose a hub or type the address the shift starts at."})
    finish = _resolve(merchant, end, "end") or begin
    parsed_breaks = parse_breaks(list(breaks) if isinstance(breaks, tuple) else breaks)
    for item in parsed_breaks:
        if item["start"] < f"{starts_at:%H:%M}" or item["end"] > f"{ends_at:%H:%M}":
            raise ValidationError({"breaks": "Each break must lie inside the shift's hours."})
    shift = shift or Shift(merchant=merchant)
    shift.driver, shift.vehicle, shift.date = driver, vehicle, day
    shift.starts_at, shift.ends_at, shift.breaks = starts_at, ends_at, parsed_breaks
    shift.start_point = begin.point
    shift.start_latitude = begin.point.latitude if begin.point else begin.latitude
    shift.start_longitude = begin.point.longitude if begin.point else begin.longitude
    shift.end_point = finish.point
    shift.end_latitude = finish.point.latitude if finish.point else finish.latitude
    shift.end_longitude = finish.point.longitude if finish.point else finish.longitude
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        raise ValidationError({"date": f"{driver.name} already has a shift that day."}) from None
    return shift


def delete_shift(*, shift: Shift) -> None:
    """A shift no route uses yet may be removed."""
    if shift.route_set.exists():
        raise ValidationError("This shift has a planned route: move its stops first.")
    shift.delete()
