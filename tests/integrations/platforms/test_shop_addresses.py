"""A store address is merchant-set and Nearbox calls it with the store's keys: outside
development it may not be (or resolve to) a loopback, private or link-local address, or
Nearbox could be pointed at its own network (SSRF)."""

from __future__ import annotations

import secrets
import socket

import pytest

from integrations.models import PlatformConnection
from integrations.platforms.base import PlatformError
from integrations.platforms.credentials import store_credentials
from integrations.platforms.saleor import SaleorConnector
from integrations.platforms.woocommerce import WooCommerceConnector

CREDENTIALS = {"consumer_key": "ck_test_0123456789", "consumer_secret": "cs_test_0123456789"}


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:6379",
        "http://localhost:8000",
        "http://169.254.169.254/latest",
        "https://10.0.0.5",
        "https://[::1]:8443",
        "https://[::ffff:127.0.0.1]",
        "http://db.internal",
        "http://0.0.0.0",
    ],
)
def test_a_local_woocommerce_address_is_refused_outside_development(settings, address):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = False
    with pytest.raises(ValueError):
        WooCommerceConnector.normalize_shop_url(address)


def test_a_public_woocommerce_address_is_kept_and_loopback_allowed_in_development(settings):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = False
    assert WooCommerceConnector.normalize_shop_url("shop.example.com/") == (
        "https://shop.example.com"
    )
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = True
    assert WooCommerceConnector.normalize_shop_url("http://127.0.0.1:8123") == (
        "http://127.0.0.1:8123"
    )


def test_a_store_name_that_resolves_to_a_private_address_is_not_called(
    merchant_a, settings, monkeypatch
):
    """A public-looking name (saved when it was public, or rebound since) is checked again,
    after DNS, before each call; nothing is sent to the private address."""
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = False
    connection = PlatformConnection(
        merchant=merchant_a.merchant,
        platform="woocommerce",
        name="Woo",
        shop_url="https://shop.example.com",
        webhook_token=secrets.token_urlsafe(32),
        state=PlatformConnection.State.ACTIVE,
    )
    store_credentials(connection, CREDENTIALS)
    connection.save()
    sent = []

    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host != "shop.example.com":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    connector = WooCommerceConnector(connection, CREDENTIALS)
    monkeypatch.setattr(connector.http, "request", lambda *a, **k: sent.append(a))
    with pytest.raises(PlatformError) as refused:
        connector.test_connection()
    assert "10.1.2.3" in refused.value.detail
    assert sent == []


def test_a_saleor_api_name_that_resolves_to_a_private_address_gets_no_app_token(
    merchant_a, settings, monkeypatch
):
    settings.NEARBOX_PLATFORMS_ALLOW_LOOPBACK = False
    connection = PlatformConnection(
        merchant=merchant_a.merchant,
        platform="saleor",
        name="Saleor",
        shop_url="https://shop.example.com/graphql/",
        webhook_token=secrets.token_urlsafe(32),
        state=PlatformConnection.State.ACTIVE,
    )
    store_credentials(connection, {"auth_token": "app-token"})
    connection.save()
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host != "shop.example.com":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fd00::7", port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    sent = []
    connector = SaleorConnector(connection, {"auth_token": "app-token"})
    monkeypatch.setattr(connector.http, "post", lambda *a, **k: sent.append(k))
    with pytest.raises(PlatformError) as refused:
        connector.test_connection()
    assert "fd00::7" in refused.value.detail
    assert sent == []
