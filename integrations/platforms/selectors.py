"""Reads of connected stores, always through the merchant."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from integrations.models import InboundWebhook, PlatformConnection, PlatformOrder
from merchant.models import Merchant
from merchant.models.scoping import get_for_merchant_or_404


def get_connection_for_merchant(merchant: Merchant, connection_id: object) -> PlatformConnection:
    return get_for_merchant_or_404(PlatformConnection, merchant, connection_id)


def get_platform_order_for_merchant(merchant: Merchant, platform_order_id: object) -> PlatformOrder:
    found = get_for_merchant_or_404(PlatformOrder, merchant, platform_order_id)
    return PlatformOrder.objects.select_related("connection", "order").get(pk=found.pk)


def connections_of(merchant: Merchant) -> QuerySet[PlatformConnection]:
    """Connected stores first, each with its number of orders that need attention."""
    return (
        PlatformConnection.objects.for_merchant(merchant)
        .exclude(state=PlatformConnection.State.DISCONNECTED)
        .annotate(exceptions=Count("orders", filter=Q(orders__state=PlatformOrder.State.EXCEPTION)))
        .order_by("name", "pk")
    )


def received_log(connection: PlatformConnection) -> QuerySet[InboundWebhook]:
    """The store's deliveries, newest first (payloads left out: they can be large)."""
    return (
        InboundWebhook.objects.filter(merchant_id=connection.merchant_id, connection=connection)
        .defer("payload")
        .order_by("-received_at", "-pk")
    )


def sent_log(connection: PlatformConnection) -> QuerySet[PlatformOrder]:
    """Orders whose shipments were written back, most recently written first."""
    return (
        PlatformOrder.objects.filter(merchant_id=connection.merchant_id, connection=connection)
        .exclude(fulfillments={})
        .select_related("order")
        .defer("payload")
        .order_by("-updated_at", "-pk")
    )


def exceptions_of(connection: PlatformConnection) -> QuerySet[PlatformOrder]:
    return (
        PlatformOrder.objects.filter(
            merchant_id=connection.merchant_id,
            connection=connection,
            state=PlatformOrder.State.EXCEPTION,
        )
        .defer("payload")
        .order_by("-created_at", "-pk")
    )
