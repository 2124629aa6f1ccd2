"""UPS Track API v1: `GET /api/track/v1/details/{inquiryNumber}` with an OAuth bearer token.

Credentials: `client_id` + `client_secret` (client-credentials token fetched and cached), or a
ready `access_token`. The status comes from the activity's `status.type` (M, P, I, O, D, X,
RS, ...) through a table, refined by words of its description (an "X" that says "attempt" is a
failed attempt). Activity dates are `YYYYMMDD` + `HHMMSS` in the location's local time; the
GMT fields are used when UPS sends them, otherwise local time is taken as UTC. "Not found" is a
TW0001 warning in a 200 answer (or the same code in an error answer).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter
from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
)
from fulfillment.couriers.adapters.http import CourierResponse
from fulfillment.couriers.adapters.mapping import as_list, as_mapping, join_text, status_by_keyword
from fulfillment.couriers.adapters.types import (
    DeliveryWindow,
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    make_event_id,
)

S = TrackingStatus
COURIER = "ups"
NOT_FOUND_CODES = {"TW0001", "TV1001"}

STATUS_TYPES: dict[str, TrackingStatus] = {
    "M": S.INFO_RECEIVED,  # manifest / label created
    "MV": S.PENDING,  # manifest voided
    "P": S.IN_TRANSIT,  # picked up
    "I": S.IN_TRANSIT,
    "W": S.IN_TRANSIT,  # in a warehouse
    "O": S.OUT_FOR_DELIVERY,
    "D": S.DELIVERED,
    "DO": S.DELIVERED,  # delivered to the origin CFS (freight)
    "DD": S.DELIVERED,  # delivered to the destination CFS (freight)
    "X": S.EXCEPTION,
    "RS": S.RETURNED,  # returned to shipper
    "NA": S.PENDING,
    "U": S.PENDING,
}

TYPE_REFINEMENTS: dict[str, tuple[tuple[str, TrackingStatus], ...]] = {
    "X": (
        ("attempt", S.FAILED_ATTEMPT),
        ("returned to the sender", S.RETURNED),
        ("returning to the sender", S.RETURNED),
    ),
    "I": (("access point", S.AVAILABLE_FOR_PICKUP), ("out for delivery", S.OUT_FOR_DELIVERY)),
}


def map_status(status_type: str, description: str) -> TrackingStatus:
    base = STATUS_TYPES.get(status_type, S.IN_TRANSIT)
    return status_by_keyword(description, TYPE_REFINEMENTS.get(status_type, ()), base)


def parse_date_time(date: Any, clock: Any) -> datetime | None:
    if not isinstance(date, str) or not isinstance(clock, str):
        return None
    try:
        return datetime.strptime(date + clock.ljust(6, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def activity_time(activity: Mapping[str, Any]) -> datetime:
    when = parse_date_time(
        activity.get("gmtDate"), (activity.get("gmtTime") or "").replace(":", "")
    )
    when = when or parse_date_time(activity.get("date"), activity.get("time"))
    if when is None:
        raise MalformedResponse(f"{COURIER}: an activity without a readable date", courier=COURIER)
    return when


def location_text(location: Any) -> str:
    if not isinstance(location, Mapping) or not isinstance(location.get("address"), Mapping):
        return ""
    address = location["address"]
    return join_text(
        [address.get("city"), address.get("stateProvince"), address.get("postalCode"),
         address.get("countryCode") or address.get("country")]
    )  # fmt: skip


def parse_activity(tracking_number: str, activity: Mapping[str, Any]) -> TrackingEvent:
    status = as_mapping(activity.get("status") or {}, courier=COURIER, field="activity status")
    status_type = str(status.get("type") or "")
    code = str(status.get("code") or status_type)
    description = str(status.get("description") or status.get("simplifiedTextDescription") or "")
    occurred_at = activity_time(activity)
    location = location_text(activity.get("location"))
    mapped = map_status(status_type, description)
    return TrackingEvent(
        tracking_number=tracking_number,
        status=mapped,
        occurred_at=occurred_at,
        courier_code=code,
        courier_description=description,
        location=location,
        reason_code=code if mapped in (S.FAILED_ATTEMPT, S.EXCEPTION) else None,
        event_id=make_event_id(COURIER, tracking_number, code, occurred_at, location),
    )


def estimated_window(package: Mapping[str, Any]) -> DeliveryWindow | None:
    for entry in package.get("deliveryDate") or []:
        if not isinstance(entry, Mapping) or entry.get("type") not in ("SDD", "RDD", "EDN"):
            continue
        times = package.get("deliveryTime") or {}
        start = parse_date_time(entry.get("date"), times.get("startTime") or "000000")
        end = parse_date_time(entry.get("date"), times.get("endTime") or "235959")
        if start and end:
            return DeliveryWindow(start, end)
    return None


def parse_details(payload: Any, tracking_number: str) -> TrackingResult | CourierError:
    """A 200 details body for one inquiry number → its result, or TrackingNotFound."""
    body = as_mapping(payload, courier=COURIER, field="response")
    track = as_mapping(body.get("trackResponse"), courier=COURIER, field="trackResponse")
    shipments = as_list(track.get("shipment"), courier=COURIER, field="shipment")
    if not shipments:
        return TrackingNotFound(f"ups: no shipment {tracking_number}", courier=COURIER)
    shipment = as_mapping(shipments[0], courier=COURIER, field="shipment")
    packages = as_list(shipment.get("package"), courier=COURIER, field="package")
    if not packages:
        warnings = as_list(shipment.get("warnings"), courier=COURIER, field="warnings")
        words = join_text(f"{w.get('code')} {w.get('message')}" for w in warnings if w) or "none"
        return TrackingNotFound(f"ups: {tracking_number} not found ({words})", courier=COURIER)
    events = []
    window = None
    for package in packages:
        package = as_mapping(package, courier=COURIER, field="package")
        for activity in as_list(package.get("activity"), courier=COURIER, field="activity"):
            events.append(
                parse_activity(tracking_number, as_mapping(activity, courier=COURIER, field="act"))
            )
        window = window or estimated_window(package)
    return TrackingResult.from_events(
        tracking_number, events, estimated_delivery=window, raw=shipment
    )


def error_for(response: CourierResponse, tracking_number: str) -> CourierError:
    """UPS `{"response": {"errors": [{code, message}]}}` → our error."""
    try:
        errors = (response.json().get("response") or {}).get("errors") or []
    except (MalformedResponse, AttributeError):
        errors = []
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    code = str(first.get("code") or "")
    message = f"ups answered {response.status_code} for {tracking_number}: " + (
        join_text([code, first.get("message")], " ") or "no details"
    )
    if code in NOT_FOUND_CODES or (response.status_code == 404 and not code):
        return TrackingNotFound(message, courier=COURIER, status_code=response.status_code)
    return CourierRejected(
        message, courier=COURIER, status_code=response.status_code, courier_code=code
    )


class UpsAdapter(CourierAdapter):
    code = COURIER
    name = "UPS"
    default_base_url = "https://onlinetools.ups.com"
    capabilities = Capabilities(track_batch_size=1)
    _token: str = ""
    _token_expires: float = 0.0

    def access_token(self) -> str:
        if self.credentials.get("access_token"):
            return self.credentials["access_token"]
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        response = self.http.request(
            "POST",
            f"{self.base_url}/security/v1/oauth/token",
            courier=self.code,
            secrets=self.secrets,
            form={"grant_type": "client_credentials"},
            auth=(self.credentials.get("client_id", ""), self.credentials.get("client_secret", "")),
        )
        if not response.ok:
            raise CourierRejected(
                f"ups refused the OAuth credentials ({response.status_code})",
                courier=self.code,
                status_code=response.status_code,
            )
        body = response.json()
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not token:
            raise MalformedResponse("ups: OAuth answer without access_token", courier=self.code)
        self._token = str(token)
        self._token_expires = time.monotonic() + float(body.get("expires_in") or 3600) - 60
        return self._token

    @property
    def secrets(self) -> tuple[str, ...]:
        return (*super().secrets, *((self._token,) if self._token else ()))

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        results: dict[str, TrackingResult | CourierError] = {}
        for number in tracking_numbers:
            try:
                results[number] = self._track_one(number)
            except CourierError as error:
                results[number] = error
        return results

    def _track_one(self, number: str) -> TrackingResult | CourierError:
        response = self.http.request(
            "GET",
            f"{self.base_url}/api/track/v1/details/{number}",
            courier=self.code,
            secrets=self.secrets,
            params={"locale": "en_US", "returnSignature": "false"},
            headers={
                "Authorization": f"Bearer {self.access_token()}",
                "transId": uuid.uuid4().hex,
                "transactionSrc": "nearbox",
            },
        )
        if not response.ok:
            return error_for(response, number)
        return parse_details(response.json(), number)
