"""A NUL byte (or anything but a token's characters) in the token of a public webhook or Saleor
address is a 404: PostgreSQL refuses NUL in a query parameter, which was a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.models import InboundWebhook


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/webhooks/platforms/%00"),
        ("post", "/webhooks/platforms/ab%00cd"),
        ("get", "/saleor/%00/manifest"),
        ("post", "/saleor/%00/register"),
        ("post", "/saleor/%00/shipping-methods"),
        ("post", "/saleor/%00/filter-shipping-methods"),
    ],
)
def test_a_nul_byte_in_a_public_token_is_404(method, path):
    client = Client(raise_request_exception=False)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert not InboundWebhook.objects.exists()
