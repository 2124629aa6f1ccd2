"""Shopify test helpers: the documented sample order (tests/fixtures/shopify), a paid Chicago
order derived from it, a connected store on the fake Shopify, and signed deliveries."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

from devtools.fake_platforms.shopify import FakeShopify, webhook_headers
from integrations.models import PlatformConnection
from integrations.platforms.credentials import store_credentials
from integrations.platforms.receiving import new_webhook_token

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shopify"
TOKEN, SECRET = "shpat_test_0b9e4d", "shpss_test_7c2a1f"
_ids = itertools.count(5_000_000_000_001)


def sample_order() -> dict:
    """Shopify's documented orders/create sample, as it is (a cancelled, voided test order)."""
    return json.loads((FIXTURES / "orders_create_sample.json").read_text())


def chicago_order(*skus: str, code: str | None = None, **changes: Any) -> dict:
    """The sample made a paid, open order to Lincoln Park, Chicago, with a fresh id, one line
    per SKU; `code` is the shipping line's code (a Nearbox CarrierService rate)."""
    order = sample_order()
    order_id = next(_ids)
    order.update(
        id=order_id,
        name=f"#{order_id % 100000}",
        cancelled_at=None,
        cancel_reason=None,
        financial_status="paid",
        updated_at="2026-12-05T10:00:00-06:00",
        created_at="2026-12-05T10:00:00-06:00",
    )
    address = {
        **order["shipping_address"],
        "address1": "2001 N Clark St",
        "city": "Chicago",
        "zip": "60614",
        "province": "Illinois",
        "province_code": "IL",
        "phone": "+13125550100",
    }
    order["shipping_address"] = address
    template = order["line_items"][0]
    order["line_items"] = [
        {**copy.deepcopy(template), "id": next(_ids), "sku": sku, "title": sku, "name": sku}
        for sku in (skus or ("IPOD2008PINK",))
    ]
    order["shipping_lines"][0]["code"] = code
    order.update(changes)
    return order


def make_connection(merchant, shop_url: str = "https://fake-store.myshopify.com", **fields):
    connection = PlatformConnection(
        merchant=merchant,
        platform="shopify",
        name="Fake Store",
        shop_url=shop_url,
        webhook_token=new_webhook_token(),
        state=PlatformConnection.State.ACTIVE,
        **fields,
    )
    store_credentials(connection, {"access_token": TOKEN, "app_secret": SECRET})
    connection.save()
    return connection


def signed(topic: str, order: dict, **options: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(order).encode()
    return body, webhook_headers(topic, body, secret=options.pop("secret", SECRET), **options)


def django_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers for Django's test client (HTTP_X_SHOPIFY_…), Content-Type as content_type."""
    return {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in headers.items()
        if name != "Content-Type"
    }


def fake_shop() -> FakeShopify:
    return FakeShopify(token=TOKEN, secret=SECRET)
