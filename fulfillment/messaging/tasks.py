"""Shopper messages sent by the worker (registered through fulfillment/tasks.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.send_return_message")
def send_return_message(return_id: int) -> int:
    """The message of a return's new state; a second run sends nothing more."""
    from fulfillment.messaging.services.order_messages import send_return_message as send

    return len(send(return_id=return_id))
