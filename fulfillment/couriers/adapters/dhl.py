"""DHL Shipment Tracking – Unified: `GET /track/shipments?trackingNumber=…`, header DHL-API-Key.

DHL's `statusCode` is coarse (pre-transit, transit, delivered, failure, unknown) and is what we
trust (the documented sample says "DELIVERED" in `status` while `statusCode` is pre-transit);
the `status` text only refines it through a keyword table per code. The courier's statusCode
and texts are kept on each event. DHL events have no id, so the event id is a hash of tracking
number, statusCode, status text, timestamp and location. Event timestamps without an offset are
taken as UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter, CredentialField
from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
)
from fulfillment.couriers.adapters.http import CourierResponse
from fulfillment.couriers.adapters.mapping import (
    as_list,
    as_mapping,
    clean_text,
    join_text,
    optional_timestamp,
    parse_timestamp,
    read_document,
    status_by_keyword,
)
from fulfillment.couriers.adapters.types import (
    DeliveryWindow,
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    make_event_id,
)

S = TrackingStatus

STATUS_CODES: dict[str, TrackingStatus] = {
    "pre-transit": S.INFO_RECEIVED,
    "transit": S.IN_TRANSIT,
    "delivered": S.DELIVERED,
    "failure": S.EXCEPTION,
    "unknown": S.PENDING,
}

# Refinements of a statusCode by words in DHL's `status`/`description` text, first match wins.
STATUS_TEXT_REFINEMENTS: dict[str, tuple[tuple[str, TrackingStatus], ...]] = {
    "transit": (
        ("out for delivery", S.OUT_FOR_DELIVERY),
        ("with delivery courier", S.OUT_FOR_DELIVERY),
        ("delivery attempted", S.FAILED_ATTEMPT),
        ("unsuccessful delivery", S.FAILED_ATTEMPT),
        ("available for pickup", S.AVAILABLE_FOR_PICKUP),
        ("ready for pickup", S.AVAILABLE_FOR_PICKUP),
        ("returned to sender", S.RETURNED),
    ),
    "failure": (
        ("returned to sender", S.RETURNED),
        ("return to sender", S.RETURNED),
        ("expired", S.EXPIRED),
    ),
    "delivered": (("returned to sender", S.RETURNED),),
}

# Statuses for which DHL's `remark` is the reason worth keeping as reason_code.
REASONED = {S.FAILED_ATTEMPT, S.EXCEPTION, S.RETURNED, S.EXPIRED}


def map_status(status_code: str, text: str) -> TrackingStatus:
    base = STATUS_CODES.get(status_code, S.PENDING)
    return status_by_keyword(text, STATUS_TEXT_REFINEMENTS.get(status_code, ()), base)


def location_text(location: Any) -> str:
    if not isinstance(location, Mapping):
        return ""
    address = location.get("address") or {}
    if not isinstance(address, Mapping):
        return ""
    return join_text(
        [address.get("addressLocality"), address.get("postalCode"), address.get("countryCode")]
    )


def parse_event(
    tracking_number: str, event: Mapping[str, Any], *, courier: str = "dhl"
) -> TrackingEvent:
    code = clean_text(event.get("statusCode") or "unknown")
    text = join_text([event.get("status"), event.get("description")], " / ")
    status = map_status(code, text)
    occurred_at = parse_timestamp(event.get("timestamp"), courier=courier, field="event timestamp")
    location = location_text(event.get("location"))
    remark = clean_text(event.get("remark")) or None
    return TrackingEvent(
        tracking_number=tracking_number,
        status=status,
        occurred_at=occurred_at,
        courier_code=code,
        courier_description=text,
        location=location,
        reason_code=remark if status in REASONED else None,
        event_id=make_event_id(courier, tracking_number, code, text, occurred_at, location),
    )


def estimated_window(shipment: Mapping[str, Any]) -> DeliveryWindow | None:
    frame = shipment.get("estimatedDeliveryTimeFrame")
    if isinstance(frame, Mapping):
        start = optional_timestamp(frame.get("estimatedFrom"))
        end = optional_timestamp(frame.get("estimatedThrough"))
        if start and end:
            return DeliveryWindow(start, end)
    eta = optional_timestamp(shipment.get("estimatedTimeOfDelivery"))
    return DeliveryWindow(eta, eta) if eta else None


def parse_shipment(shipment: Mapping[str, Any], *, courier: str = "dhl") -> TrackingResult:
    tracking_number = clean_text(shipment.get("id"))
    if not tracking_number:
        raise MalformedResponse(f"{courier}: a shipment without id", courier=courier)
    events = [
        parse_event(tracking_number, as_mapping(e, courier=courier, field="event"), courier=courier)
        for e in as_list(shipment.get("events"), courier=courier, field="events")
    ]
    summary = shipment.get("status")
    fallback = S.PENDING
    if isinstance(summary, Mapping):
        fallback = map_status(
            str(summary.get("statusCode") or "unknown"),
            join_text([summary.get("status"), summary.get("description")], " / "),
        )
    return TrackingResult.from_events(
        tracking_number,
        events,
        estimated_delivery=estimated_window(shipment),
        raw=shipment,
        fallback_status=fallback,
    )


def parse_tracking_response(
    payload: Any, requested: list[str], *, courier: str = "dhl"
) -> dict[str, TrackingResult | CourierError]:
    """A 200 body → one entry per requested number (TrackingNotFound for those not in it)."""
    body = as_mapping(payload, courier=courier, field="tracking response")
    found: dict[str, TrackingResult] = {}
    for shipment in as_list(body.get("shipments"), courier=courier, field="shipments"):
        result = parse_shipment(
            as_mapping(shipment, courier=courier, field="shipment"), courier=courier
        )
        found[result.tracking_number] = result
    return {
        number: found.get(number)
        or TrackingNotFound(f"{courier}: no shipment {number}", courier=courier, status_code=404)
        for number in requested
    }


def problem_error(response: CourierResponse, *, courier: str = "dhl") -> CourierError:
    """DHL's problem+json ({title, detail, status}) → our error for a non-2xx answer."""
    try:
        problem = response.json()
    except MalformedResponse:
        problem = {}
    if not isinstance(problem, Mapping):
        problem = {}
    words = join_text([problem.get("title"), problem.get("detail")], ": ") or "no details"
    message = f"{courier} answered {response.status_code}: {words}"
    if response.status_code == 404:
        return TrackingNotFound(message, courier=courier, status_code=404)
    return CourierRejected(message, courier=courier, status_code=response.status_code)


def is_problem(payload: Any) -> bool:
    """DHL's problem+json: an HTTP status with a title or detail, and no shipments."""
    return (
        isinstance(payload, Mapping)
        and type(payload.get("status")) is int
        and 400 <= payload["status"] <= 599
        and bool(payload.get("title") or payload.get("detail"))
    )


class DhlAdapter(CourierAdapter):
    code = "dhl"
    name = "DHL"
    default_base_url = "https://api-eu.dhl.com"
    # The Unified API takes one tracking number per request.
    capabilities = Capabilities(track_batch_size=1)
    credential_fields = (CredentialField("api_key", "API key (DHL-API-Key)"),)

    def auth_headers(self) -> dict[str, str]:
        return {"DHL-API-Key": self.credentials.get("api_key", ""), "Accept": "application/json"}

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        results: dict[str, TrackingResult | CourierError] = {}
        size = max(1, self.capabilities.track_batch_size)
        for start in range(0, len(tracking_numbers), size):
            chunk = tracking_numbers[start : start + size]
            try:
                results.update(self._track_chunk(chunk))
            except CourierError as error:
                results.update(dict.fromkeys(chunk, error))
        return results

    def _track_chunk(self, chunk: list[str]) -> dict[str, TrackingResult | CourierError]:
        response = self.http.request(
            "GET",
            f"{self.base_url}/track/shipments",
            courier=self.code,
            secrets=self.secrets,
            params={"trackingNumber": ",".join(chunk), "language": "en"},
            headers=self.auth_headers(),
        )
        if not response.ok:
            error = problem_error(response, courier=self.code)
            return dict.fromkeys(chunk, error)
        return parse_tracking_response(response.json(), chunk, courier=self.code)

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        """A saved tracking answer (the sandbox's webhook body has the same shape) or a saved
        problem+json error, which raises the error it means (404: TrackingNotFound)."""
        payload = read_document(body, courier=self.code)
        if isinstance(payload, Mapping) and "shipments" in payload:
            shipments = as_list(payload["shipments"], courier=self.code, field="shipments")
            numbers = [
                clean_text(as_mapping(s, courier=self.code, field="shipment").get("id"))
                for s in shipments
            ]
            if not numbers:
                raise TrackingNotFound(
                    f"{self.code}: the document lists no shipment", courier=self.code
                )
            return parse_tracking_response(payload, numbers, courier=self.code)
        if is_problem(payload):
            saved = CourierResponse(payload["status"], httpx.Headers(), body, self.code)
            raise problem_error(saved, courier=self.code)
        raise MalformedResponse(
            f"{self.code}: not a DHL tracking answer (no shipments) nor a problem document",
            courier=self.code,
        )
