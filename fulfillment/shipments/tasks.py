"""Celery tasks of shipments: booking off the request. Registered under its first name
(fulfillment.tasks.book_shipment_task) so queued tasks from before the move still resolve."""

from __future__ import annotations

from celery import shared_task

from fulfillment.couriers.adapters import CourierUnavailable


@shared_task(
    name="fulfillment.tasks.book_shipment_task",
    acks_late=True,
    autoretry_for=(CourierUnavailable,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def book_shipment_task(shipment_id: int) -> str:
    """Book a shipment with its courier; a retry (or a duplicate delivery) books nothing twice."""
    from fulfillment.shipments.services.booking import book_shipment

    return book_shipment(shipment_id=shipment_id).tracking_number
