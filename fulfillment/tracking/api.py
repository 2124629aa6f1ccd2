"""Tracking API, to mount at /api/v1/shipments: a shipment's normalised status, ETA window,
public tracking link and events. Courier webhooks are not here: they are a plain Django view
(fulfillment/tracking/views/webhooks.py), because the signature covers the raw body.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from fulfillment.tracking.notifications import tracking_url
from fulfillment.tracking.selectors import get_shipment_for_merchant, timeline
from merchant.api.fields import QueryId

router = Router(tags=["tracking"])


class TrackingEventOut(Schema):
    status: str
    occurred_at: dt.datetime
    courier_code: str
    courier_description: str
    location: str
    reason_code: str
    source: str


class TrackingOut(Schema):
    id: int
    order_id: int
    tracking_number: str
    status: str
    status_reason: str
    is_stuck: bool
    eta_from: dt.datetime | None
    eta_until: dt.datetime | None
    eta_confidence: float | None
    eta_source: str
    delivered_at: dt.datetime | None
    tracking_url: str
    events: list[TrackingEventOut]


@router.get("/{shipment_id}/tracking", response=TrackingOut)
def shipment_tracking(request: HttpRequest, shipment_id: QueryId):
    shipment = get_shipment_for_merchant(request.api_merchant, shipment_id)
    return {
        **{f: getattr(shipment, f) for f in TrackingOut.model_fields if hasattr(shipment, f)},
        "id": shipment.pk,
        "tracking_url": tracking_url(shipment),
        "events": list(timeline(shipment)[:200]),
    }
