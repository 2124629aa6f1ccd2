"""The merchant's Shopify CarrierService callback URL, and rotating its token.

The endpoint itself lives in lockers (it answers with the pickup network); merchant only knows
its URL name, so the lower app never imports the higher one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from merchant.models import Merchant
from merchant.models.tenants import new_shopify_token

CALLBACK_URL_NAME = "shopify_carrier_rates"


def shopify_callback_url(merchant: Merchant) -> str:
    """The absolute URL to give Shopify as the carrier service's callbackUrl."""
    path = reverse(CALLBACK_URL_NAME, kwargs={"token": merchant.shopify_token})
    return settings.NEARBOX_BASE_URL + path


def rotate_shopify_token(*, merchant: Merchant) -> Merchant:
    """A new token: the old callback URL answers 404 from now on."""
    with transaction.atomic():
        merchant.shopify_token = new_shopify_token()
        merchant.save(update_fields=["shopify_token"])
    return merchant
