"""Celery tasks of shop platforms: process a stored webhook, write a shipment back, and beat's
sweep of deliveries whose task was lost. Registered as integrations.tasks.* (re-exported there
for autodiscovery). Each takes ids and is idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import OperationalError

from integrations.platforms import receiving, writeback
from integrations.platforms.base import PlatformError
from merchant.services.geocoding import GeocoderUnavailable

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
def process_inbound_webhook(self, webhook_id: int) -> None:
    try:
        receiving.process_webhook(webhook_id=webhook_id)
    except (GeocoderUnavailable, OperationalError) as error:
        if self.request.retries >= MAX_RETRIES:
            receiving.give_up(webhook_id=webhook_id, reason=f"Gave up after retries: {error}")
            return
        raise self.retry(exc=error, countdown=_countdown(self.request.retries)) from error
    except Exception as error:
        # Not something a retry cures (a payload a connector chokes on): failed, with the
        # reason on the store's page, instead of queued forever for beat's sweep to retry.
        logger.exception("platform webhook %s could not be processed", webhook_id)
        receiving.give_up(webhook_id=webhook_id, reason=f"Could not be processed: {error!r}")


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
    ids = receiving.queued_too_long()
    for webhook_id in ids:
        process_inbound_webhook.delay(webhook_id)
    return len(ids)
