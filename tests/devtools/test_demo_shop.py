"""The demo shop that `make run` serves on its own origin, and the demo key that lets it in."""

from __future__ import annotations

import pytest

from demo.seeders import merchant as demo
from devtools.demo_shop import Placed, checkout_page
from merchant.models import ApiKey
from merchant.services.api_keys import digest_key


def test_the_checkout_page_embeds_the_widget_from_nearbox_with_the_key_and_cart():
    html = checkout_page(nearbox_url="http://127.0.0.1:8000/", key="nbx_pk_demo", locale="pl")
    assert (
        '<script src="http://127.0.0.1:8000/pickup/widget/nearbox-widget.js" '
        'data-key="nbx_pk_demo" data-target="#nearbox-delivery" data-form="#checkout"'
    ) in html
    assert 'data-cart="MUG-CLASSIC:2,COFFEE-1KG:1" data-locale="pl"' in html
    assert "Order received" not in html


def test_the_thank_you_page_and_a_refusal_are_shown_escaped():
    thanks = checkout_page(
        nearbox_url="http://127.0.0.1:8000",
        key="k",
        locale="en",
        placed=Placed(reference="<b>WCG-1</b>", order_id=1),
    )
    assert 'id="order-reference">&lt;b&gt;WCG-1&lt;/b&gt;</strong>' in thanks
    assert "<b>WCG-1</b>" not in thanks
    refused = checkout_page(
        nearbox_url="http://127.0.0.1:8000",
        key="k",
        locale="en",
        placed=Placed(error="shopper.name: <i>required</i>"),
    )
    assert "Nearbox refused the order" in refused and "&lt;i&gt;required&lt;/i&gt;" in refused
    assert "order-reference" not in refused


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
