"""The demo shop as a connected WooCommerce store (`make run`): its checkout's orders reach
Nearbox the way a real store's do, as signed order.created webhooks to this connection's
address, and Nearbox writes the tracking back to the shop's own WooCommerce API.

The connection is made here directly rather than through connect_store: `seed_demo` runs before
the demo shop is up, so there is no store to register webhooks at yet. Instead the shop is
started with this connection's webhook address and secret (config/devrun.py), which is what
Nearbox would have registered. Keys are derived from SECRET_KEY, as the demo API keys are, so
every start prints the same ones without storing them anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from django.conf import settings
from django.db import transaction

from integrations.crypto import SecretUnreadable
from integrations.models import Platform, PlatformConnection
from integrations.platforms.credentials import read_credentials, store_credentials
from integrations.platforms.receiving import new_webhook_token, webhook_url
from integrations.platforms.woocommerce import WooCommerceConnector
from integrations.platforms.writeback import stores_changed
from merchant.models import Merchant

DEMO_STORE_NAME = "Demo shop (WooCommerce)"


def demo_shop_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('SHOP_PORT', '8766')}"


def _derived(purpose: str, prefix: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"nearbox-demo-woo-{purpose}".encode(), "sha256")
    return prefix + hashlib.sha256(mac.digest()).hexdigest()[:40]


def demo_credentials() -> dict[str, str]:
    return {
        "consumer_key": _derived("key", "ck_"),
        "consumer_secret": _derived("secret", "cs_"),
    }


def ensure_demo_store(*, merchant: Merchant, shop_url: str | None = None) -> dict[str, str]:
    """The demo merchant's WooCommerce connection to the demo shop (made once, its address kept
    current); returns what the shop needs: Nearbox's webhook address and secret for it, and the
    API key Nearbox calls it with."""
    shop_url = shop_url or demo_shop_url()
    credentials = demo_credentials()
    with transaction.atomic():
        connection = (
            PlatformConnection.objects.for_merchant(merchant)
            .select_for_update()
            .filter(platform=Platform.WOOCOMMERCE, name=DEMO_STORE_NAME)
            .exclude(state=PlatformConnection.State.DISCONNECTED)
            .first()
        )
        if connection is None:
            connection = PlatformConnection(
                merchant=merchant,
                platform=Platform.WOOCOMMERCE,
                name=DEMO_STORE_NAME,
                webhook_token=new_webhook_token(),
                settings={"demo": True},
            )
        connection.shop_url = shop_url  # a run on another SHOP_PORT moves the shop
        connection.state = PlatformConnection.State.ACTIVE
        try:
            stored = read_credentials(connection)
        except SecretUnreadable:  # SECRET_KEY changed: the derived keys changed with it
            stored = {}
        if stored != credentials:
            store_credentials(connection, credentials)
        connection.save()
        stores_changed()  # write-back's cached set of merchants with a store
    secret = WooCommerceConnector(connection, credentials).webhook_secret()
    return {
        "shop_url": shop_url,
        "webhook_url": webhook_url(connection),
        "webhook_secret": secret,
        **credentials,
    }
