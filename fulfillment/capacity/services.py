"""Booked courier pick-ups: record one (a courier account collects at most N parcels at a
storage point on some weekdays and/or dates), change it, remove it. Every entry point (the
Capacity page, /api/v1/capacity/pickups) calls these; a bad value is a ValidationError naming
its field."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from fulfillment.models import CourierAccount, CourierPickup
from fulfillment.models.capacity import MAX_PICKUP_PARCELS
from merchant.models import Merchant, StoragePoint

MAX_DATES = 60
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Dates a booking can name: a year back (kept for the record) to two years ahead.
DATE_RANGE_DAYS = (366, 731)


def _weekday(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit() and len(text) == 1:
            value = int(text)
        else:
            names = [
                i
                for i, name in enumerate(WEEKDAY_NAMES)
                if len(text) >= 3 and name.startswith(text)
            ]
            return names[0] if names else None
    return value if isinstance(value, int) and 0 <= value <= 6 else None


def normalised_weekdays(values: object) -> list[int]:
    """[0, 5] from [0, 5], ["mon", "Saturday"] or "mon,sat"; ValidationError otherwise."""
    if isinstance(values, str):
        values = [v for v in values.replace(" ", ",").split(",") if v]
    if not isinstance(values, list | tuple | set | frozenset):
        raise ValidationError({"weekdays": "Give weekdays as a list, e.g. [0, 5] or mon, sat."})
    if len(values) > 7 * 3:
        raise ValidationError({"weekdays": "At most the seven weekdays."})
    days = set()
    for value in values:
        day = _weekday(value)
        if day is None:
            raise ValidationError(
                {"weekdays": f"“{str(value)[:20]}” is not a weekday: use 0 (Monday) to 6 (Sunday)."}
            )
        days.add(day)
    return sorted(days)


def normalised_dates(values: object, *, today: dt.date) -> list[str]:
    """["2026-12-24"] from dates or ISO strings, sorted and once each."""
    if isinstance(values, str):
        values = [v for v in values.replace(" ", ",").replace("\n", ",").split(",") if v]
    if not isinstance(values, list | tuple | set | frozenset):
        raise ValidationError({"dates": "Give dates as a list of YYYY-MM-DD."})
    if len(values) > MAX_DATES:
        raise ValidationError({"dates": f"At most {MAX_DATES} dates; use weekdays for a habit."})
    earliest = today - dt.timedelta(days=DATE_RANGE_DAYS[0])
    latest = today + dt.timedelta(days=DATE_RANGE_DAYS[1])
    days = set()
    for value in values:
        day = value if isinstance(value, dt.date) else None
        if isinstance(value, str):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if day is None or isinstance(day, dt.datetime):
            shown = str(value)[:20]
            raise ValidationError({"dates": f"“{shown}” is not a date: use YYYY-MM-DD."})
        if not earliest <= day <= latest:
            raise ValidationError(
                {"dates": f"{day.isoformat()} is too far off: book dates up to two years ahead."}
            )
        days.add(day)
    return [d.isoformat() for d in sorted(days)]


def save_pickup(
    *,
    merchant: Merchant,
    pickup: CourierPickup | None = None,
    point: StoragePoint,
    account: CourierAccount,
    weekdays: object = (),
    dates: object = (),
    max_parcels: object,
    pickup_time: dt.time | None = None,
    note: str = "",
    is_active: bool = True,
    today: dt.date,
) -> CourierPickup:
    """Record or change a booked pick-up. The caller found ``point`` and ``account`` through the
    merchant; they are checked again here, so no entry point can book another shop's."""
    if point.merchant_id != merchant.pk:
        raise ValidationError({"point": "Choose one of your storage points."})
    if account.merchant_id != merchant.pk:
        raise ValidationError({"account": "Choose one of your courier accounts."})
    if account.courier == "own_fleet":
        raise ValidationError(
            {"account": "Own drivers are counted from their shifts; choose a courier account."}
        )
    if isinstance(max_parcels, bool) or not isinstance(max_parcels, int):
        raise ValidationError({"max_parcels": "Parcels must be a whole number."})
    if max_parcels < 1:
        raise ValidationError({"max_parcels": "A pick-up takes at least 1 parcel."})
    if max_parcels > MAX_PICKUP_PARCELS:
        raise ValidationError(
            {"max_parcels": f"Parcels is too large (at most {MAX_PICKUP_PARCELS:,})."}
        )
    days = normalised_weekdays(list(weekdays) if isinstance(weekdays, tuple) else weekdays)
    on = normalised_dates(list(dates) if isinstance(dates, tuple) else dates, today=today)
    if not days and not on:
        raise ValidationError({"weekdays": "Choose the weekdays of the pick-up, or its dates."})
    note = (note or "").strip()
    if "\x00" in note or len(note) > 200:
        raise ValidationError({"note": "A note of at most 200 characters."})
    pickup = pickup or CourierPickup(merchant=merchant)
    pickup.point, pickup.account = point, account
    pickup.weekdays, pickup.dates = days, on
    pickup.max_parcels, pickup.pickup_time = max_parcels, pickup_time
    pickup.note, pickup.is_active = note, bool(is_active)
    with transaction.atomic():
        pickup.save()
    return pickup


def delete_pickup(*, pickup: CourierPickup) -> None:
    with transaction.atomic():
        pickup.delete()
