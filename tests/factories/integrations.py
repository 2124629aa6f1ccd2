"""Outgoing webhook endpoints and deliveries for tests."""

from __future__ import annotations

from django.utils import timezone

from integrations.models import (
    PlatformConnection,
    PlatformOrder,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from integrations.platforms.credentials import store_credentials
from integrations.platforms.receiving import new_webhook_token
from integrations.webhooks.events import EVENT_TYPES
from integrations.webhooks.services.endpoints import create_endpoint
from merchant.models import Merchant


def make_endpoint(
    merchant: Merchant, url: str = "http://127.0.0.1:9/hooks", events: list[str] | None = None
) -> WebhookEndpoint:
    return create_endpoint(merchant=merchant, url=url, events=events or list(EVENT_TYPES)).endpoint


def make_delivery(
    merchant: Merchant, *, endpoint: WebhookEndpoint | None = None
) -> WebhookDelivery:
    endpoint = endpoint or make_endpoint(merchant)
    now = timezone.now()
    event = WebhookEvent.objects.create(
        merchant=merchant,
        type="order.created",
        key=f"test:{now.timestamp()}:{endpoint.pk}",
        payload={"order": {"id": 1}},
    )
    return WebhookDelivery.objects.create(
        merchant=merchant,
        event=event,
        endpoint=endpoint,
        state=WebhookDelivery.State.DELIVERED,
        give_up_at=now,
        attempts=1,
        last_status_code=204,
    )


def make_store(
    merchant: Merchant, shop_url: str = "https://b-store.myshopify.com"
) -> PlatformConnection:
    """A connected Shopify store (no platform is called)."""
    connection = PlatformConnection(
        merchant=merchant,
        platform="shopify",
        name="Store",
        shop_url=shop_url,
        webhook_token=new_webhook_token(),
        state=PlatformConnection.State.ACTIVE,
    )
    store_credentials(connection, {"access_token": "shpat_test", "app_secret": "secret"})
    connection.save()
    return connection


def make_platform_order_exception(merchant: Merchant) -> PlatformOrder:
    return PlatformOrder.objects.create(
        merchant=merchant,
        connection=make_store(merchant),
        external_id="1001",
        external_name="#1001",
        state=PlatformOrder.State.EXCEPTION,
        problem="Unknown SKU “MUG-9”.",
        payload={"id": 1001},
    )


# For tests/test_tenant_isolation.py OBJECT_FACTORIES:
TENANT_FACTORIES = {
    "endpoint_id": lambda new: make_endpoint(new.merchant).pk,
    "delivery_id": lambda new: make_delivery(new.merchant).pk,
    "connection_id": lambda new: make_store(new.merchant).pk,
    "platform_order_id": lambda new: make_platform_order_exception(new.merchant).pk,
}
