"""The sandbox courier, client side: DHL Unified tracking plus the sandbox's own calls.

Run the server itself (a dev tool) with `python -m devtools.courier_sandbox --port N` (see
devtools/courier_sandbox/). Credentials: `api_key` (sent as DHL-API-Key) and
`webhook_secret` (verifies pushed webhooks).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from fulfillment.couriers.adapters.base import Capabilities, CredentialField
from fulfillment.couriers.adapters.dhl import DhlAdapter, parse_event, problem_error
from fulfillment.couriers.adapters.errors import MalformedResponse, WebhookRejected
from fulfillment.couriers.adapters.mapping import (
    as_list,
    as_mapping,
    clean_text,
    optional_timestamp,
)
from fulfillment.couriers.adapters.types import (
    ChangeBatch,
    CreatedShipment,
    DeliveryWindow,
    Quote,
    ShipmentRequest,
    TrackingEvent,
)
from fulfillment.couriers.adapters.webhooks import verify


def request_body(request: ShipmentRequest) -> dict[str, Any]:
    return {
        "service": request.service_code,
        "reference": request.reference,
        "sender": dict(request.sender),
        "recipient": dict(request.recipient),
        "parcels": [asdict(p) for p in request.parcels],
    }


def window(frame: Any) -> DeliveryWindow | None:
    if not isinstance(frame, Mapping):
        return None
    start = optional_timestamp(frame.get("estimatedFrom"))
    end = optional_timestamp(frame.get("estimatedThrough"))
    return DeliveryWindow(start, end) if start and end else None


def label_document(body: Mapping[str, Any], *, courier: str) -> tuple[bytes | None, str | None]:
    """The courier's own label from a create answer, when it sends one, as DHL's shipment API
    does: `documents: [{"typeCode": "label", "imageFormat": "PDF"|"ZPL", "content": base64}]`."""
    for document in as_list(body.get("documents") or [], courier=courier, field="documents"):
        document = as_mapping(document, courier=courier, field="document")
        if str(document.get("typeCode", "label")).lower() != "label":
            continue
        label_format = str(document.get("imageFormat", "")).lower()
        if label_format not in ("pdf", "zpl"):
            raise MalformedResponse(f"{courier}: label in unknown format", courier=courier)
        try:
            content = base64.b64decode(str(document.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse(f"{courier}: label is not base64", courier=courier) from None
        if not content:
            raise MalformedResponse(f"{courier}: empty label", courier=courier)
        return content, label_format
    return None, None


class SandboxAdapter(DhlAdapter):
    code = "sandbox"
    name = "Sandbox courier"
    default_base_url = "http://127.0.0.1:8765"
    capabilities = Capabilities(
        track_batch_size=50,
        has_webhooks=True,
        has_change_feed=True,
        can_quote=True,
        live_quotes=True,
        can_create_shipment=True,
        can_cancel=True,
        can_redirect=True,
    )
    credential_fields = (
        CredentialField("api_key", "API key (sent as DHL-API-Key)"),
        CredentialField("webhook_secret", "Webhook signing secret", required=False),
    )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method,
            f"{self.base_url}{path}",
            courier=self.code,
            secrets=self.secrets,
            headers={**self.auth_headers(), **kwargs.pop("headers", {})},
            **kwargs,
        )
        if not response.ok:
            raise problem_error(response, courier=self.code)
        return response.json() if response.content else None

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        body = as_mapping(
            self._call("POST", "/rates", json_body=request_body(request)),
            courier=self.code,
            field="rates answer",
        )
        if "rates" not in body:  # an answer without rates is not "no service today"
            raise MalformedResponse("sandbox: rates answer without rates", courier=self.code)
        quotes = []
        for rate in as_list(body.get("rates"), courier=self.code, field="rates"):
            try:
                quotes.append(
                    Quote(
                        courier=self.code,
                        service_code=str(rate["service"]),
                        service_name=str(rate["name"]),
                        price_minor=int(rate["price"]),
                        currency=str(rate["currency"]),
                        estimated_delivery=window(rate),
                    )
                )
            except (KeyError, TypeError, ValueError):
                raise MalformedResponse(
                    "sandbox: a rate without service/price", courier=self.code
                ) from None
        return quotes

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        body = as_mapping(
            self._call(
                "POST",
                "/shipments",
                json_body=request_body(request),
                headers={"Idempotency-Key": request.idempotency_key},
            ),
            courier=self.code,
            field="shipment answer",
        )
        number = body.get("trackingNumber")
        if not isinstance(number, str) or not number:
            raise MalformedResponse("sandbox: answer without trackingNumber", courier=self.code)
        label, label_format = label_document(body, courier=self.code)
        return CreatedShipment(
            tracking_number=number,
            label=label,
            label_format=label_format,
            estimated_delivery=window(body.get("estimatedDeliveryTimeFrame")),
            raw=body,
        )

    def cancel(self, tracking_number: str) -> None:
        self._call("DELETE", f"/shipments/{tracking_number}")

    def redirect(self, tracking_number: str, to: Mapping[str, str]) -> None:
        self._call(
            "POST", f"/shipments/{tracking_number}/redirect", json_body={"address": dict(to)}
        )

    def reschedule(self, tracking_number: str, day: dt.date) -> None:
        self._call(
            "POST", f"/shipments/{tracking_number}/reschedule", json_body={"date": day.isoformat()}
        )

    def fetch_changes(self, cursor: str | None) -> ChangeBatch:
        body = as_mapping(
            self._call("GET", "/track/changes", params={"since": cursor or "0"}),
            courier=self.code,
            field="changes answer",
        )
        if "changes" not in body:  # else a broken answer would read as "nothing new"
            raise MalformedResponse("sandbox: changes answer without changes", courier=self.code)
        events = []
        for change in as_list(body.get("changes"), courier=self.code, field="changes"):
            change = as_mapping(change, courier=self.code, field="change")
            event = as_mapping(change.get("event"), courier=self.code, field="change.event")
            number = clean_text(change.get("trackingNumber"))
            events.append(parse_event(number, event, courier=self.code))
        return ChangeBatch(tuple(events), clean_text(body.get("nextCursor") or cursor or "0"))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        verify(self.credentials.get("webhook_secret", ""), body, headers)
        try:
            payload = json.loads(body)
        except ValueError:
            raise WebhookRejected("webhook body is not JSON", courier=self.code) from None
        events: list[TrackingEvent] = []  # in the order pushed: duplicates and disorder kept
        shipments = as_mapping(payload, courier=self.code, field="webhook").get("shipments")
        for shipment in as_list(shipments, courier=self.code, field="shipments"):
            shipment = as_mapping(shipment, courier=self.code, field="shipment")
            number = clean_text(shipment.get("id"))
            for event in as_list(shipment.get("events"), courier=self.code, field="events"):
                event = as_mapping(event, courier=self.code, field="event")
                events.append(parse_event(number, event, courier=self.code))
        return events
