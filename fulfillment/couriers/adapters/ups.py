"""UPS Track API v1: `GET /api/track/v1/details/{inquiryNumber}` with an OAuth bearer token.

Credentials: `client_id` + `client_secret` (client-credentials token fetched and cached), or a
ready `access_token`. The status comes from the activity's `status.type` (M, P, I, O, D, X,
RS, ...) through a table, refined by words of its description (an "X" that says "attempt" is a
failed attempt). Activity dates are `YYYYMMDD` + `HHMMSS` in the location's local time; the
GMT fields are used when UPS sends them, otherwise local time is taken as UTC. "Not found" is a
TW0001 warning in a 200 answer (or the same code in an error answer).

Track Alert (push instead of polling): `subscribe_push` posts up to 100 1Z numbers to
`/api/track/v1/subscription/standard/package` with our webhook URL and an opaque credential
(`webhook_secret`); for 14 days UPS then POSTs one JSON event per scan to that URL, sending the
credential back in a `credential` header, which `parse_webhook` checks before reading the body.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter, CredentialField
from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
    WebhookRejected,
)
from fulfillment.couriers.adapters.http import CourierResponse
from fulfillment.couriers.adapters.mapping import (
    as_list,
    as_mapping,
    clean_text,
    join_text,
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
from merchant.limits import moment_problem

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
        when = datetime.strptime(date + clock.ljust(6, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return None if moment_problem(when) else when  # year 1 would break the pages showing it


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
    status_type = clean_text(status.get("type"))
    code = clean_text(status.get("code") or status_type)
    description = clean_text(status.get("description") or status.get("simplifiedTextDescription"))
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


def error_from_body(body: Any, status_code: int | None, tracking_number: str) -> CourierError:
    """UPS errors, `{"response": {"errors": [{code, message}]}}` (or `{"errors": [...]}` as
    Track Alert's 401 answer has it) → our error: not found, or a rejection with UPS's code."""
    errors: Any = []
    if isinstance(body, Mapping):
        inner = body.get("response")
        errors = (inner.get("errors") if isinstance(inner, Mapping) else None) or body.get("errors")
    errors = errors if isinstance(errors, list) else []
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    code = clean_text(first.get("code"))
    return tracking_error(
        courier=COURIER,
        code=code,
        words=join_text([code, first.get("message")], " "),
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


# --- Track Alert -----------------------------------------------------------------------------

ALERT_PATH = "/api/track/v1/subscription/standard/package"
ALERT_BATCH = 100  # 1Z numbers per subscription request (VSS220 above that)
ALERT_DAYS = 14  # how long one subscription lasts
ALERT_NUMBER = re.compile(r"^1Z[0-9A-Z]{16}$")
CREDENTIAL_HEADER = "credential"
CREDENTIAL_TYPE = "Bearer"


@dataclass(frozen=True)
class PushSubscription:
    """What UPS accepted: events for `subscribed` are pushed until `until`; not the others."""

    subscribed: tuple[str, ...]
    refused: tuple[str, ...]
    until: dt.datetime


def is_alert_event(payload: Any) -> bool:
    return (
        isinstance(payload, Mapping)
        and "trackingNumber" in payload
        and isinstance(payload.get("activityStatus"), Mapping)
    )


def parse_alert_event(payload: Mapping[str, Any]) -> TrackingEvent:
    """One Track Alert event → our event, through the Track API's activity parser (same fields
    under other names), so a pushed scan and the same scan polled share their event id."""
    number = clean_text(payload.get("trackingNumber")).strip()  # UPS's own sample has a space
    if not number:
        raise MalformedResponse("ups: Track Alert event without trackingNumber", courier=COURIER)
    place = payload.get("activityLocation")
    place = place if isinstance(place, Mapping) else {}
    activity = {
        "date": payload.get("localActivityDate"),
        "time": payload.get("localActivityTime"),
        "gmtDate": payload.get("gmtActivityDate") or None,
        "gmtTime": payload.get("gmtActivityTime") or "",
        "status": payload["activityStatus"],
        "location": {
            "address": {
                "city": place.get("city"),
                "stateProvince": place.get("stateProvince"),
                "postalCode": place.get("postalCode"),
                "countryCode": place.get("country"),
            }
        },
    }
    return parse_activity(number, activity)


def alert_window(payload: Mapping[str, Any]) -> DeliveryWindow | None:
    """The scheduled day and window of a Track Alert event (times are local: taken as UTC, as
    the Track API's are)."""
    day = payload.get("scheduledDeliveryDate")
    if not day:
        return None
    start = parse_date_time(day, payload.get("deliveryStartTime") or "000000")
    end = parse_date_time(day, payload.get("deliveryEndTime") or "235959")
    return DeliveryWindow(start, end) if start and end else None


class UpsAdapter(CourierAdapter):
    code = COURIER
    name = "UPS"
    default_base_url = "https://onlinetools.ups.com"
    capabilities = Capabilities(track_batch_size=1, has_webhooks=True)
    credential_fields = (
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("client_secret", "Client secret"),
        CredentialField(
            "webhook_secret",
            "Track Alert credential",
            required=False,
            help="Any long random text: UPS sends it back with each pushed event. Set it to "
            "have UPS push tracking events instead of being polled.",
        ),
    )
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

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        """A saved Track API answer (one entry per shipment's inquiry number), a Track Alert
        event, or a saved error answer, which raises the error it means."""
        payload = read_document(body, courier=self.code)
        if not isinstance(payload, Mapping):
            raise MalformedResponse("ups: the document is not a JSON object", courier=self.code)
        if "trackResponse" in payload:
            track = as_mapping(payload["trackResponse"], courier=self.code, field="trackResponse")
            results: dict[str, TrackingResult | CourierError] = {}
            for shipment in as_list(track.get("shipment"), courier=self.code, field="shipment"):
                shipment = as_mapping(shipment, courier=self.code, field="shipment")
                number = clean_text(shipment.get("inquiryNumber")).strip()
                one = {"trackResponse": {"shipment": [shipment]}}
                results[number] = parse_details(one, number)
            if not any(isinstance(r, TrackingResult) for r in results.values()):
                raise next(iter(results.values()), None) or TrackingNotFound(
                    "ups: the document lists no shipment", courier=self.code
                )
            return results
        if is_alert_event(payload):
            event = parse_alert_event(payload)
            result = TrackingResult.from_events(
                event.tracking_number,
                [event],
                estimated_delivery=alert_window(payload),
                raw=payload,
            )
            return {event.tracking_number: result}
        if "response" in payload or "errors" in payload:
            raise error_from_body(payload, None, "")
        raise MalformedResponse(
            "ups: not a Track API answer, a Track Alert event nor an error document",
            courier=self.code,
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        """A Track Alert event: first the credential UPS sends back (the one we subscribed
        with), compared in constant time; then the body, one event per request."""
        expected = self.credentials.get("webhook_secret", "")
        if not expected:
            raise WebhookRejected("no Track Alert credential is set for this UPS account")
        lowered = {k.lower(): v for k, v in headers.items()}
        sent = lowered.get(CREDENTIAL_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise WebhookRejected("Track Alert credential missing or wrong", courier=self.code)
        payload = read_document(body, courier=self.code)
        if not is_alert_event(payload):
            raise MalformedResponse("ups: not a Track Alert event", courier=self.code)
        return [parse_alert_event(payload)]

    @property
    def can_push(self) -> bool:
        """Track Alert needs the credential UPS will send back with each event."""
        return bool(self.credentials.get("webhook_secret"))

    def subscribe_push(
        self, tracking_numbers: list[str], *, url: str, now: dt.datetime | None = None
    ) -> PushSubscription:
        """Ask Track Alert to push these numbers' events to `url` (requests of ≤100 numbers).

        Only 1Z numbers can be subscribed; the rest are refused without asking. Raises a
        CourierError when UPS refuses a request (the caller keeps polling those numbers)."""
        secret = self.credentials.get("webhook_secret", "")
        if not secret:
            raise CourierRejected("no Track Alert credential is set", courier=self.code)
        now = now or datetime.now(UTC)
        wanted = [n for n in dict.fromkeys(tracking_numbers) if ALERT_NUMBER.match(n)]
        refused = [n for n in tracking_numbers if not ALERT_NUMBER.match(n)]
        subscribed: list[str] = []
        for start in range(0, len(wanted), ALERT_BATCH):
            chunk = wanted[start : start + ALERT_BATCH]
            response = self.http.request(
                "POST",
                f"{self.base_url}{ALERT_PATH}",
                courier=self.code,
                secrets=(*self.secrets, secret),
                headers={
                    "Authorization": f"Bearer {self.access_token()}",
                    "transId": uuid.uuid4().hex,
                    "transactionSrc": "nearbox",
                },
                json_body={
                    "locale": "en_US",
                    "countryCode": "US",
                    "trackingNumberList": chunk,
                    "destination": {
                        "url": url,
                        "credentialType": CREDENTIAL_TYPE,
                        "credential": secret,
                    },
                },
            )
            if not response.ok:
                raise error_for(response, ", ".join(chunk[:3]))
            answer = as_mapping(response.json(), courier=self.code, field="subscription answer")
            valid = {str(n) for n in as_list(answer.get("validTrackingNumbers"), courier=self.code,
                                               field="validTrackingNumbers")}  # fmt: skip
            subscribed.extend(n for n in chunk if n in valid)
            refused.extend(n for n in chunk if n not in valid)
        return PushSubscription(
            tuple(subscribed), tuple(refused), now + dt.timedelta(days=ALERT_DAYS)
        )
