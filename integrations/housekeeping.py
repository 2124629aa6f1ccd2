"""Retention of this app's growing tables, registered with fulfillment's housekeeping (which
cannot import integrations): store webhooks once processed, and outgoing webhook events with
their deliveries once none is still open. IntegrationsConfig.ready() imports this module."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from fulfillment.housekeeping.services.retention import (
    Deadline,
    RetentionPolicy,
    delete_in_batches,
    register,
)
from integrations.models import InboundWebhook, PlatformConnection, WebhookDelivery, WebhookEvent


def purge_inbound_webhooks(*, cutoff: dt.datetime, batch_size: int, deadline: Deadline) -> int:
    """Processed store webhooks older than `cutoff`, one connection at a time (the index
    inbound_webhook_log is (connection, -received_at)); a queued one is never deleted."""
    deleted = 0
    for connection_id in PlatformConnection.objects.order_by("pk").values_list("pk", flat=True):
        if deadline.passed:
            break
        old = InboundWebhook.objects.filter(
            connection_id=connection_id, received_at__lt=cutoff
        ).exclude(state=InboundWebhook.State.QUEUED)
        deleted += delete_in_batches(
            old, order_by="received_at", batch_size=batch_size, deadline=deadline
        )
    return deleted


def purge_webhook_events(*, cutoff: dt.datetime, batch_size: int, deadline: Deadline) -> int:
    """Outgoing events older than `cutoff` with their deliveries (cascade), unless a delivery
    is still pending or being sent: its retries go on until it is delivered or given up."""
    open_delivery = WebhookDelivery.objects.filter(
        event_id=OuterRef("pk"), state__in=WebhookDelivery.OPEN_STATES
    )
    old = WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(Exists(open_delivery))
    return delete_in_batches(old, order_by="pk", batch_size=batch_size, deadline=deadline)


register(
    RetentionPolicy(
        "inbound_webhooks", "NEARBOX_RETENTION_INBOUND_WEBHOOKS_DAYS", purge_inbound_webhooks
    )
)
register(
    RetentionPolicy(
        "webhook_events", "NEARBOX_RETENTION_WEBHOOK_DELIVERIES_DAYS", purge_webhook_events
    )
)
