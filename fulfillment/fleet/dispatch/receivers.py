"""Booking knows nothing of routes: a booked own-delivery shipment queues its insertion into
today's planned or running routes (connected in FulfillmentConfig.ready())."""

from __future__ import annotations

from typing import Any

from fulfillment.shipments.signals import shipment_booked


def on_shipment_booked(sender: Any, *, shipment_id: int, **kwargs: Any) -> None:
    from fulfillment.fleet.dispatch.tasks import insert_booked_order
    from fulfillment.models import Shipment

    row = (
        Shipment.objects.filter(
            pk=shipment_id, is_return=False, service__fleet_service__isnull=False
        )
        .values_list("order_id", flat=True)
        .first()
    )
    if row is not None:
        insert_booked_order.delay(row)


def connect() -> None:
    shipment_booked.connect(on_shipment_booked, dispatch_uid="fulfillment.fleet.insert_booked")
