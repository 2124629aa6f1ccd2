"""Models of the integrations app, one module per concept."""

from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = ["WebhookDelivery", "WebhookEndpoint", "WebhookEvent"]
