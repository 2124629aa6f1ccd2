"""Address checks before dispatch: is the destination real, consistent and deliverable?

`resolve_destination` geocodes and normalises a destination and lists its problems; a problem
that still geocodes is recorded on the order (and blocks its label), only a postal code that
cannot be found at all is refused. Each problem has a stable `code`, the `field` at fault and a
`message` for people.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from fulfillment.labels.render import LabelAddress
from fulfillment.models import Order, OrderEvent
from fulfillment.tracking.hooks import PickupPoint
from merchant.models import User
from merchant.services.geocoding import (
    OFFLINE,
    GeocodeResult,
    GeocoderUnavailable,
    GeocodingError,
    distance_m,
    geocode,
    normalize_postal_code,
)
from merchant.services.postal_areas import gazetteer_entry, postal_area_mismatches

# A ZIP centroid is the middle of an area that can be large in the countryside; shop-sent
# coordinates further than this from it are more likely a wrong ZIP or a wrong pin.
MAX_DISTANCE_FROM_POSTAL_CODE_M = 25_000

POSTAL_CODE_UNKNOWN = "postal_code_unknown"
TOO_FAR_FROM_POSTAL_CODE = "too_far_from_postal_code"
STREET_MISSING = "street_missing"
PO_BOX_NOT_DELIVERABLE = "po_box_not_deliverable"
PHONE_MISSING = "phone_missing_for_same_day"

# "PO Box 12", "P.O. Box", "Post Office Box", "POB 7", "Box 12" at the start of a line.
_PO_BOX = re.compile(
    r"^\s*(?:p\.?\s*o\.?\s*b(?:ox)?\.?|post\s+office\s+box|box)\s*#?\s*\d+",
    re.IGNORECASE,
)


class AddressNeedsAttention(Exception):
    """A label was asked for while the order has an open address problem."""

    code = "address_problem"

    def __init__(self, order: Order) -> None:
        self.order = order
        reasons = "; ".join(p["message"] for p in order.address_problems) or "not checked"
        super().__init__(f"{order} has an address problem to fix or override: {reasons}")


@dataclass
class Destination:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str
    normalized_postal_code: str = ""
    normalized_city: str = ""
    normalized_state: str = ""
    normalized_address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    coordinates_source: str = ""
    problems: list[dict] = field(default_factory=list)

    @property
    def location(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)

    def as_order_fields(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "line1",
                "line2",
                "city",
                "state",
                "postal_code",
                "country",
                "normalized_postal_code",
                "normalized_city",
                "normalized_state",
                "normalized_address",
                "latitude",
                "longitude",
                "coordinates_source",
            )
        }


def problem(code: str, field: str, message: str) -> dict:
    return {"code": code, "field": field, "message": message}


def geocode_postal_code(postal_code: str, country: str) -> GeocodeResult:
    """The centre of a postal code. The bundled offline gazetteer never changes while the
    process runs, so its answers (and refusals) are kept in memory: cheaper than a round trip
    to the shared cache. Online geocoders go through `geocode`, with its shared cache."""
    if (getattr(settings, "NEARBOX_GEOCODER", "") or OFFLINE).strip().lower() != OFFLINE:
        return geocode(postal_code=postal_code, country=country)
    found = _offline_centre(postal_code, country)
    if isinstance(found, GeocodingError):  # a fresh exception: a raised one keeps its frames
        raise type(found)(found.message, field=found.field)
    return found


@functools.lru_cache(maxsize=65536)
def _offline_centre(postal_code: str, country: str) -> GeocodeResult | GeocodingError:
    try:
        return geocode(postal_code=postal_code, country=country)
    except GeocoderUnavailable:
        raise  # not an answer: never remembered
    except GeocodingError as error:
        return error


def is_po_box(line: str) -> bool:
    return bool(_PO_BOX.match(line or ""))


def resolve_destination(
    *,
    line1: str,
    line2: str = "",
    city: str = "",
    state: str = "",
    postal_code: str,
    country: str = "US",
    latitude: float | None = None,
    longitude: float | None = None,
    service_level: str,
    delivery_kind: str,
    shopper_phone: str = "",
    error_prefix: str = "destination.",
) -> Destination:
    """Geocode and check a destination. Raises ValidationError only when it cannot be located
    (its field is `error_prefix` + "postal_code"); GeocoderUnavailable when the geocoding
    service is down (retry later). Problems always name the API fields (`destination.city`)."""
    prefix = "destination."
    country = (country or "US").strip().upper()
    dest = Destination(
        line1=line1.strip(),
        line2=line2.strip(),
        city=city.strip(),
        state=state.strip(),
        postal_code=postal_code.strip(),
        country=country,
    )
    shop_point = (latitude, longitude) if latitude is not None and longitude is not None else None
    try:
        dest.normalized_postal_code = normalize_postal_code(dest.postal_code, country)
        centre = geocode_postal_code(dest.normalized_postal_code, country)
    except GeocoderUnavailable:
        raise
    except GeocodingError as error:
        if shop_point is None or country != "US" or not dest.normalized_postal_code:
            raise ValidationError({f"{error_prefix}postal_code": error.message}) from error
        # The shop told us where it is: route there, but flag the ZIP for staff.
        centre = None
        dest.problems.append(problem(POSTAL_CODE_UNKNOWN, f"{prefix}postal_code", error.message))

    if centre is not None:
        dest.normalized_city = centre.city or dest.city
        dest.normalized_state = centre.state or dest.state
        dest.latitude, dest.longitude = centre.latitude, centre.longitude
        dest.coordinates_source = f"geocoder:{centre.source}"[:30]
    else:
        dest.normalized_city, dest.normalized_state = dest.city, dest.state

    if shop_point is not None:
        if centre is not None:
            off_by = distance_m(shop_point, centre.point)
            if off_by > MAX_DISTANCE_FROM_POSTAL_CODE_M:
                dest.problems.append(
                    problem(
                        TOO_FAR_FROM_POSTAL_CODE,
                        f"{prefix}latitude",
                        f"The coordinates sent are {off_by / 1000:.0f} km from the centre of "
                        f"{dest.normalized_postal_code} (more than "
                        f"{MAX_DISTANCE_FROM_POSTAL_CODE_M // 1000} km): check the ZIP or the pin.",
                    )
                )
        if not any(p["code"] == TOO_FAR_FROM_POSTAL_CODE for p in dest.problems):
            dest.latitude, dest.longitude = shop_point
            dest.coordinates_source = "shop"

    if country == "US" and centre is not None:
        dest.problems += _gazetteer_problems(dest, prefix)
    dest.problems += _deliverability_problems(
        dest, service_level, delivery_kind, shopper_phone, prefix
    )
    parts = [
        dest.line1,
        dest.line2,
        dest.normalized_city,
        f"{dest.normalized_state} {dest.normalized_postal_code}".strip(),
        country,
    ]
    dest.normalized_address = ", ".join(" ".join(p.split()) for p in parts if p.strip()).upper()
    return dest


def _gazetteer_problems(dest: Destination, prefix: str) -> list[dict]:
    entry = gazetteer_entry(dest.normalized_postal_code)
    if entry is None:
        # Another geocoder found it but the bundled gazetteer does not know it.
        return [
            problem(
                POSTAL_CODE_UNKNOWN,
                f"{prefix}postal_code",
                f"ZIP code {dest.normalized_postal_code} is not in the postal-code gazetteer.",
            )
        ]
    dest.normalized_city, dest.normalized_state = entry["city"], entry["state"]
    return [
        problem(m.code, f"{prefix}{m.field}", m.message)
        for m in postal_area_mismatches(
            entry=entry, postal_code=dest.normalized_postal_code, city=dest.city, state=dest.state
        )
    ]


def _deliverability_problems(
    dest: Destination, service_level: str, delivery_kind: str, phone: str, prefix: str
) -> list[dict]:
    found = []
    home = delivery_kind == Order.DeliveryKind.HOME
    if home and not dest.line1:
        found.append(
            problem(STREET_MISSING, f"{prefix}line1", "The street line is empty: add one.")
        )
    fast = service_level in (Order.ServiceLevel.SAME_DAY, Order.ServiceLevel.NEXT_DAY)
    if home and fast and (is_po_box(dest.line1) or is_po_box(dest.line2)):
        found.append(
            problem(
                PO_BOX_NOT_DELIVERABLE,
                f"{prefix}line1",
                "Same-day and next-day couriers cannot deliver to a PO box: "
                "ask for a street address or use economy.",
            )
        )
    if service_level == Order.ServiceLevel.SAME_DAY and not (phone or "").strip():
        found.append(
            problem(
                PHONE_MISSING,
                "shopper.phone",
                "Same-day delivery needs the shopper's phone number for the driver.",
            )
        )
    return found


def order_address(order: Order) -> LabelAddress:
    """The shopper's own address, as a label, a packing slip or a return's sender prints it."""
    return LabelAddress(
        name=order.shopper_name,
        lines=tuple(line for line in (order.line1, order.line2) if line),
        city=order.normalized_city or order.city,
        postal_code=order.normalized_postal_code or order.postal_code,
        country=order.country,
        state=order.normalized_state or order.state,
        phone=order.shopper_phone,
    )


def pickup_address(order: Order, place: PickupPoint) -> LabelAddress:
    """A locker or shop order's destination: the shopper's name "care of" the pickup place, at
    the place's address (the label's TO block and the courier's recipient). The courier
    delivers to the place; its staff or terminal reads the name."""
    care_of = f"c/o {place.name} ({place.kind})" if place.kind else f"c/o {place.name}"
    return LabelAddress(
        name=order.shopper_name,
        lines=(care_of, *place.street_lines),
        city=place.city,
        postal_code=place.postal_code,
        country=place.country or order.country,
        state=place.state,
        phone=order.shopper_phone,
    )


def assert_can_ship(*, order: Order) -> None:
    """What the labels code calls before printing: raises AddressNeedsAttention."""
    if order.address_status == Order.AddressStatus.PROBLEM:
        raise AddressNeedsAttention(order)


def override_address(*, order: Order, user: User | None, note: str) -> Order:
    """Staff accept the address as it is (they called the shopper, know the place, …)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why the address is fine as it is."})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.address_status != Order.AddressStatus.PROBLEM:
            raise ValidationError("This order has no address problem to override.")
        order.address_status = Order.AddressStatus.OVERRIDDEN
        order.save(update_fields=["address_status", "updated_at"])
        _note(order, user, f"Address overridden: {note}")
    return order


ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country", "shopper_phone")
# Once the parcel has left, its address can no longer be fixed (the order page hides the form).
ADDRESS_LOCKED = frozenset(
    {Order.Status.HANDED_OVER, Order.Status.AT_PICKUP, Order.Status.DELIVERED}
)


def fix_address(
    *, order: Order, user: User | None = None, latitude=None, longitude=None, **fields: str
) -> Order:
    """Change destination fields and check again; the order keeps its allocation (re-route it
    separately if the destination moved far). Nothing changes if it cannot be located."""
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"fix_address() got unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status in ADDRESS_LOCKED:
            raise ValidationError("The parcel has left: its address can no longer change.")
        current = {name: getattr(order, name) for name in ADDRESS_FIELDS}
        current.update({k: (v or "").strip() for k, v in fields.items()})
        dest = resolve_destination(
            line1=current["line1"],
            line2=current["line2"],
            city=current["city"],
            state=current["state"],
            postal_code=current["postal_code"],
            country=current["country"],
            latitude=latitude,
            longitude=longitude,
            service_level=order.service_level,
            delivery_kind=order.delivery_kind,
            shopper_phone=current["shopper_phone"],
            error_prefix="",
        )
        for name, value in dest.as_order_fields().items():
            setattr(order, name, value)
        order.shopper_phone = current["shopper_phone"]
        order.address_problems = dest.problems
        order.address_status = (
            Order.AddressStatus.PROBLEM if dest.problems else Order.AddressStatus.OK
        )
        order.save()
        outcome = "still has problems" if dest.problems else "checks out"
        _note(order, user, f"Address corrected; it {outcome}.")
    return order


def _note(order: Order, user: User | None, note: str) -> None:
    OrderEvent.objects.create(
        merchant_id=order.merchant_id,
        order=order,
        from_status=order.status,
        to_status=order.status,
        by=user if user is not None and user.is_authenticated else None,
        note=note[:255],
    )
