"""The events a merchant can subscribe to and their payloads (versioned; docs/webhooks.md).

Payloads carry ids, numbers, statuses and links, never a secret (no pickup PIN, no QR
payload, no key). Every event of one order shares its ordering key, so a receiver gets an
order's events, and so each shipment's, in the order they happened.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fulfillment.tracking.notifications import tracking_url

PAYLOAD_VERSION = 1
PING = "ping"  # "send a test event": not subscribable, sent once and never retried

EVENT_TYPES: dict[str, str] = {
    "order.created": "A new order arrived (API, CSV import, checkout, dashboard).",
    "order.routed": "An order was allocated to storage points: at intake, or re-routed.",
    "shipment.booked": "The courier accepted a shipment: it has a tracking number and link.",
    "shipment.status_changed": "A shipment's tracking status changed.",
    "shipment.exception": "A shipment needs attention (the courier reported an exception).",
    "pickup.ready": "A parcel is ready for collection at a locker or pickup shop.",
    "pickup.collected": "The shopper collected a parcel at a locker or pickup shop.",
    "pickup.expired": "A parcel was not collected in time and goes back.",
}


def ordering_key(order_id: int) -> str:
    return f"order:{order_id}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def order_data(order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "reference": order.reference,
        "status": order.status,
        "source": order.source,
        "delivery_kind": order.delivery_kind,
        "service_level": order.service_level,
        "value_minor": order.value,
        "currency": order.currency,
        "created_at": _iso(order.created_at),
    }


def order_ref(order) -> dict[str, Any]:
    return {"id": order.pk, "reference": order.reference, "status": order.status}


def routed_data(order, points: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "order": order_ref(order),
        "points": [{"id": pk, "name": name} for pk, name in points],
        "rule": (order.routing or {}).get("rule", ""),
    }


def shipment_data(shipment) -> dict[str, Any]:
    return {
        "shipment": {
            "id": shipment.pk,
            "status": shipment.status,
            "tracking_number": shipment.tracking_number,
            "tracking_url": tracking_url(shipment) if shipment.tracking_number else None,
            "courier": shipment.account.courier,
            "courier_name": shipment.account.name,
            "service": shipment.service.code,
            "is_return": shipment.is_return,
            "price_minor": shipment.price_minor,
            "currency": shipment.currency,
            "booked_at": _iso(shipment.booked_at),
            "promised_until": _iso(shipment.promised_until),
            "delivered_at": _iso(shipment.delivered_at),
        },
        "order": order_ref(shipment.order),
    }


def parcel_data(parcel) -> dict[str, Any]:
    place = parcel.bank or parcel.shop
    return {
        "parcel": {
            "id": parcel.pk,
            "status": parcel.status,
            "tracking_number": parcel.tracking_number,
            "place": {
                "kind": "locker" if parcel.bank_id else "shop",
                "id": place.pk if place else None,
                "name": place.name if place else "",
            },
            "arrived_at": _iso(parcel.arrived_at),
            "collect_by": _iso(parcel.collect_by),
            "collected_at": _iso(parcel.collected_at),
        },
        "order": order_ref(parcel.order),
    }


def envelope(*, event_id: int, event_type: str, created_at: dt.datetime, data: dict) -> dict:
    return {
        "id": f"evt_{event_id}",
        "type": event_type,
        "version": PAYLOAD_VERSION,
        "created_at": _iso(created_at),
        "data": data,
    }


def body_bytes(event) -> bytes:
    """The raw body POSTed (and signed): the same bytes on every attempt of one event."""
    document = envelope(
        event_id=event.pk, event_type=event.type, created_at=event.created_at, data=event.payload
    )
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
