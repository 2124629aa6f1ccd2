"""Addresses a reviewer found answered with a 500 or a crash: an endpoint URL urlsplit cannot
read ("http://[::1") or whose port is out of range, and a store address with such a port. Each
is a clear refusal, and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from integrations.models import WebhookEndpoint
from integrations.platforms.saleor import SaleorConnector
from integrations.platforms.woocommerce import WooCommerceConnector
from integrations.webhooks.targets import TargetRefused, check_resolved, clean_url


@pytest.mark.parametrize("url", ["http://[::1", "https://example.com:99999/hooks"])
def test_an_unreadable_endpoint_url_is_a_form_error(url):
    with pytest.raises(ValidationError):
        clean_url(url)


def test_an_endpoint_url_that_cannot_be_read_is_422_on_both_pages(merchant_a, client_a):
    base = "/app/settings/integrations/"
    response = client_a.post(base, {"url": "http://[::1", "events": ["order.created"]})
    assert response.status_code == 422
    assert not WebhookEndpoint.objects.exists()


def test_a_stored_url_with_an_impossible_port_is_refused_not_raised(settings):
    settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(TargetRefused):
        check_resolved("https://example.com:99999/hooks")


@pytest.mark.parametrize("connector", [WooCommerceConnector, SaleorConnector])
def test_a_store_address_with_an_impossible_port_is_refused(connector):
    with pytest.raises(ValueError):
        connector.normalize_shop_url("https://shop.example.com:99999")


@pytest.mark.parametrize("url", ["http://[::1", "https://example.com:99999/hooks"])
def test_the_api_answers_an_unreadable_endpoint_url_with_a_problem(api_client_a, url):
    response = api_client_a.post(
        "/api/v1/webhooks/endpoints",
        {"url": url, "events": ["order.created"]},
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content
    assert not WebhookEndpoint.objects.exists()
