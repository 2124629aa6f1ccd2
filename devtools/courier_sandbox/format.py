"""The sandbox's answers in DHL Shipment Tracking – Unified format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from devtools.courier_sandbox.timeline import Step


def iso(epoch: float) -> str:
    # Milliseconds: on an accelerated clock several events fall within one second.
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def address(place: str, shipment: dict[str, Any]) -> dict[str, str]:
    party = shipment["sender"] if place == "origin" else shipment["recipient"]
    locality = {
        "hub": f"{party.get('city', '')} sorting centre",
        "pickup_point": f"Service point, {party.get('city', '')}",
    }.get(place, party.get("city", ""))
    return {
        "countryCode": party.get("country", ""),
        "postalCode": party.get("postal_code", ""),
        "addressLocality": locality,
    }


def dhl_event(shipment: dict[str, Any], step: Step, when: float) -> dict[str, Any]:
    event: dict[str, Any] = {
        "timestamp": iso(when),
        "location": {"address": address(step.place, shipment)},
        "statusCode": step.status_code,
        "status": step.status,
        "description": step.description,
    }
    if step.remark:
        event["remark"] = step.remark
    return event


def dhl_shipment(
    shipment: dict[str, Any],
    events: list[dict[str, Any]],
    estimate: tuple[float, float] | None,
) -> dict[str, Any]:
    """`events` newest first, as DHL lists them."""
    body: dict[str, Any] = {
        "id": shipment["tracking_number"],
        "service": "sandbox",
        "origin": {"address": address("origin", shipment)},
        "destination": {"address": address("destination", shipment)},
        "status": dict(events[0]) if events else {"statusCode": "unknown", "status": "UNKNOWN"},
        "details": {
            "product": {"productName": shipment.get("service", "")},
            "references": {"number": shipment.get("reference", ""), "type": "customer-reference"},
            "totalNumberOfPieces": len(shipment.get("parcels", [])),
        },
        "events": events,
    }
    if estimate:
        body["estimatedTimeOfDelivery"] = iso(estimate[1])
        body["estimatedDeliveryTimeFrame"] = {
            "estimatedFrom": iso(estimate[0]),
            "estimatedThrough": iso(estimate[1]),
        }
    return body


def problem(status: int, title: str, detail: str, instance: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "detail": detail, "status": status}
    if instance:
        body["instance"] = instance
    return body
