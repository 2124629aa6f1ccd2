"""A return request approved (with a label) or received queues its shopper message, after
the change commits (connected in FulfillmentConfig.ready(); returns itself knows nothing of
messages)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from fulfillment.models.returns import ReturnRequest

ANNOUNCED = (ReturnRequest.State.APPROVED, ReturnRequest.State.RECEIVED)


def on_return_saved(sender: Any, *, instance: ReturnRequest, **kwargs: Any) -> None:
    if instance.state not in ANNOUNCED:
        return
    from fulfillment.messaging.tasks import send_return_message

    send_return_message.delay_on_commit(instance.pk)


def connect() -> None:
    post_save.connect(
        on_return_saved, sender=ReturnRequest, dispatch_uid="fulfillment.messaging.returns"
    )
