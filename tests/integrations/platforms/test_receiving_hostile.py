"""The platforms' webhook endpoint answers a malformed Content-Length with 400 and stores
nothing, instead of a 500."""

from __future__ import annotations

import pytest

from integrations.models import InboundWebhook
from integrations.platforms import receiving
from tests.integrations.platforms.shopify_support import (
    chicago_order,
    django_headers,
    make_connection,
    signed,
)


@pytest.mark.django_db
@pytest.mark.parametrize("length", ["²", "١٢", "-1", "12a"])
def test_a_content_length_that_is_not_ascii_digits_is_400(client, merchant_a, length):
    connection = make_connection(merchant_a.merchant)
    body, headers = signed("orders/create", chicago_order("MUG-1"))
    answer = client.post(
        receiving.webhook_url(connection).removeprefix("http://localhost:8000"),
        data=body,
        content_type="application/json",
        **django_headers(headers),
        CONTENT_LENGTH=length,
    )
    assert answer.status_code == 400 and answer.json()["code"] == "malformed"
    assert not InboundWebhook.objects.exists()
