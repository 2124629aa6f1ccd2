"""Royal Mail Tracking API v2: `GET /mailpieces/v2/{mailPieceId}/events`.

Headers X-IBM-Client-Id / X-IBM-Client-Secret (credentials `client_id`, `client_secret`) and
X-Accept-RMG-Terms. Event codes map through a table; codes not in it fall back to words of the
event name, then to "in transit". Errors come as `{httpCode, httpMessage, errors: [{errorCode,
errorDescription, ...}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter, CredentialField
from fulfillment.couriers.adapters.errors import (
    CourierError,
    MalformedResponse,
)
from fulfillment.couriers.adapters.http import CourierResponse
from fulfillment.couriers.adapters.mapping import (
    as_list,
    as_mapping,
    clean_text,
    join_text,
    parse_timestamp,
    read_document,
    status_by_keyword,
    tracking_error,
)
from fulfillment.couriers.adapters.types import (
    DeliveryWindow,
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    make_event_id,
)

S = TrackingStatus
COURIER = "royalmail"
NOT_FOUND_CODES = {"E1142", "E1143", "E1144"}  # item not found / no events for the item

EVENT_CODES: dict[str, TrackingStatus] = {
    "EVKSP": S.DELIVERED,  # delivered and signed for
    "EVKSF": S.DELIVERED,  # delivered to a safe place
    "EVKOP": S.DELIVERED,  # delivered
    "EVGPD": S.OUT_FOR_DELIVERY,  # due to be delivered today
    "EVKNA": S.FAILED_ATTEMPT,  # delivery attempted, no answer
    "EVNDA": S.AVAILABLE_FOR_PICKUP,  # available for redelivery or collection
    "EVNSR": S.IN_TRANSIT,  # prepared for redelivery
    "EVODO": S.IN_TRANSIT,  # despatched to the delivery office
    "EVORI": S.IN_TRANSIT,  # arrived at a mail centre
    "EVNMI": S.IN_TRANSIT,  # forwarded after a mis-sort
}

NAME_KEYWORDS: tuple[tuple[str, TrackingStatus], ...] = (
    ("returned to sender", S.RETURNED),
    ("return to sender", S.RETURNED),
    ("attempt", S.FAILED_ATTEMPT),
    ("collection", S.AVAILABLE_FOR_PICKUP),
    ("due to be delivered", S.OUT_FOR_DELIVERY),
    ("out for delivery", S.OUT_FOR_DELIVERY),
    ("delivered", S.DELIVERED),
    ("awaiting", S.INFO_RECEIVED),
)


def map_status(code: str, name: str) -> TrackingStatus:
    return EVENT_CODES.get(code) or status_by_keyword(name, NAME_KEYWORDS, S.IN_TRANSIT)


def parse_event(tracking_number: str, event: Mapping[str, Any]) -> TrackingEvent:
    code = clean_text(event.get("eventCode"))
    name = clean_text(event.get("eventName"))
    occurred_at = parse_timestamp(
        event.get("eventDateTime"), courier=COURIER, field="eventDateTime"
    )
    location = clean_text(event.get("locationName"))
    status = map_status(code, name)
    return TrackingEvent(
        tracking_number=tracking_number,
        status=status,
        occurred_at=occurred_at,
        courier_code=code,
        courier_description=name,
        location=location,
        reason_code=code if status in (S.FAILED_ATTEMPT, S.EXCEPTION) else None,
        event_id=make_event_id(COURIER, tracking_number, code, occurred_at, location),
    )


def estimated_window(mail_piece: Mapping[str, Any]) -> DeliveryWindow | None:
    estimate = mail_piece.get("estimatedDelivery")
    if not isinstance(estimate, Mapping):
        return None
    try:
        day = date.fromisoformat(str(estimate.get("date")))
        start = time.fromisoformat(str(estimate.get("startOfEstimatedWindow") or "00:00:00"))
        end = time.fromisoformat(str(estimate.get("endOfEstimatedWindow") or "23:59:59"))
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    return DeliveryWindow(datetime.combine(day, start), datetime.combine(day, end))


def parse_events_response(payload: Any, tracking_number: str) -> TrackingResult:
    body = as_mapping(payload, courier=COURIER, field="response")
    piece = as_mapping(body.get("mailPieces"), courier=COURIER, field="mailPieces")
    events = [
        parse_event(tracking_number, as_mapping(e, courier=COURIER, field="event"))
        for e in as_list(piece.get("events"), courier=COURIER, field="events")
    ]
    return TrackingResult.from_events(
        tracking_number, events, estimated_delivery=estimated_window(piece), raw=piece
    )


def error_from_body(body: Any, status_code: int | None, tracking_number: str) -> CourierError:
    """`{httpCode, httpMessage, errors: [{errorCode, errorDescription, ...}]}` → our error."""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors else {}
    first = first if isinstance(first, Mapping) else {}
    code = clean_text(first.get("errorCode"))
    words = join_text([code, first.get("errorDescription"), first.get("errorResolution")], ": ")
    return tracking_error(
        courier=COURIER,
        code=code,
        words=words,
        status_code=status_code,
        tracking_number=tracking_number,
        not_found_codes=NOT_FOUND_CODES,
    )


def error_for(response: CourierResponse, tracking_number: str) -> CourierError:
    try:
        body = response.json()
    except MalformedResponse:
        body = None
    return error_from_body(body, response.status_code, tracking_number)


class RoyalMailAdapter(CourierAdapter):
    code = COURIER
    name = "Royal Mail"
    default_base_url = "https://api.royalmail.net"
    capabilities = Capabilities(track_batch_size=1)
    credential_fields = (
        CredentialField("client_id", "Client ID (X-IBM-Client-Id)", secret=False),
        CredentialField("client_secret", "Client secret (X-IBM-Client-Secret)"),
    )

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        results: dict[str, TrackingResult | CourierError] = {}
        for number in tracking_numbers:
            try:
                response = self.http.request(
                    "GET",
                    f"{self.base_url}/mailpieces/v2/{number}/events",
                    courier=self.code,
                    secrets=self.secrets,
                    headers={
                        "X-IBM-Client-Id": self.credentials.get("client_id", ""),
                        "X-IBM-Client-Secret": self.credentials.get("client_secret", ""),
                        "X-Accept-RMG-Terms": "yes",
                        "Accept": "application/json",
                    },
                )
                results[number] = (
                    parse_events_response(response.json(), number)
                    if response.ok
                    else error_for(response, number)
                )
            except CourierError as error:
                results[number] = error
        return results

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        """A saved events answer (keyed by its mailPieceId) or a saved error answer, which
        raises the error it means."""
        payload = read_document(body, courier=self.code)
        if isinstance(payload, Mapping) and "mailPieces" in payload:
            piece = as_mapping(payload["mailPieces"], courier=self.code, field="mailPieces")
            number = clean_text(piece.get("mailPieceId")).strip()
            if not number:
                raise MalformedResponse(
                    "royalmail: mailPieces without mailPieceId", courier=COURIER
                )
            return {number: parse_events_response(payload, number)}
        if isinstance(payload, Mapping) and isinstance(payload.get("errors"), list):
            status = str(payload.get("httpCode") or "")
            raise error_from_body(payload, int(status) if status.isdigit() else None, "")
        raise MalformedResponse(
            "royalmail: not a mailpieces events answer nor an error document", courier=COURIER
        )
