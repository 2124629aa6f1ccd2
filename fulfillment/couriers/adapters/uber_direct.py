"""Uber Direct (DaaS, https://developer.uber.com/docs/deliveries).

- auth: `POST https://auth.uber.com/oauth/v2/token` (client_credentials, scope
  `eats.deliveries`), a 30-day bearer token cached per account, renewed on a 401;
- quote: `POST /v1/customers/{customer_id}/delivery_quotes` (`fee` in cents, `currency_type`,
  `dropoff_eta`, `dropoff_deadline`);
- book: `POST /v1/customers/{customer_id}/deliveries` with our idempotency key as Uber's
  `idempotency_key` (and `external_id`); the delivery id (`del_…`) is our tracking number and
  Shipment.courier_reference;
- cancel: `POST …/deliveries/{id}/cancel`; track: `GET …/deliveries/{id}`;
- webhooks: `event.delivery_status` (status or courier_imminent changed) and
  `event.courier_update` (the courier's location every 20 seconds), signed with the webhook's
  signing key: hex HMAC-SHA256 of the raw body in `x-uber-signature` (older integrations:
  `x-postmates-signature`, the same digest). Each carries its own `created` time (stale ones
  are refused) and event id `evt_…` (accepted once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
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
from fulfillment.couriers.adapters.mapping import as_mapping, optional_timestamp, parse_timestamp
from fulfillment.couriers.adapters.ondemand.common import (
    SAME_DAY_SERVICE,
    OnDemandAdapter,
    body_nonce,
    check_fresh,
    currency_code,
    first_name,
    header,
    identifier,
    position_report,
    read_json_object,
    text,
)
from fulfillment.couriers.adapters.types import (
    CreatedShipment,
    DeliveryWindow,
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
CODE = "uber_direct"
SIGNATURE_HEADERS = ("x-uber-signature", "x-postmates-signature")
DEFAULT_AUTH_URL = "https://auth.uber.com"

# Uber's delivery statuses; with courier_imminent the courier is about a minute away.
STATUSES: dict[str, TrackingStatus] = {
    "pending": S.INFO_RECEIVED,
    "pickup": S.INFO_RECEIVED,  # courier assigned, riding to the pick-up
    "pickup_complete": S.OUT_FOR_DELIVERY,
    "dropoff": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "canceled": S.EXCEPTION,
    "returned": S.RETURNED,
}
DESCRIPTIONS = {
    "pending": "Looking for a courier",
    "pickup": "Courier on the way to the pick-up",
    "pickup_imminent": "Courier arriving at the pick-up",
    "pickup_complete": "Picked up, on the way",
    "dropoff": "Courier on the way to you",
    "dropoff_imminent": "Courier arriving",
    "delivered": "Delivered",
    "canceled": "Delivery cancelled",
    "returned": "Returned to the store",
}


def status_code(status: str, imminent: bool) -> str:
    """Uber's status with courier_imminent folded in: dropoff + imminent = dropoff_imminent."""
    return f"{status}_imminent" if imminent and status in ("pickup", "dropoff") else status


def delivery_event(
    delivery_id: str, status: str, imminent: bool, at: datetime, reason: str = ""
) -> TrackingEvent:
    code = status_code(status, imminent)
    mapped = STATUSES.get(status, S.PENDING)
    return TrackingEvent(
        tracking_number=delivery_id,
        status=mapped,
        occurred_at=at,
        courier_code=code[:64],
        courier_description=DESCRIPTIONS.get(code, f"Uber: {code.replace('_', ' ')}"),
        reason_code=(reason or code)[:64] if mapped in (S.EXCEPTION, S.RETURNED) else None,
        event_id=make_event_id(CODE, delivery_id, code),
    )


def structured_address(place: Mapping[str, str]) -> str:
    """Uber's structured address: a JSON text (its recommended form over one line)."""
    return json.dumps(
        {
            "street_address": [s for s in (place.get("street", ""),) if s],
            "city": place.get("city", ""),
            "state": place.get("state", ""),
            "zip_code": place.get("postal_code", ""),
            "country": place.get("country", ""),
        },
        separators=(",", ":"),
    )


def delivery_window(body: Mapping[str, Any]) -> DeliveryWindow | None:
    eta = optional_timestamp(body.get("dropoff_eta"))
    if eta is None:
        return None
    deadline = optional_timestamp(body.get("dropoff_deadline"))
    return DeliveryWindow(eta, deadline if deadline and deadline > eta else eta)


def parse_delivery(body: Mapping[str, Any]) -> TrackingResult:
    """A delivery object (create/get/cancel answer, or a webhook's `data`) → tracking result."""
    delivery_id = identifier(body.get("id"), courier=CODE, what="a delivery")
    at = optional_timestamp(body.get("updated")) or optional_timestamp(body.get("created"))
    if at is None:
        raise MalformedResponse("uber_direct: a delivery without a time", courier=CODE)
    events = []
    created = optional_timestamp(body.get("created"))
    if created:
        events.append(delivery_event(delivery_id, "pending", False, created))
    status = text(body.get("status"), 40) or "pending"
    imminent = body.get("courier_imminent") is True
    current = delivery_event(
        delivery_id, status, imminent, at, text(body.get("undeliverable_reason"), 64)
    )
    if current.event_id not in {e.event_id for e in events}:
        events.append(current)
    return TrackingResult.from_events(
        delivery_id, events, estimated_delivery=delivery_window(body), raw=body
    )


def problem_error(response: CourierResponse, *, what: str) -> CourierError:
    """Uber's `{code, message, metadata}` → our error for a non-2xx answer."""
    try:
        body = response.json()
    except MalformedResponse:
        body = {}
    body = body if isinstance(body, Mapping) else {}
    code = text(body.get("code"), 64)
    words = " — ".join(p for p in (code, text(body.get("message"))) if p) or "no details"
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping) and metadata:
        words += " (" + "; ".join(f"{k}: {text(v, 200)}" for k, v in metadata.items()) + ")"
    message = f"Uber Direct refused to {what} ({response.status_code}): {words}"
    if response.status_code == 404:
        return TrackingNotFound(message, courier=CODE, status_code=404, courier_code=code)
    return CourierRejected(
        message, courier=CODE, status_code=response.status_code, courier_code=code
    )


class UberDirectAdapter(OnDemandAdapter):
    code = CODE
    name = "Uber Direct"
    default_base_url = "https://api.uber.com"
    token_scope = "eats.deliveries"
    credential_fields = (
        CredentialField("customer_id", "Customer id", secret=False),
        CredentialField("client_id", "Client id", secret=False),
        CredentialField("client_secret", "Client secret"),
        CredentialField(
            "webhook_signing_key",
            "Webhook signing key",
            help="From the webhook's Edit menu in the Uber Direct dashboard.",
        ),
        CredentialField(
            "store_phone",
            "Store phone number (E.164)",
            secret=False,
            required=False,
            help="Uber needs a phone number for the pick-up (and for the drop-off when the "
            "order has none).",
        ),
    )

    def token_url(self) -> str:
        # Uber issues tokens from auth.uber.com; a base URL of our own (a test courier, the
        # sandbox) answers both.
        if self.base_url == self.default_base_url:
            return f"{DEFAULT_AUTH_URL}/oauth/v2/token"
        return f"{self.base_url}/oauth/v2/token"

    def _customer_path(self) -> str:
        customer = self.credentials.get("customer_id", "")
        if not customer or not all(c.isalnum() or c in "-_" for c in customer):
            raise CourierRejected("uber_direct: the account has no valid customer_id", courier=CODE)
        return f"/v1/customers/{customer}"

    def _places(self, request: ShipmentRequest) -> dict[str, Any]:
        phone = self.credentials.get("store_phone", "")
        body: dict[str, Any] = {
            "pickup_address": structured_address(request.sender),
            "dropoff_address": structured_address(request.recipient),
        }
        for prefix, place in (("pickup", request.sender), ("dropoff", request.recipient)):
            number = place.get("phone", "") or phone
            if number:
                body[f"{prefix}_phone_number"] = number
        return body

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        response = self.call(
            "POST", f"{self._customer_path()}/delivery_quotes", json_body=self._places(request)
        )
        if not response.ok:
            raise problem_error(response, what="quote the delivery")
        body = as_mapping(response.json(), courier=CODE, field="quote answer")
        fee = body.get("fee")
        if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
            raise MalformedResponse("uber_direct: a quote without a fee in cents", courier=CODE)
        currency = currency_code(body.get("currency_type") or body.get("currency"), courier=CODE)
        service = (
            request.service_code if request.service_code not in ("", "any") else SAME_DAY_SERVICE
        )
        return [
            Quote(
                courier=CODE,
                service_code=service,
                service_name="Uber Direct courier",
                price_minor=fee,
                currency=currency,
                estimated_delivery=delivery_window(body),
            )
        ]

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        parcels = request.parcels
        body = {
            **self._places(request),
            "pickup_name": (request.sender.get("name") or "Store")[:100],
            "dropoff_name": (request.recipient.get("name") or "Customer")[:100],
            "manifest_items": [
                {
                    "name": "Parcel",
                    "quantity": 1,
                    "weight": p.weight_g,
                    # Uber's dimensions are centimetres.
                    "dimensions": {
                        "length": max(1, round(p.length_mm / 10)),
                        "height": max(1, round(p.height_mm / 10)),
                        "depth": max(1, round(p.width_mm / 10)),
                    },
                }
                for p in parcels
            ],
            "manifest_reference": request.reference[:100],
        }
        headers = {}
        if request.idempotency_key:
            body["external_id"] = request.idempotency_key
            body["idempotency_key"] = request.idempotency_key
            headers["Idempotency-Key"] = request.idempotency_key  # lets our layer retry the POST
        response = self.call(
            "POST", f"{self._customer_path()}/deliveries", json_body=body, headers=headers
        )
        if not response.ok:
            raise problem_error(response, what="create the delivery")
        delivery = as_mapping(response.json(), courier=CODE, field="delivery answer")
        result = parse_delivery(delivery)
        return CreatedShipment(
            tracking_number=result.tracking_number,
            estimated_delivery=result.estimated_delivery,
            raw=delivery,
            courier_reference=result.tracking_number,
        )

    def cancel(self, tracking_number: str) -> None:
        response = self.call(
            "POST", f"{self._customer_path()}/deliveries/{_delivery_path(tracking_number)}/cancel"
        )
        if not response.ok:
            raise problem_error(response, what="cancel the delivery")

    def track_one(self, reference: str) -> TrackingResult:
        response = self.call(
            "GET", f"{self._customer_path()}/deliveries/{_delivery_path(reference)}"
        )
        if not response.ok:
            raise problem_error(response, what="show the delivery")
        return parse_delivery(as_mapping(response.json(), courier=CODE, field="delivery"))

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        """A saved delivery answer or webhook body (no signature or age check)."""
        document = read_json_object(body, courier=CODE, what="document")
        if str(document.get("kind", "")).startswith("event."):
            update = parse_webhook_body(document)
            return {e.tracking_number: TrackingResult.from_events(e.tracking_number, [e])
                    for e in update.events}  # fmt: skip
        result = parse_delivery(document)
        return {result.tracking_number: result}

    # --- webhooks ---------------------------------------------------------------------------

    def verify_signature(self, body: bytes, headers: Mapping[str, str]) -> None:
        key = self.credentials.get("webhook_signing_key", "")
        if not key:
            raise WebhookRejected(
                "no webhook signing key is configured for this Uber Direct account", courier=CODE
            )
        signature = next(
            (header(headers, name) for name in SIGNATURE_HEADERS if header(headers, name)), ""
        )
        if not signature:
            raise WebhookRejected("Uber Direct webhook without x-uber-signature", courier=CODE)
        expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            raise WebhookRejected("Uber Direct webhook signature does not match", courier=CODE)

    def parse_webhook_update(self, body: bytes, headers: Mapping[str, str]) -> WebhookUpdate:
        self.verify_signature(body, headers)
        document = read_json_object(body, courier=CODE, what="webhook body")
        created = parse_timestamp(document.get("created"), courier=CODE, field="webhook created")
        check_fresh(created, now=datetime.now(UTC), courier=CODE)
        update = parse_webhook_body(document)
        event_id = document.get("id")
        nonce = (
            f"{CODE}:{event_id}"[:128]
            if isinstance(event_id, str) and event_id
            else body_nonce(CODE, body)
        )
        return WebhookUpdate(update.events, update.positions, nonce)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        return list(self.parse_webhook_update(body, headers).events)


def _delivery_path(reference: str) -> str:
    if not reference or not all(c.isalnum() or c in "-_" for c in reference):
        raise TrackingNotFound(f"uber_direct: {reference!r} is not a delivery id", courier=CODE)
    return reference


def parse_webhook_body(document: Mapping[str, Any]) -> WebhookUpdate:
    """An Uber Direct webhook → events and positions (no verification here)."""
    kind = document.get("kind")
    created = parse_timestamp(document.get("created"), courier=CODE, field="webhook created")
    data = document.get("data")
    data = data if isinstance(data, Mapping) else {}
    delivery_id = identifier(
        document.get("delivery_id") or data.get("id"), courier=CODE, what="a webhook"
    )
    status = text(document.get("status") or data.get("status"), 40)
    imminent = data.get("courier_imminent") is True
    if kind == "event.delivery_status":
        if not status:
            raise MalformedResponse("uber_direct: a status webhook without status", courier=CODE)
        event = delivery_event(
            delivery_id, status, imminent, created, text(data.get("undeliverable_reason"), 64)
        )
        return WebhookUpdate(
            events=(event,),
            positions=_positions(document, data, delivery_id, created, status, imminent),
        )
    if kind == "event.courier_update":
        positions = _positions(document, data, delivery_id, created, status, imminent)
        if not positions:
            raise MalformedResponse("uber_direct: a courier update without location", courier=CODE)
        return WebhookUpdate(positions=positions)
    return WebhookUpdate()  # another kind of event: nothing of ours to store


def _positions(
    document: Mapping[str, Any],
    data: Mapping[str, Any],
    delivery_id: str,
    created: datetime,
    status: str,
    imminent: bool,
) -> tuple[PositionReport, ...]:
    courier = data.get("courier")
    courier = courier if isinstance(courier, Mapping) else {}
    location = document.get("location") or courier.get("location")
    if not isinstance(location, Mapping):
        return ()
    return (
        position_report(
            delivery_id,
            location.get("lat"),
            location.get("lng"),
            created,
            courier=CODE,
            courier_name=first_name(courier.get("name")),
            vehicle=text(courier.get("vehicle_type"), 40),
            eta_at=optional_timestamp(data.get("dropoff_eta")),
            arriving=imminent and status == "dropoff",
        ),
    )
