"""Rollups follow events: each signal notes the order or shipment it touches (a Redis set add, or
the day marked dirty at once without Redis); beat's fold recomputes the days (connected in
FulfillmentConfig.ready())."""

from __future__ import annotations

import logging
from typing import Any

from fulfillment.analytics.services.dirty import note_order, note_shipment

logger = logging.getLogger(__name__)


def on_order_changed(sender: Any, *, order_id: int, **kwargs: Any) -> None:
    """Sent after commit: an error is logged, never raised into intake or routing."""
    try:
        note_order(order_id)
    except Exception:
        logger.exception("analytics: order %s not marked dirty", order_id)


def on_shipment_changed(sender: Any, *, shipment_id: int, **kwargs: Any) -> None:
    """Sent after commit: an error is logged, never raised into booking or tracking's ingest."""
    try:
        note_shipment(shipment_id)
    except Exception:
        logger.exception("analytics: shipment %s not marked dirty", shipment_id)


def connect() -> None:
    from fulfillment.orders.signals import order_created, order_routed
    from fulfillment.shipments.signals import shipment_booked, shipment_voided
    from fulfillment.tracking.signals import shipment_status_changed

    order_created.connect(on_order_changed, dispatch_uid="fulfillment.analytics.order_created")
    order_routed.connect(on_order_changed, dispatch_uid="fulfillment.analytics.order_routed")
    for signal, name in (
        (shipment_booked, "shipment_booked"),
        (shipment_voided, "shipment_voided"),
        (shipment_status_changed, "shipment_status_changed"),
    ):
        signal.connect(on_shipment_changed, dispatch_uid=f"fulfillment.analytics.{name}")


def disconnect() -> None:
    """For the bench: the tracking pipeline timed without the receivers."""
    from fulfillment.orders.signals import order_created, order_routed
    from fulfillment.shipments.signals import shipment_booked, shipment_voided
    from fulfillment.tracking.signals import shipment_status_changed

    for signal, name in (
        (order_created, "order_created"),
        (order_routed, "order_routed"),
        (shipment_booked, "shipment_booked"),
        (shipment_voided, "shipment_voided"),
        (shipment_status_changed, "shipment_status_changed"),
    ):
        signal.disconnect(dispatch_uid=f"fulfillment.analytics.{name}")
