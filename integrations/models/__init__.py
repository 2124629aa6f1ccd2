"""Models of the integrations app, one module per concept."""

from integrations.models.platforms import (
    InboundWebhook,
    Platform,
    PlatformConnection,
    PlatformOrder,
)
from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "InboundWebhook",
    "Platform",
    "PlatformConnection",
    "PlatformOrder",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
