"""Vehicles: add or edit one (capacity in parcels, grams, millilitres; skill codes), retire."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fulfillment.models import Vehicle
from merchant.models import Merchant

SKILL = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
MAX_SKILLS = 20
MAX_PARCELS = 10_000
MAX_GRAMS = 50_000_000  # 50 t: beyond any van
MAX_ML = 100_000_000  # 100 m³
KNOWN_SKILLS = ("age_check", "fragile", "cold", "heavy")


def normalised_skills(skills: object) -> list[str]:
    """["age_check", "fragile"] from "Age check, fragile" or a list; ValidationError otherwise."""
    if isinstance(skills, str):
        skills = [part for part in re.split(r"[,\n]", skills)]
    if not isinstance(skills, list | tuple):
        raise ValidationError({"skills": "Give skills as a list of short codes."})
    codes = []
    for raw in skills:
        if not isinstance(raw, str):
            raise ValidationError({"skills": "Each skill is a short text code, e.g. age_check."})
        code = re.sub(r"[\s-]+", "_", raw.strip().lower())
        if not code:
            continue
        if not SKILL.match(code):
            raise ValidationError(
                {
                    "skills": f"“{raw[:40]}” is not a skill code: letters, digits and _, "
                    "e.g. age_check."
                }
            )
        codes.append(code)
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_SKILLS:
        raise ValidationError({"skills": f"At most {MAX_SKILLS} skills."})
    return codes


def _bounded(value: object, field: str, label: str, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: f"{label} must be a whole number."})
    if value < 1:
        raise ValidationError({field: f"{label} must be at least 1."})
    if value > top:
        raise ValidationError({field: f"{label} is too large (at most {top:,})."})
    return value


def save_vehicle(
    *,
    merchant: Merchant,
    vehicle: Vehicle | None = None,
    name: str,
    kind: str,
    capacity_parcels: int,
    capacity_g: int,
    capacity_ml: int,
    skills: object = (),
) -> Vehicle:
    name = (name or "").strip()
    if not name or "\x00" in name or len(name) > 120:
        raise ValidationError({"name": "Enter a name of at most 120 characters."})
    if kind not in Vehicle.Kind.values:
        raise ValidationError({"kind": "Choose car, cargo bike or van."})
    vehicle = vehicle or Vehicle(merchant=merchant)
    vehicle.name, vehicle.kind = name, kind
    vehicle.capacity_parcels = _bounded(
        capacity_parcels, "capacity_parcels", "Parcels", MAX_PARCELS
    )
    vehicle.capacity_g = _bounded(capacity_g, "capacity_g", "Weight", MAX_GRAMS)
    vehicle.capacity_ml = _bounded(capacity_ml, "capacity_ml", "Volume", MAX_ML)
    vehicle.skills = normalised_skills(list(skills) if isinstance(skills, tuple) else skills)
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        raise ValidationError({"name": "Another vehicle of this shop has this name."}) from None
    return vehicle


def set_vehicle_active(*, vehicle: Vehicle, active: bool) -> Vehicle:
    vehicle.is_active = active
    vehicle.save(update_fields=["is_active"])
    return vehicle
