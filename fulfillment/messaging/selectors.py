"""Reading the message log and templates, always through the merchant."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.models import Order, SentMessage
from merchant.models import Merchant
from merchant.models.scoping import get_for_merchant_or_404


def get_order_for_merchant(merchant: Merchant, order_id: object) -> Order:
    return get_for_merchant_or_404(Order, merchant, order_id)


def messages_of_order(merchant: Merchant, order: Order) -> QuerySet[SentMessage]:
    return (
        SentMessage.objects.for_merchant(merchant).filter(order=order).order_by("-sent_at", "-pk")
    )


def customised(merchant: Merchant, language: str) -> set[tuple[str, str]]:
    """(event, channel) pairs the merchant has its own words for, in this language."""
    from fulfillment.models import NotificationTemplate

    return set(
        NotificationTemplate.objects.for_merchant(merchant)
        .filter(language=language)
        .values_list("event", "channel")
    )
