"""Celery tasks of shop platforms: drain the stored webhooks, write a shipment back, and beat's
sweep of deliveries whose task was lost. Registered as integrations.tasks.* (re-exported there
for autodiscovery). Each takes ids and is idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import OperationalError

from integrations.platforms import receiving, writeback
from integrations.platforms.base import PlatformError

logger = logging.getLogger(__name__)

MAX_RETRIES = 8  # about 20 minutes of backoff in all


def _countdown(retries: int) -> int:
    return max(1, get_exponential_backoff_interval(2, retries, maximum=300, full_jitter=True))


@shared_task(
    name="integrations.tasks.process_inbound_webhook",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def process_inbound_webhook(self, webhook_id: int | None = None) -> None:
    """Drain the stored deliveries (receiving.drain): queued by the receiving view only when no
    drain is coming, so a burst of deliveries is a few tasks, not one each. `webhook_id` is what
    messages of the task-per-delivery release carry: that one goes first."""
    try:
        receiving.drain(first=webhook_id)
    except OperationalError as error:
        # The database itself is away (a delivery's own retryable failure is postponed by the
        # drain): the deliveries stay queued for this retry, or for beat's sweep.
        if self.request.retries >= MAX_RETRIES:
            logger.error("platform webhook drain gave up: %s", error)
            return
        raise self.retry(exc=error, countdown=_countdown(self.request.retries)) from error


@shared_task(
    name="integrations.tasks.push_platform_shipment",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def push_platform_shipment(self, platform_order_id: int, shipment_id: int) -> None:
    try:
        writeback.push(platform_order_id=platform_order_id, shipment_id=shipment_id)
    except PlatformError as error:
        if not error.transient or self.request.retries >= MAX_RETRIES:
            writeback.record_failure(platform_order_id=platform_order_id, detail=error.detail)
            return
        raise self.retry(exc=error, countdown=_countdown(self.request.retries)) from error


@shared_task(name="integrations.tasks.queue_lost_inbound_webhooks", ignore_result=True)
def queue_lost_inbound_webhooks() -> int:
    """Deliveries waiting too long (their drain was lost with a worker or the broker): one drain
    for all of them."""
    ids = receiving.queued_too_long(limit=1)
    if ids:
        receiving.queue_drain()
    return len(ids)
