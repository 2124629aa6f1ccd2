"""The demo shop that `make run` serves on its own origin, and the demo key that lets it in."""

from __future__ import annotations

import pytest

from lockers.demo_shop import checkout_page
from merchant.models import ApiKey
from merchant.services import demo
from merchant.services.api_keys import digest_key


def test_the_checkout_page_embeds_the_widget_from_nearbox_with_the_key_and_cart():
    html = checkout_page(
        nearbox_url="http://127.0.0.1:8000/", key="nbx_pk_demo", locale="pl", order=None
    )
    assert (
        '<script src="http://127.0.0.1:8000/pickup/widget/nearbox-widget.js" '
        'data-key="nbx_pk_demo" data-target="#nearbox-delivery" data-form="#checkout"'
    ) in html
    assert 'data-cart="MUG-CLASSIC:2,COFFEE-1KG:1" data-locale="pl"' in html
    assert "Order received" not in html


def test_a_posted_order_is_shown_escaped():
    html = checkout_page(
        nearbox_url="http://127.0.0.1:8000",
        key="k",
        locale="en",
        order={"nearbox_delivery_kind": "locker", "name": "<b>Ann</b>"},
    )
    assert "<code>locker</code>" in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html and "<b>Ann</b>" not in html


@pytest.mark.django_db
def test_an_older_demo_key_gains_the_demo_shop_origins(make_merchant):
    merchant = make_merchant("Windy").merchant
    raw = demo.demo_key(ApiKey.Kind.PUBLISHABLE)
    ApiKey.objects.create(
        merchant=merchant,
        kind=ApiKey.Kind.PUBLISHABLE,
        name="Demo publishable key",
        prefix=raw[:13],
        digest=digest_key(raw),
        allowed_origins=["http://127.0.0.1:8000", "https://shop.example"],
    )
    assert demo._ensure_demo_key(merchant, ApiKey.Kind.PUBLISHABLE) == raw
    key = ApiKey.objects.get(digest=digest_key(raw))
    assert key.allowed_origins == [
        "http://127.0.0.1:8000",
        "https://shop.example",
        "http://localhost:8000",
        "http://127.0.0.1:8766",
        "http://localhost:8766",
    ]
