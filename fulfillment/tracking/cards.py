"""Tracking's count on the merchant's Today page (registered in FulfillmentConfig.ready())."""

from __future__ import annotations

from django.urls import reverse

from fulfillment.tracking.selectors import exception_count
from merchant.dashboard_cards import Card
from merchant.models import Merchant


def exceptions_card(merchant: Merchant) -> Card:
    count = exception_count(merchant)
    return Card(
        label="Open exceptions",
        count=count,
        url=reverse("shipment_exceptions"),
        tone="warning" if count else "ok",
    )
