"""The app's tasks, imported here for Celery's autodiscovery (names: integrations.tasks.*)."""

from integrations.platforms.tasks import (
    process_inbound_webhook,
    push_platform_shipment,
    queue_lost_inbound_webhooks,
)
from integrations.webhooks.tasks import deliver_webhook, queue_due_webhooks

__all__ = [
    "deliver_webhook",
    "process_inbound_webhook",
    "push_platform_shipment",
    "queue_due_webhooks",
    "queue_lost_inbound_webhooks",
]
