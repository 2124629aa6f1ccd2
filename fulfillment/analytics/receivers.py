"""Rollups follow events: each signal notes the orders or shipments it touches (one Redis set add
per signal, or per ingest batch for tracking's status changes; without Redis the orders are
marked dirty at once); beat's fold applies them (connected in FulfillmentConfig.ready())."""

from __future__ import annotations

import logging
from typing import Any

from fulfillment.analytics.services.dirty import (
    note_order,
    note_orders,
    note_shipment,
    note_shipments,
)

logger = logging.getLogger(__name__)


def on_order_changed(sender: Any, *, order_id: int, **kwargs: Any) -> None:
    """Sent after commit: an error is logged, never raised into intake or routing."""
    try:
        note_order(order_id, merchant_id=kwargs.get("merchant_id"))
    except Exception:
        logger.exception("analytics: order %s not marked dirty", order_id)


def on_shipment_changed(sender: Any, *, shipment_id: int, **kwargs: Any) -> None:
    """Sent after commit: an error is logged, never raised into booking or tracking's ingest.
    A status change that is part of an ingest batch (batched=True) is noted with its batch."""
    if kwargs.get("batched"):
        return
    try:
        note_shipment(shipment_id)
    except Exception:
        logger.exception("analytics: shipment %s not marked dirty", shipment_id)


def on_shipments_changed(sender: Any, *, shipment_ids: list[int], **kwargs: Any) -> None:
    """Tracking's ingest batch: one round trip for all its status changes (their orders, with
    the merchant, when the batch names them). Also the changes no status shows (stuck,
    handled, cancelled, refunded, rescheduled, redirected: shipments_touched)."""
    try:
        order_ids, merchant_id = kwargs.get("order_ids"), kwargs.get("merchant_id")
        if order_ids and merchant_id is not None:
            note_orders(order_ids, merchant_id=merchant_id)
        else:
            note_shipments(shipment_ids)
    except Exception:
        logger.exception("analytics: %s shipments not marked dirty", len(shipment_ids))


def _signals() -> list[tuple[Any, Any, str]]:
    from fulfillment.orders.signals import order_created, order_routed
    from fulfillment.shipments.signals import shipment_booked, shipment_voided
    from fulfillment.tracking.signals import (
        shipment_status_changed,
        shipment_statuses_changed,
        shipments_touched,
    )

    return [
        (order_created, on_order_changed, "order_created"),
        (order_routed, on_order_changed, "order_routed"),
        (shipment_booked, on_shipment_changed, "shipment_booked"),
        (shipment_voided, on_shipment_changed, "shipment_voided"),
        (shipment_status_changed, on_shipment_changed, "shipment_status_changed"),
        (shipment_statuses_changed, on_shipments_changed, "shipment_statuses_changed"),
        (shipments_touched, on_shipments_changed, "shipments_touched"),
    ]


def connect() -> None:
    for signal, receiver, name in _signals():
        signal.connect(receiver, dispatch_uid=f"fulfillment.analytics.{name}")


def disconnect() -> None:
    """For the bench: the tracking pipeline timed without the receivers."""
    for signal, _receiver, name in _signals():
        signal.disconnect(dispatch_uid=f"fulfillment.analytics.{name}")
