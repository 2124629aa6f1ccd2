"""Reads of outgoing webhooks, always through the merchant."""

from __future__ import annotations

from django.db.models import QuerySet

from integrations.models import WebhookDelivery, WebhookEndpoint
from merchant.models import Merchant
from merchant.models.scoping import get_for_merchant_or_404


def get_endpoint_for_merchant(merchant: Merchant, endpoint_id: object) -> WebhookEndpoint:
    return get_for_merchant_or_404(WebhookEndpoint, merchant, endpoint_id)


def get_delivery_for_merchant(merchant: Merchant, delivery_id: object) -> WebhookDelivery:
    delivery = get_for_merchant_or_404(WebhookDelivery, merchant, delivery_id)
    return WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery.pk)


def endpoints_of(merchant: Merchant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_merchant(merchant).order_by("created_at", "pk")


def delivery_log(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first, with the event each delivery carries."""
    return (
        WebhookDelivery.objects.filter(merchant_id=endpoint.merchant_id, endpoint=endpoint)
        .select_related("event")
        .order_by("-pk")
    )
