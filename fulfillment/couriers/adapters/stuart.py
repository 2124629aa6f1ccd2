"""Stuart (on-demand courier, API v2, https://api-docs.stuart.com).

- auth: `POST /oauth/token` (client_credentials, scope `api`), a month-long bearer token cached
  per account (ondemand/oauth.py), renewed on a 401;
- quote: `POST /v2/jobs/pricing` (price in major units, tax excluded) and `POST /v2/jobs/eta`
  (seconds until a courier reaches the pick-up);
- book: `POST /v2/jobs`; its job id is our tracking number and Shipment.courier_reference, the
  drop-off's `client_reference` is our idempotency key (Stuart refuses a second job with it, so
  a retried booking finds the first job: `GET /v2/jobs?client_reference=…`);
- cancel: `POST /v2/jobs/{id}/cancel`; track: `GET /v2/jobs/{id}`;
- webhooks `{event, type, data}`: `job` (status, current delivery status), `driver` (the
  courier's position, several times a minute), `delivery` (carries no job id: acknowledged,
  the job event that comes with it says the same). Stuart authenticates them with the header
  name and value set on the webhook in its dashboard; it signs nothing and sends no time, so a
  Stuart event or position is timed by its arrival and a duplicate is the same body twice
  within a minute.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fulfillment.couriers.adapters.base import CredentialField
from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierRejected,
    MalformedResponse,
    TrackingNotFound,
    WebhookRejected,
)
from fulfillment.couriers.adapters.http import CourierResponse
from fulfillment.couriers.adapters.mapping import as_list, as_mapping, join_text, optional_timestamp
from fulfillment.couriers.adapters.ondemand.common import (
    SAME_DAY_SERVICE,
    OnDemandAdapter,
    address_line,
    body_nonce,
    currency_code,
    first_name,
    header,
    identifier,
    minor_units,
    position_report,
    read_json_object,
    split_name,
    text,
)
from fulfillment.couriers.adapters.types import (
    CreatedShipment,
    DeliveryWindow,
    Parcel,
    PositionReport,
    Quote,
    ShipmentRequest,
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    WebhookUpdate,
    make_event_id,
)

S = TrackingStatus
CODE = "stuart"

# Stuart's delivery statuses (the courier's progress on one drop-off).
DELIVERY_STATUSES: dict[str, TrackingStatus] = {
    "pending": S.INFO_RECEIVED,
    "picking": S.INFO_RECEIVED,  # courier on the way to the pick-up
    "almost_picking": S.INFO_RECEIVED,
    "waiting_at_pickup": S.INFO_RECEIVED,
    "delivering": S.OUT_FOR_DELIVERY,  # picked up: a same-day courier rides straight there
    "almost_delivering": S.OUT_FOR_DELIVERY,  # "courier arriving": kept as the courier's code
    "waiting_at_dropoff": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "cancelled": S.EXCEPTION,
    "canceled": S.EXCEPTION,
}
# Stuart's job statuses, used when the job has no current delivery to say more.
JOB_STATUSES: dict[str, TrackingStatus] = {
    "new": S.INFO_RECEIVED,
    "scheduled": S.INFO_RECEIVED,
    "searching": S.INFO_RECEIVED,
    "in_progress": S.INFO_RECEIVED,
    "finished": S.DELIVERED,
    "canceled": S.EXCEPTION,
    "cancelled": S.EXCEPTION,
    "voided": S.EXCEPTION,
    "expired": S.EXCEPTION,
}
ARRIVING = frozenset({"almost_delivering", "waiting_at_dropoff"})
DESCRIPTIONS = {
    "pending": "Looking for a courier",
    "picking": "Courier on the way to the pick-up",
    "almost_picking": "Courier arriving at the pick-up",
    "waiting_at_pickup": "Courier waiting at the pick-up",
    "delivering": "Picked up, on the way",
    "almost_delivering": "Courier arriving",
    "waiting_at_dropoff": "Courier at the door",
    "delivered": "Delivered",
    "cancelled": "Delivery cancelled",
    "canceled": "Delivery cancelled",
}
# Stuart's package sizes, smallest first: (code, longest side mm, weight g). Our reading of
# its size guide; the courier checks the parcel at pick-up.
PACKAGE_TYPES = (
    ("xsmall", 400, 1_000),
    ("small", 400, 3_000),
    ("medium", 500, 6_000),
    ("large", 600, 12_000),
    ("xlarge", 800, 20_000),
)
TRANSPORT_TYPES = frozenset({"walk", "bike", "cargobike", "motorbike", "car", "van"})
# Stuart's webhooks carry no id or time: the same body twice within this window is the same
# delivery (a retry or a replay), refused; later it is a new update with the same content.
DUPLICATE_WINDOW_S = 60
# A quote's drop-off window: the courier reaches the pick-up at `eta`, and a same-hour
# courier rides straight to the shopper; Stuart quotes no drop-off time before booking.
DROPOFF_ALLOWANCE = timedelta(minutes=60)


def package_type(parcels: tuple[Parcel, ...]) -> str:
    longest = max((max(p.length_mm, p.width_mm, p.height_mm) for p in parcels), default=0)
    weight = sum(p.weight_g for p in parcels)
    for code, side, grams in PACKAGE_TYPES:
        if longest <= side and weight <= grams:
            return code
    return PACKAGE_TYPES[-1][0]


def contact(place: Mapping[str, str]) -> dict[str, str]:
    first, last = split_name(place.get("name", ""))
    values = {"firstname": first, "lastname": last, "phone": place.get("phone", "")}
    if place.get("company"):
        values["company"] = place["company"]
    return {k: v for k, v in values.items() if v}


def job_body(request: ShipmentRequest) -> dict[str, Any]:
    """Our ShipmentRequest as Stuart's job (one pick-up, one drop-off)."""
    dropoff: dict[str, Any] = {
        "package_type": package_type(request.parcels),
        "package_description": request.reference[:200],
        "address": address_line(request.recipient),
        "contact": contact(request.recipient),
    }
    if request.idempotency_key:
        dropoff["client_reference"] = request.idempotency_key
    job: dict[str, Any] = {
        "pickups": [{"address": address_line(request.sender), "contact": contact(request.sender)}],
        "dropoffs": [dropoff],
    }
    if request.service_code in TRANSPORT_TYPES:
        job["transport_type"] = request.service_code
    return {"job": job}


def problem_error(response: CourierResponse, *, what: str) -> CourierError:
    """Stuart's `{error, message, data}` → our error for a non-2xx answer."""
    try:
        body = response.json()
    except MalformedResponse:
        body = {}
    body = body if isinstance(body, Mapping) else {}
    code = text(body.get("error"), 64)
    details = body.get("data")
    detail_text = ""
    if isinstance(details, Mapping):
        detail_text = join_text(
            [f"{k}: {join_text(v) if isinstance(v, list) else v}" for k, v in details.items()],
            "; ",
        )
    words = join_text([code, text(body.get("message")), detail_text], " — ") or "no details"
    message = f"Stuart refused to {what} ({response.status_code}): {words}"
    if response.status_code == 404:
        return TrackingNotFound(message, courier=CODE, status_code=404, courier_code=code)
    return CourierRejected(
        message, courier=CODE, status_code=response.status_code, courier_code=code
    )


def job_status_event(
    job_id: str, job_status: str, delivery_status: str, at: datetime
) -> TrackingEvent:
    """One event for the job's state; its id is the state, so the same state told twice (a
    job webhook, then the poll) is stored once."""
    if delivery_status in DELIVERY_STATUSES:
        status, code = DELIVERY_STATUSES[delivery_status], delivery_status
    else:
        status, code = JOB_STATUSES.get(job_status, S.PENDING), job_status or "unknown"
    description = DESCRIPTIONS.get(code, f"Stuart: {code.replace('_', ' ')}")
    return TrackingEvent(
        tracking_number=job_id,
        status=status,
        occurred_at=at,
        courier_code=code[:64],
        courier_description=description,
        reason_code=code if status is S.EXCEPTION else None,
        event_id=make_event_id(CODE, job_id, job_status, delivery_status),
    )


def parse_job(body: Mapping[str, Any], *, now: datetime) -> TrackingResult:
    """A job object (`POST`/`GET /v2/jobs`) → our tracking result: one event per moment the job
    records (created, picked, delivered), and its current state."""
    number = identifier(body.get("id"), courier=CODE, what="a job")
    deliveries = [
        as_mapping(d, courier=CODE, field="delivery")
        for d in as_list(body.get("deliveries") or [], courier=CODE, field="deliveries")
    ]
    delivery = deliveries[0] if deliveries else {}
    job_status = text(body.get("status"), 40)
    delivery_status = text(delivery.get("status"), 40)
    created = optional_timestamp(body.get("created_at"))
    events = []
    if created:
        events.append(job_status_event(number, "new", "pending", created))
    picked = optional_timestamp(delivery.get("picked_at"))
    if picked:
        events.append(job_status_event(number, "in_progress", "delivering", picked))
    delivered = optional_timestamp(delivery.get("delivered_at"))
    if delivered:
        events.append(job_status_event(number, "finished", "delivered", delivered))
    current = job_status_event(number, job_status, delivery_status, now)
    if current.event_id not in {e.event_id for e in events}:
        ended = optional_timestamp(body.get("ended_at"))
        events.append(job_status_event(number, job_status, delivery_status, ended or now))
    eta = delivery.get("eta") if isinstance(delivery.get("eta"), Mapping) else {}
    dropoff_eta = optional_timestamp(eta.get("dropoff"))
    window = DeliveryWindow(dropoff_eta, dropoff_eta) if dropoff_eta else None
    return TrackingResult.from_events(number, events, estimated_delivery=window, raw=body)


class StuartAdapter(OnDemandAdapter):
    code = CODE
    name = "Stuart"
    default_base_url = "https://api.stuart.com"
    token_scope = "api"
    credential_fields = (
        CredentialField("client_id", "API client id", secret=False),
        CredentialField("client_secret", "API client secret"),
        CredentialField(
            "webhook_auth_header",
            "Webhook authentication header name",
            secret=False,
            required=False,
            help="As set on the webhook in Stuart's dashboard (Authorization if blank).",
        ),
        CredentialField(
            "webhook_auth_value",
            "Webhook authentication header value",
            help="The value Stuart sends in that header with every webhook.",
        ),
    )

    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    # --- quote, book, cancel, track ---------------------------------------------------------

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        body = job_body(request)
        response = self.call("POST", "/v2/jobs/pricing", json_body=body)
        if not response.ok:
            raise problem_error(response, what="price the job")
        pricing = as_mapping(response.json(), courier=CODE, field="pricing answer")
        currency = currency_code(pricing.get("currency"), courier=CODE)
        price = minor_units(pricing.get("amount"), currency, courier=CODE)
        service = request.service_code
        if service in ("", "any"):
            service = SAME_DAY_SERVICE
        return [
            Quote(
                courier=CODE,
                service_code=service,
                service_name="Stuart same-day courier",
                price_minor=price,
                currency=currency,
                estimated_delivery=self._quote_window(body),
            )
        ]

    def _quote_window(self, body: Mapping[str, Any]) -> DeliveryWindow | None:
        """When a courier would reach the shopper; None when Stuart gives no ETA (the quote
        still stands on its price)."""
        try:
            response = self.call("POST", "/v2/jobs/eta", json_body=body)
        except CourierError:
            return None
        if not response.ok:
            return None
        try:
            seconds = as_mapping(response.json(), courier=CODE, field="eta answer").get("eta")
        except CourierError:
            return None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return None
        start = datetime.now(UTC) + timedelta(seconds=min(seconds, 86_400))
        return DeliveryWindow(start, start + DROPOFF_ALLOWANCE)

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        response = self.call("POST", "/v2/jobs", json_body=job_body(request))
        if response.ok:
            job = as_mapping(response.json(), courier=CODE, field="job answer")
        elif response.status_code == 422 and request.idempotency_key:
            # A retried booking: the first attempt's job holds our client_reference.
            job = self._job_by_client_reference(request.idempotency_key)
            if job is None:
                raise problem_error(response, what="create the job")
        else:
            raise problem_error(response, what="create the job")
        result = parse_job(job, now=datetime.now(UTC))
        return CreatedShipment(
            tracking_number=result.tracking_number,
            estimated_delivery=result.estimated_delivery,
            raw=job,
            courier_reference=result.tracking_number,
        )

    def _job_by_client_reference(self, reference: str) -> Mapping[str, Any] | None:
        response = self.call("GET", "/v2/jobs", params={"client_reference": reference})
        if not response.ok:
            return None
        body = response.json()
        jobs = body if isinstance(body, list) else []
        return next((j for j in jobs if isinstance(j, Mapping) and j.get("id")), None)

    def cancel(self, tracking_number: str) -> None:
        response = self.call("POST", f"/v2/jobs/{_job_path(tracking_number)}/cancel")
        if not response.ok:
            raise problem_error(response, what="cancel the job")

    def track_one(self, reference: str) -> TrackingResult:
        response = self.call("GET", f"/v2/jobs/{_job_path(reference)}")
        if not response.ok:
            raise problem_error(response, what="show the job")
        return parse_job(
            as_mapping(response.json(), courier=CODE, field="job"), now=datetime.now(UTC)
        )

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        """A saved job answer or job webhook (no header check)."""
        document = read_json_object(body, courier=CODE, what="document")
        if "event" in document:
            update = parse_webhook_body(document, received_at=datetime.now(UTC))
            return {e.tracking_number: TrackingResult.from_events(e.tracking_number, [e])
                    for e in update.events}  # fmt: skip
        result = parse_job(document, now=datetime.now(UTC))
        return {result.tracking_number: result}

    # --- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str]) -> None:
        expected = self.credentials.get("webhook_auth_value", "")
        if not expected:
            raise WebhookRejected(
                "no webhook authentication value is configured for this Stuart account",
                courier=CODE,
            )
        name = self.credentials.get("webhook_auth_header", "") or "Authorization"
        received = header(headers, name)
        if not received:
            raise WebhookRejected(f"Stuart webhook without its {name} header", courier=CODE)
        if not hmac.compare_digest(received.encode(), expected.encode()):
            raise WebhookRejected(f"Stuart webhook {name} header does not match", courier=CODE)

    def parse_webhook_update(self, body: bytes, headers: Mapping[str, str]) -> WebhookUpdate:
        self.verify_webhook(headers)
        document = read_json_object(body, courier=CODE, what="webhook body")
        update = parse_webhook_body(document, received_at=datetime.now(UTC))
        # Stuart sends a standing courier's unchanged position again later, byte for byte:
        # news (still there), not a replay. The same bytes within one minute are.
        minute = int(datetime.now(UTC).timestamp() // DUPLICATE_WINDOW_S)
        nonce = f"{body_nonce(CODE, body)}:{minute}"
        return WebhookUpdate(update.events, update.positions, nonce)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        return list(self.parse_webhook_update(body, headers).events)


def _job_path(reference: str) -> str:
    if not reference.isdigit():
        raise TrackingNotFound(f"stuart: {reference!r} is not a Stuart job id", courier=CODE)
    return reference


def parse_webhook_body(document: Mapping[str, Any], *, received_at: datetime) -> WebhookUpdate:
    """Stuart's `{event, type, data}` → events and positions (no verification here)."""
    event, kind = document.get("event"), document.get("type")
    data = document.get("data")
    if not isinstance(event, str) or not isinstance(kind, str) or not isinstance(data, Mapping):
        raise MalformedResponse("stuart: a webhook without event, type and data", courier=CODE)
    if event == "job":
        return WebhookUpdate(events=(_job_event(data, received_at),))
    if event == "driver":
        return WebhookUpdate(positions=_driver_positions(data, received_at))
    return WebhookUpdate()  # delivery events carry no job id; unknown events: nothing to store


def _job_event(data: Mapping[str, Any], at: datetime) -> TrackingEvent:
    job_id = identifier(data.get("id"), courier=CODE, what="a job webhook")
    current = data.get("currentDelivery")
    delivery_status = text(current.get("status"), 40) if isinstance(current, Mapping) else ""
    return job_status_event(job_id, text(data.get("status"), 40), delivery_status, at)


def _driver_positions(data: Mapping[str, Any], at: datetime) -> tuple[PositionReport, ...]:
    job = data.get("job")
    if not isinstance(job, Mapping) or job.get("id") in (None, ""):
        return ()  # a courier between jobs: no parcel of ours to place
    current = job.get("currentDelivery")
    current = current if isinstance(current, Mapping) else {}
    transport = data.get("transportType")
    vehicle = text(transport.get("code"), 40) if isinstance(transport, Mapping) else ""
    return (
        position_report(
            job.get("id"),
            data.get("latitude"),
            data.get("longitude"),
            at,
            courier=CODE,
            courier_name=first_name(data.get("firstname") or data.get("name")),
            vehicle=vehicle,
            eta_at=optional_timestamp(current.get("etaToDestination")),
            arriving=text(current.get("status"), 40) in ARRIVING,
        ),
    )
