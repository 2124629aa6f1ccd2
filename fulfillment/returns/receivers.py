"""Tracking tells the returns portal that a return parcel arrived (connected in
FulfillmentConfig.ready())."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.returns.services.requests import receive_shipment_return

logger = logging.getLogger(__name__)


def on_shipment_status_changed(
    sender: Any, *, shipment_id: int, new_status: str, **kwargs: Any
) -> None:
    """A delivered return shipment receives its request (stock back, order returned). Sent
    after commit: an error here is logged, never raised into tracking's ingest."""
    if new_status != TrackingStatus.DELIVERED.value:
        return
    try:
        receive_shipment_return(shipment_id=shipment_id)
    except ValidationError as error:
        logger.warning("return parcel %s not received: %s", shipment_id, error.messages)
    except Exception:
        logger.exception("return parcel %s not received", shipment_id)


def connect() -> None:
    from fulfillment.tracking.signals import shipment_status_changed

    shipment_status_changed.connect(
        on_shipment_status_changed, dispatch_uid="fulfillment.returns.receive_on_delivery"
    )
