"""The demo shop that `make run` serves on its own origin, and the demo key that lets it in."""

from __future__ import annotations

import pytest

from demo.seeders import merchant as demo
from devtools.demo_shop import Placed, checkout_page, woo_order
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
        placed=Placed(reference="<b>#1</b>", order_id=1, order_key="wc_order_<i>"),
    )
    assert 'id="order-reference">&lt;b&gt;#1&lt;/b&gt;</strong>' in thanks
    assert 'href="/orders/1?key=wc_order_&lt;i&gt;"' in thanks
    assert "<b>#1</b>" not in thanks
    refused = checkout_page(
        nearbox_url="http://127.0.0.1:8000",
        key="k",
        locale="en",
        placed=Placed(error="Please fill in: <i>Name</i>."),
    )
    assert "Order not placed" in refused and "&lt;i&gt;Name&lt;/i&gt;" in refused
    assert "order-reference" not in refused
    not_taken = checkout_page(
        nearbox_url="http://127.0.0.1:8000",
        key="k",
        locale="en",
        placed=Placed(reference="#2", order_id=2, error="Nearbox answered 401."),
    )
    assert "Nearbox did not take the order" in not_taken


@pytest.mark.parametrize(
    ("fields", "rate"),
    [
        ({"nearbox_delivery_kind": "home", "nearbox_service_id": "opt-7"}, "home:opt-7"),
        (
            {"nearbox_delivery_kind": "locker", "nearbox_pickup_location_ref": "locker:4"},
            "locker:4",
        ),
        (
            {"nearbox_delivery_kind": "pickup_shop", "nearbox_pickup_location_ref": "shop:2"},
            "shop:2",
        ),
        ({}, ""),
    ],
)
def test_the_widgets_choice_becomes_nearboxs_shipping_line(fields, rate):
    order = woo_order({"name": "Ann Lee", "postal_code": "60601", **fields}, checkout_id="ab12")
    [line] = order["shipping_lines"]
    if rate:
        assert line["method_id"] == "nearbox"
        assert {"key": "nearbox_rate", "value": rate} in line["meta_data"]
    else:
        assert (line["method_id"], line["meta_data"]) == ("flat_rate", [])
    assert order["status"] == "processing" and order["total"] == "68.00"
    assert [(x["sku"], x["quantity"]) for x in order["line_items"]] == [
        ("MUG-CLASSIC", 2),
        ("COFFEE-1KG", 1),
    ]
    assert (order["shipping"]["first_name"], order["shipping"]["last_name"]) == ("Ann", "Lee")


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
