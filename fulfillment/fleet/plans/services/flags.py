"""Address problems to look at before the driver leaves the hub (#16 item 7): a geocode that is
only the ZIP's centre, a multi-unit building without an apartment, a PO box (no driver can
deliver there), no phone to call. Each flag is {"code", "text"} on the stop."""

from __future__ import annotations

import re

from fulfillment.models import Order

__all__ = ["FLAG_CODES", "address_flags"]

FLAG_CODES = {
    "zip_centroid": "Located only by its ZIP code's centre: the pin may be far from the door.",
    "no_unit": "A multi-unit building without an apartment or unit number.",
    "po_box": "A PO box: a driver cannot deliver to it.",
    "no_phone": "No phone number to call at the door.",
}

PO_BOX = re.compile(r"\b(p\.?\s*o\.?\s*box|post\s+office\s+box|pob\s+\d)", re.IGNORECASE)
UNIT = re.compile(r"(\b(apt|apartment|unit|suite|ste|fl|floor|rm|room)\b\.?\s*\w+|#\s*\w+)", re.I)
MULTI_UNIT = re.compile(
    r"\b(apartments?|apts|tower|towers|lofts?|condos?|condominiums?|residences|"
    r"court|plaza|flats|building|bldg)\b",
    re.IGNORECASE,
)


def _has_unit(order: Order) -> bool:
    return bool(order.line2.strip()) or bool(UNIT.search(order.line1))


def address_flags(order: Order, *, shared_address: bool = False) -> list[dict[str, str]]:
    """The order's flags. `shared_address`: other orders went to the same street address with
    a different unit (so the building has several)."""
    flags = []
    if not order.coordinates_source or order.coordinates_source.startswith("geocoder:"):
        flags.append("zip_centroid")
    lines = f"{order.line1} {order.line2}"
    if PO_BOX.search(lines):
        flags.append("po_box")
    elif not _has_unit(order) and (shared_address or MULTI_UNIT.search(order.line1)):
        flags.append("no_unit")
    if not order.shopper_phone.strip():
        flags.append("no_phone")
    return [{"code": code, "text": FLAG_CODES[code]} for code in flags]


def street_key(order: Order) -> str:
    return f"{' '.join(order.line1.lower().split())}|{order.normalized_postal_code}"


def multi_unit_streets(orders: list[Order]) -> set[str]:
    """Street addresses that several orders reached with different units."""
    units: dict[str, set[str]] = {}
    for order in orders:
        if order.line1.strip():
            units.setdefault(street_key(order), set()).add(order.line2.strip().lower())
    return {key for key, seen in units.items() if len(seen - {""}) >= 1 and len(seen) >= 2}
