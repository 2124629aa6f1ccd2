"""karrio's unified models → ours (types.py), and our ShipmentRequest → karrio's.

karrio normalises every carrier to TrackingDetails/TrackingEvent (status and incident reason
names of its own), RateDetails (a float in a currency) and ShipmentDetails (a base64 label);
these functions map those names onto our TrackingStatus and reason codes, floats onto integer
minor units, and base64 onto the label bytes, exactly as the carrier made them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
)
from fulfillment.couriers.adapters.mapping import join_text
from fulfillment.couriers.adapters.types import (
    CreatedShipment,
    DeliveryWindow,
    Quote,
    ShipmentRequest,
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    make_event_id,
)

S = TrackingStatus

# karrio's TrackingStatus names (karrio/core/units.py) → ours. "unknown" and a missing status
# fall back to in transit: the carrier scanned the parcel, karrio could not say more.
KARRIO_STATUSES: dict[str, TrackingStatus] = {
    "pending": S.INFO_RECEIVED,
    "picked_up": S.IN_TRANSIT,
    "in_transit": S.IN_TRANSIT,
    "delivery_delayed": S.IN_TRANSIT,
    "on_hold": S.EXCEPTION,
    "cancelled": S.EXCEPTION,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "delivery_failed": S.FAILED_ATTEMPT,
    "ready_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "delivered": S.DELIVERED,
    "return_to_sender": S.RETURNED,
}

# karrio's TrackingIncidentReason names → our reason codes (booking.FAILED_REASONS); any other
# reason karrio names is kept under karrio's name.
KARRIO_REASONS: dict[str, str] = {
    "consignee_not_home": "not_home",
    "consignee_not_available": "not_home",
    "consignee_refused": "refused",
    "consignee_incorrect_address": "address_not_found",
    "carrier_address_not_found": "address_not_found",
    "consignee_access_restricted": "no_access",
    "consignee_business_closed": "no_access",
    "carrier_damaged_parcel": "damaged",
}
REASONED = {S.FAILED_ATTEMPT, S.EXCEPTION, S.RETURNED, S.EXPIRED}

MAX_PRICE = Decimal(10) ** 9  # in major units: a shipping price beyond this is a bad answer
# ISO 4217 currencies whose minor unit is not a hundredth.
CURRENCY_EXPONENTS = {
    "BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3, "TND": 3,
    "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip


def map_status(karrio_status: str | None) -> TrackingStatus:
    return KARRIO_STATUSES.get(karrio_status or "", S.IN_TRANSIT)


def map_reason(karrio_reason: str | None) -> str | None:
    if not karrio_reason or karrio_reason == "unknown":
        return None
    return KARRIO_REASONS.get(karrio_reason, karrio_reason)


def event_time(event: Any, *, courier: str) -> datetime:
    """karrio's ISO timestamp, else its date (+ time): aware UTC (no offset = UTC, as ours)."""
    stamp = getattr(event, "timestamp", None)
    if stamp:
        try:
            parsed = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    date_text = getattr(event, "date", None)
    try:
        day = datetime.strptime(str(date_text), "%Y-%m-%d")
    except (TypeError, ValueError):
        raise MalformedResponse(
            f"{courier}: an event without a readable date", courier=courier
        ) from None
    clock = time(0, 0)
    for pattern in ("%I:%M %p", "%H:%M", "%H:%M:%S"):
        try:
            clock = datetime.strptime(str(getattr(event, "time", "") or ""), pattern).time()
            break
        except ValueError:
            continue
    return datetime.combine(day.date(), clock, tzinfo=UTC)


def tracking_event(
    tracking_number: str,
    event: Any,
    *,
    courier: str,
    status: TrackingStatus | None = None,
    reason: str | None = None,
    occurred_at: datetime | None = None,
) -> TrackingEvent:
    """One karrio TrackingEvent as ours; a carrier profile may override status/reason/time."""
    mapped = status or map_status(getattr(event, "status", None))
    when = occurred_at or event_time(event, courier=courier)
    code = str(getattr(event, "code", "") or getattr(event, "status", "") or "")
    description = str(getattr(event, "description", "") or "")
    location = str(getattr(event, "location", "") or "")
    reason = reason if reason is not None else map_reason(getattr(event, "reason", None))
    return TrackingEvent(
        tracking_number=tracking_number,
        status=mapped,
        occurred_at=when,
        courier_code=code,
        courier_description=description,
        location=location,
        reason_code=reason if mapped in REASONED else None,
        event_id=make_event_id(courier, tracking_number, code, description, when, location),
    )


def estimated_window(value: Any) -> DeliveryWindow | None:
    """karrio gives an estimated delivery date: that whole day, UTC."""
    if not value:
        return None
    try:
        day = datetime.strptime(str(value)[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return DeliveryWindow(day, day + timedelta(days=1) - timedelta(seconds=1))


def tracking_result(
    details: Any, events: Sequence[TrackingEvent], *, courier: str, raw: Mapping[str, Any]
) -> TrackingResult:
    return TrackingResult.from_events(
        str(details.tracking_number),
        events,
        estimated_delivery=estimated_window(
            details.estimated_delivery or getattr(details.info, "expected_delivery", None)
        ),
        raw=raw,
        fallback_status=map_status(details.status) if details.status else S.PENDING,
    )


def message_text(messages: Sequence[Any]) -> str:
    return "; ".join(join_text([m.code, m.message], ": ") for m in messages) or "no details"


def error_for_messages(
    messages: Sequence[Any], *, courier: str, not_found_codes: frozenset[str] = frozenset()
) -> CourierError:
    """karrio Messages (the carrier's codes and words) → our error."""
    text = f"{courier}: {message_text(messages)}"
    codes = {str(m.code or "") for m in messages}
    words = text.lower()
    first_code = next(iter(sorted(codes)), "")
    if codes & not_found_codes or "not found" in words or "no data" in words:
        return TrackingNotFound(text, courier=courier, status_code=404, courier_code=first_code)
    return CourierRejected(text, courier=courier, courier_code=first_code)


def minor_units(amount: Any, currency: str, *, courier: str) -> int:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise MalformedResponse(
            f"{courier}: a price {amount!r} is not a number", courier=courier
        ) from None
    if not value.is_finite() or not 0 <= value < MAX_PRICE:
        raise MalformedResponse(f"{courier}: a price {amount!r} is not usable", courier=courier)
    exponent = CURRENCY_EXPONENTS.get(currency.upper(), 2)
    return int((value * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def quote(rate: Any, *, courier: str, service_names: Mapping[str, str]) -> Quote:
    currency = str(rate.currency or "").upper()
    if len(currency) != 3:
        raise MalformedResponse(f"{courier}: a rate without currency", courier=courier)
    service = str(rate.service or "")
    meta = rate.meta if isinstance(rate.meta, Mapping) else {}
    return Quote(
        courier=courier,
        service_code=service,
        service_name=str(meta.get("service_name") or service_names.get(service) or service),
        price_minor=minor_units(rate.total_charge, currency, courier=courier),
        currency=currency,
        estimated_delivery=estimated_window(rate.estimated_delivery),
    )


def karrio_address(address: Mapping[str, str]) -> dict[str, Any]:
    return {
        "person_name": address.get("name", ""),
        "company_name": address.get("company") or None,
        "address_line1": address.get("street", ""),
        "city": address.get("city", ""),
        "postal_code": address.get("postal_code", ""),
        "country_code": address.get("country", ""),
        "phone_number": address.get("phone") or None,
        "email": address.get("email") or None,
    }


def karrio_shipment_payload(request: ShipmentRequest, *, label_type: str = "PDF") -> dict:
    """Our request in karrio's units: kilograms and centimetres."""
    return {
        "shipper": karrio_address(request.sender),
        "recipient": karrio_address(request.recipient),
        "parcels": [
            {
                "weight": p.weight_g / 1000,
                "weight_unit": "KG",
                "length": p.length_mm / 10,
                "width": p.width_mm / 10,
                "height": p.height_mm / 10,
                "dimension_unit": "CM",
                "reference_number": request.reference,
            }
            for p in request.parcels
        ],
        "service": request.service_code,
        "reference": request.reference,
        "label_type": label_type,
        "options": {},
    }


def created_shipment(details: Any, *, courier: str) -> CreatedShipment:
    if not details or not details.tracking_number:
        raise MalformedResponse(f"{courier}: a shipment without tracking number", courier=courier)
    docs = details.docs
    label_text = (docs.label if docs else None) or ""
    label = None
    if label_text:
        try:
            label = base64.b64decode(label_text, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse(f"{courier}: label is not base64", courier=courier) from None
    label_format = str(details.label_type or "PDF").lower() if label else None
    return CreatedShipment(
        tracking_number=str(details.tracking_number),
        label=label,
        label_format=label_format,
        raw={"shipment_identifier": details.shipment_identifier, "meta": details.meta or {}},
    )
