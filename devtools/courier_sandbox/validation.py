"""Checks on what clients send the sandbox; each error names the field."""

from __future__ import annotations

from typing import Any

ADDRESS_FIELDS = ("city", "postal_code", "country")


def validate_address(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    for key in ADDRESS_FIELDS:
        if not isinstance(value.get(key), str) or not value[key].strip():
            raise ValueError(f"{name}.{key} is required")
    return {k: str(v) for k, v in value.items() if isinstance(v, str | int | float)}


def validate_parcel(value: Any, index: int) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError(f"parcels[{index}] must be an object")
    parcel = {}
    for key in ("weight_g", "length_mm", "width_mm", "height_mm"):
        number = value.get(key)
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise ValueError(f"parcels[{index}].{key} must be a whole number > 0")
        parcel[key] = number
    return parcel


def validate_shipment(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    parcels = data.get("parcels")
    if not isinstance(parcels, list) or not parcels:
        raise ValueError("parcels must be a non-empty list")
    for key in ("service", "reference"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"{key} is required")
    return {
        "service": data["service"],
        "reference": data["reference"],
        "sender": validate_address(data.get("sender"), "sender"),
        "recipient": validate_address(data.get("recipient"), "recipient"),
        "parcels": [validate_parcel(p, i) for i, p in enumerate(parcels)],
    }
