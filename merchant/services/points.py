"""Storage points of a merchant: create, edit, activate, deactivate, delete.

The address is geocoded here and nowhere else. An address that does not geocode is never
guessed: the point is saved inactive with `inactive_reason` naming the field to correct (the
schema refuses an active point without coordinates). Money is integer minor units.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from merchant.hours import DAY_NAMES
from merchant.models import Merchant, StockLevel, StockMovement, StoragePoint, Transfer
from merchant.models.points import WEEKDAYS
from merchant.services.geocoding import (
    GeocodingError,
    MalformedPostalCode,
    geocode,
    normalize_postal_code,
)
from merchant.services.postal_areas import us_postal_area_mismatches

# field -> (label used in errors, max length); required ones must not be blank.
TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "name": ("a name", 120),
    "address_line": ("the street address", 200),
    "city": ("the city", 100),
    "state": ("the state", 40),
    "postal_code": ("the postal code", 12),
}
REQUIRED_FIELDS = ("name", "address_line", "city", "postal_code")
# field -> (label used in errors, smallest allowed value)
NUMBER_FIELDS: dict[str, tuple[str, int]] = {
    "capacity_units": ("capacity in units", 1),
    "monthly_cost": ("monthly cost in minor units (cents)", 0),
    "cost_per_order": ("cost per order in minor units (cents)", 0),
}
NUMBER_MAX = 2_147_483_647  # int4 ceiling of PositiveIntegerField
ADDRESS_FIELDS = ("address_line", "city", "postal_code", "country")
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    *NUMBER_FIELDS,
    "kind",
    "role",
    "country",
    "capacity_m3",
    "same_day_cutoff",
    "opening_hours",
    "is_active",
)
FIELD_LABELS = {"postal_code": "postal code", "address": "address"}
# Points made inactive because their address did not geocode start their reason with this,
# so that fixing the address makes them active again (a point deactivated by hand stays so).
ADDRESS_REASON_PREFIX = "Address not located"
MANUAL_REASON = "Deactivated by hand."

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")


class PointInUse(Exception):
    """The point holds stock or has stock history, so it can only be deactivated."""

    code = "point_in_use"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- validation ------------------------------------------------------------------------------


def opening_hours_problems(value: object) -> list[tuple[str | None, str]]:
    """Every problem in an opening-hours object as (weekday key or None, message)."""
    if value in (None, ""):
        return []
    if not isinstance(value, dict):
        return [
            (
                None,
                'Give opening hours as an object with weekday keys mon … sun, e.g. {"mon": '
                '[["09:00", "18:00"]]}.',
            )
        ]
    problems: list[tuple[str | None, str]] = []
    for key, periods in value.items():
        if key not in DAY_NAMES:
            problems.append(
                (None, f"“{key}” is not a weekday: use mon, tue, wed, thu, fri, sat or sun.")
            )
            continue
        day = DAY_NAMES[key]
        if not isinstance(periods, list):
            problems.append((key, f"{day}: give a list of [open, close] pairs, or [] if closed."))
            continue
        parsed: list[tuple[str, str]] = []
        for pair in periods:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                problems.append((key, f'{day}: each period is a pair like ["09:00", "18:00"].'))
                continue
            bad = [str(t) for t in pair if not (isinstance(t, str) and _HHMM.fullmatch(t))]
            if bad:
                problems.append((key, f"{day}: “{bad[0]}” is not a time; write it as HH:MM."))
                continue
            opens, closes = pair
            if opens == "24:00" or opens >= closes:
                problems.append(
                    (key, f"{day}: opening time {opens} must be before closing time {closes}.")
                )
                continue
            parsed.append((opens, closes))
        parsed.sort()
        for (a_open, a_close), (b_open, b_close) in pairwise(parsed):
            if b_open < a_close:
                problems.append((key, f"{day}: {a_open}–{a_close} and {b_open}–{b_close} overlap."))
    return problems


def clean_opening_hours(value: object) -> dict[str, list[list[str]]]:
    """Opening hours in weekday order with sorted periods; ValidationError names each day."""
    problems = opening_hours_problems(value)
    if problems:
        raise ValidationError({"opening_hours": [message for _, message in problems]})
    value = value or {}
    return {day: sorted([list(p) for p in value[day]]) for day in WEEKDAYS if day in value}


def clean_point_fields(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check and normalise storage-point fields; raise one ValidationError naming each field."""
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError({name: f"{name} is not a storage-point field that can be set."})
        try:
            cleaned[name] = _clean_field(name, value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if creating:
        for name in REQUIRED_FIELDS:
            if name not in fields and name not in errors:
                errors[name] = [f"Enter {TEXT_FIELDS[name][0]}."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_field(name: str, value: Any) -> Any:
    if name in TEXT_FIELDS:
        label, max_length = TEXT_FIELDS[name]
        value = " ".join(str(value or "").split())
        if not value and name in REQUIRED_FIELDS:
            raise ValidationError(f"Enter {label}.")
        if len(value) > max_length:
            raise ValidationError(f"Keep {label} to {max_length} characters.")
        return value
    if name in NUMBER_FIELDS:
        label, minimum = NUMBER_FIELDS[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Enter the {label} as a whole number.")
        if value < minimum:
            raise ValidationError(f"Enter the {label} as a whole number of at least {minimum}.")
        if value > NUMBER_MAX:
            raise ValidationError(f"The {label} is too large.")
        return value
    if name == "kind":
        return _choice(value, StoragePoint.Kind, "kind")
    if name == "role":
        return _choice(value, StoragePoint.Role, "role")
    if name == "country":
        code = str(value or "").strip().upper()
        code = "US" if code in ("", "USA") else code
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValidationError("Enter a two-letter country code, like US.")
        return code
    if name == "capacity_m3":
        return _clean_volume(value)
    if name == "same_day_cutoff":
        return _clean_cutoff(value)
    if name == "opening_hours":
        try:
            return clean_opening_hours(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
    if name == "is_active":
        if not isinstance(value, bool):
            raise ValidationError("Say true or false.")
        return value
    raise AssertionError(name)  # every editable field is handled above


def _choice(value: Any, choices: type, label: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError(f"“{value}” is not a {label}; choose one of {allowed}.")
    return value


def _clean_volume(value: Any) -> Decimal:
    try:
        volume = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError("Enter the capacity in m³ as a number, like 12.5.") from None
    if not volume.is_finite() or volume < 0:
        raise ValidationError("Enter the capacity in m³ as a number of at least 0.")
    if volume != volume.quantize(Decimal("0.01")):
        raise ValidationError("Give the capacity in m³ with at most 2 decimals.")
    if volume >= Decimal("1000000"):
        raise ValidationError("The capacity in m³ must be less than 1,000,000.")
    return volume.quantize(Decimal("0.01"))


def _clean_cutoff(value: Any) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        return datetime.strptime(value.strip(), "%H:%M").time()
    raise ValidationError("Enter the same-day cut-off as a local time HH:MM, like 14:00.")


def _check_name_free(merchant: Merchant, name: str, *, exclude_pk: int | None = None) -> None:
    taken = StoragePoint.objects.for_merchant(merchant).filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            {"name": f"You already have a storage point named “{name}”; choose another name."},
            code="unique",
        )


# --- geocoding -------------------------------------------------------------------------------


def _check_postal_area(point: StoragePoint) -> None:
    """Refuse a US ZIP that contradicts the city or state typed with it, as order addresses
    are flagged: the point would be pinned at the ZIP, possibly in another state."""
    if (point.country or "US").upper() != "US":
        return
    try:
        zip5 = normalize_postal_code(point.postal_code, "US")
    except MalformedPostalCode:
        return  # _locate refuses it with its own message
    found = us_postal_area_mismatches(postal_code=zip5, city=point.city, state=point.state)
    if found:
        raise ValidationError({m.field: m.message for m in found}, code="postal_area_mismatch")


def _locate(point: StoragePoint) -> bool:
    """Set the point's coordinates from its address; if it cannot be located, clear them and
    make the point inactive with the reason. Malformed postal codes are refused outright."""
    try:
        result = geocode(
            postal_code=point.postal_code,
            address=point.address_line,
            city=point.city,
            country=point.country,
        )
    except MalformedPostalCode as exc:
        raise ValidationError({exc.field: exc.message}, code="invalid") from None
    except GeocodingError as exc:
        point.latitude = point.longitude = None
        point.is_active = False
        label = FIELD_LABELS.get(exc.field, exc.field)
        reason = f"{ADDRESS_REASON_PREFIX} ({label}): {exc.message}"
        point.inactive_reason = reason[:255]
        return False
    point.latitude, point.longitude = result.latitude, result.longitude
    if not point.state and result.state:
        point.state = result.state[:40]
    return True


def _save(point: StoragePoint) -> None:
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError as exc:
        # A concurrent request took the name between our check and the insert.
        if "point_name_unique" in str(exc):
            raise ValidationError(
                {"name": f"You already have a storage point named “{point.name}”."}, code="unique"
            ) from None
        raise


# --- writes ----------------------------------------------------------------------------------


def create_point(*, merchant: Merchant, **fields: Any) -> StoragePoint:
    """Create a storage point; it is active unless asked otherwise or its address fails."""
    cleaned = clean_point_fields(fields, creating=True)
    is_active = cleaned.pop("is_active", True)
    with transaction.atomic():
        _check_name_free(merchant, cleaned["name"])
        point = StoragePoint(merchant=merchant, **cleaned)
        point.is_active = is_active
        point.inactive_reason = "" if is_active else MANUAL_REASON
        _check_postal_area(point)
        _locate(point)
        _save(point)
    return point


def update_point(*, point: StoragePoint, **fields: Any) -> StoragePoint:
    """Change the given fields. A changed (or never located) address is geocoded again; a
    point that was inactive only because its address failed becomes active once it works.
    Asking for `is_active=True` on a point that still has no coordinates is refused."""
    cleaned = clean_point_fields(fields, creating=False)
    wants_active = cleaned.pop("is_active", None)
    with transaction.atomic():
        point = StoragePoint.objects.select_for_update().get(pk=point.pk)
        if "name" in cleaned:
            _check_name_free(point.merchant, cleaned["name"], exclude_pk=point.pk)
        address_changed = any(
            name in cleaned and cleaned[name] != getattr(point, name) for name in ADDRESS_FIELDS
        )
        area_changed = address_changed or cleaned.get("state", point.state) != point.state
        for name, value in cleaned.items():
            setattr(point, name, value)
        if area_changed:
            _check_postal_area(point)
        if address_changed or point.location is None:
            was_address_problem = point.inactive_reason.startswith(ADDRESS_REASON_PREFIX)
            if _locate(point) and was_address_problem and wants_active is not False:
                point.is_active, point.inactive_reason = True, ""
        if wants_active is True and not point.is_active:
            _check_can_activate(point)
            point.is_active, point.inactive_reason = True, ""
        elif wants_active is False and point.is_active:
            point.is_active, point.inactive_reason = False, MANUAL_REASON
        _save(point)
    return point


def _check_can_activate(point: StoragePoint) -> None:
    if point.location is None:
        why = f" ({point.inactive_reason})" if point.inactive_reason else ""
        raise ValidationError(
            {
                "is_active": f"“{point.name}” has no coordinates{why}, so it cannot be active: "
                "correct its postal code or address first."
            },
            code="no_coordinates",
        )


def activate_point(*, point: StoragePoint) -> StoragePoint:
    with transaction.atomic():
        point = StoragePoint.objects.select_for_update().get(pk=point.pk)
        _check_can_activate(point)
        point.is_active, point.inactive_reason = True, ""
        point.save(update_fields=["is_active", "inactive_reason", "updated_at"])
    return point


def deactivate_point(*, point: StoragePoint, reason: str = "") -> StoragePoint:
    """Stop using a point: routing and placement skip it; its stock and history stay."""
    reason = " ".join((reason or "").split())
    if len(reason) > 255:
        raise ValidationError({"reason": "Keep the reason to 255 characters."})
    with transaction.atomic():
        point = StoragePoint.objects.select_for_update().get(pk=point.pk)
        point.is_active, point.inactive_reason = False, reason or MANUAL_REASON
        point.save(update_fields=["is_active", "inactive_reason", "updated_at"])
    return point


def delete_point(*, point: StoragePoint) -> None:
    """Delete a point that never held stock. One with stock on hand or any stock movement or
    transfer keeps its history: deactivate it instead."""
    with transaction.atomic():
        point = StoragePoint.objects.select_for_update().get(pk=point.pk)
        levels = StockLevel.objects.filter(point=point).select_for_update()
        on_hand = sum(level.on_hand for level in levels)
        if on_hand:
            raise PointInUse(
                f"“{point.name}” holds {on_hand} units, so it cannot be deleted: deactivate it "
                "instead (and transfer its stock elsewhere)."
            )
        has_history = (
            StockMovement.objects.filter(point=point).exists()
            or Transfer.objects.filter(from_point=point).exists()
            or Transfer.objects.filter(to_point=point).exists()
        )
        if has_history:
            raise PointInUse(
                f"“{point.name}” has stock history (movements or transfers), so it cannot be "
                "deleted: deactivate it instead to keep that history."
            )
        point.delete()
