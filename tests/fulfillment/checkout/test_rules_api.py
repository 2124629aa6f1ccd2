"""Checkout rules through the API, applied wherever a shopper sees prices: the delivery-options
API (and so the widget), Shopify's rates and Saleor's methods; the preview gives the API's own
answer; hostile input is a 4xx that stores nothing; another merchant's rule is 404."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings

from fulfillment.models import CheckoutRule
from integrations.platforms.saleor.shipping import list_methods
from lockers.services.shopify import carrier_rates
from tests.fulfillment.checkout.conftest import SMALL, api, options, post_json

# A weekday afternoon (10:00 in Chicago): the same-day service is offered whatever the hour the
# suite runs at (it failed just after midnight UTC).
DAYTIME = dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.sqlite  # the delivery options run hand-written SQL

FREE_OVER_50 = {"name": "Free over $50", "action": "free", "min_order_minor": 5000}


def prices(body: dict) -> dict[str, tuple[int, str | None]]:
    found = {h["id"]: (h["price"]["amount"], h["rule"]) for h in body["home"]}
    for kind in ("lockers", "shops"):
        found.update({p["ref"]: (p["price"]["amount"], p["rule"]) for p in body[kind]})
    return found


@pytest.mark.django_db
@override_settings(NEARBOX_SHOPIFY_PICKUP_PRICE_MINOR=350)
def test_without_rules_home_has_its_rate_card_and_pickup_the_default_price(merchant_a, shop):
    body = options(merchant_a, postal_code="60614", **SMALL).json()
    found = prices(body)
    assert found[f"svc-{shop['next_day'].pk}"] == (899, None)
    assert found[f"locker:{shop['bank'].pk}"] == (350, None)
    assert found[f"shop:{shop['shop'].pk}"] == (350, None)
    assert body["home"][0]["level"] == "next_day"


@pytest.mark.django_db
def test_a_free_shipping_rule_made_through_the_api_prices_the_delivery_options(merchant_a, shop):
    made = post_json(api(merchant_a), "/api/v1/checkout-rules", FREE_OVER_50)
    assert made.status_code == 201, made.content
    assert made.json()["position"] == 0
    home = f"svc-{shop['next_day'].pk}"
    rich = options(merchant_a, postal_code="60614", value_minor=6000, **SMALL).json()
    assert prices(rich)[home] == (0, "Free over $50")
    poor = options(merchant_a, postal_code="60614", value_minor=4000, **SMALL).json()
    assert prices(poor)[home] == (899, None)


@pytest.mark.django_db(transaction=True)  # the checkout caches reload when a commit says so
def test_pickup_price_tags_and_order_apply_in_the_api(merchant_a, shop):
    client = api(merchant_a)
    pickup = post_json(
        client,
        "/api/v1/checkout-rules",
        {
            "name": "Pickup $1.50",
            "action": "set_price",
            "amount_minor": 150,
            "kinds": ["locker", "shop"],
        },
    ).json()
    hide = post_json(
        client,
        "/api/v1/checkout-rules",
        {
            "name": "No same day for bulky",
            "action": "hide",
            "tags": ["bulky"],
            "service_level": "same_day",
        },
    ).json()
    plain = prices(options(merchant_a, postal_code="60614", **SMALL).json())
    assert plain[f"locker:{shop['bank'].pk}"] == (150, "Pickup $1.50")
    assert f"svc-{shop['same_day'].pk}" in plain
    bulky = prices(options(merchant_a, postal_code="60614", tags="gift,bulky", **SMALL).json())
    assert f"svc-{shop['same_day'].pk}" not in bulky
    assert f"svc-{shop['next_day'].pk}" in bulky
    # Reorder: a round-to-whole rule first, then the pickup price, leaves the pickup price.
    rounding = post_json(
        client, "/api/v1/checkout-rules", {"name": "Whole", "action": "round", "rounding": "whole"}
    ).json()
    order = [rounding["id"], pickup["id"], hide["id"]]
    assert post_json(client, "/api/v1/checkout-rules/order", {"ids": order}).status_code == 204
    listed = client.get("/api/v1/checkout-rules").json()
    assert [r["id"] for r in listed] == order
    after = prices(options(merchant_a, postal_code="60614", **SMALL).json())
    assert after[f"locker:{shop['bank'].pk}"] == (150, "Pickup $1.50")
    assert after[f"svc-{shop['next_day'].pk}"] == (900, "Whole")


@pytest.mark.django_db
def test_shopify_rates_carry_the_rules_prices(merchant_a, shop):
    post_json(api(merchant_a), "/api/v1/checkout-rules", FREE_OVER_50)
    payload = {
        "rate": {
            "destination": {"country": "US", "postal_code": "60614"},
            "items": [{"sku": "", "grams": 500, "quantity": 3, "price": 2000}],
        }
    }
    rates = carrier_rates(merchant=merchant_a.merchant, payload=payload, now=DAYTIME)
    home = [r for r in rates if r["service_code"].startswith("home:")]
    assert home and all(r["total_price"] == "0" for r in home)
    payload["rate"]["items"][0]["quantity"] = 1
    rates = carrier_rates(merchant=merchant_a.merchant, payload=payload, now=DAYTIME)
    assert {r["total_price"] for r in rates if r["service_code"].startswith("home:")} == {
        "899",
        "1500",
    }


@pytest.mark.django_db
def test_a_shopify_cart_in_another_currency_is_not_compared_with_the_shops_threshold(
    merchant_a, shop
):
    """Shopify prices the items in the shopper's currency (rate.currency): 3 x CAD 20.00 is
    not "over $50", so the value rule does not apply (as Saleor's checkout_value does)."""
    post_json(api(merchant_a), "/api/v1/checkout-rules", FREE_OVER_50)
    payload = {
        "rate": {
            "destination": {"country": "US", "postal_code": "60614"},
            "items": [{"sku": "", "grams": 500, "quantity": 3, "price": 2000}],
            "currency": "CAD",
        }
    }
    rates = carrier_rates(merchant=merchant_a.merchant, payload=payload, now=DAYTIME)
    home = {r["total_price"] for r in rates if r["service_code"].startswith("home:")}
    assert home == {"899", "1500"}
    payload["rate"]["currency"] = "usd"  # the shop's own currency still counts
    rates = carrier_rates(merchant=merchant_a.merchant, payload=payload, now=DAYTIME)
    assert {r["total_price"] for r in rates if r["service_code"].startswith("home:")} == {"0"}


@pytest.mark.django_db
def test_saleor_methods_carry_the_rules_prices(merchant_a, shop):
    post_json(api(merchant_a), "/api/v1/checkout-rules", FREE_OVER_50)
    checkout = {
        "shippingAddress": {"postalCode": "60614", "country": {"code": "US"}},
        "lines": [{"quantity": 1, "variant": {"sku": "", "weight": {"unit": "G", "value": 500}}}],
        "subtotalPrice": {"gross": {"amount": 75.0, "currency": "USD"}},
    }
    methods = list_methods(
        merchant=merchant_a.merchant, payload={"checkout": checkout}, now=DAYTIME
    )
    assert {m["amount"] for m in methods if m["id"].startswith("home:")} == {0.0}
    checkout["subtotalPrice"]["gross"]["amount"] = 10.0
    methods = list_methods(
        merchant=merchant_a.merchant, payload={"checkout": checkout}, now=DAYTIME
    )
    assert {m["amount"] for m in methods if m["id"].startswith("home:")} == {8.99, 15.0}


@pytest.mark.django_db
def test_preview_answers_what_the_delivery_options_api_answers(merchant_a, shop):
    post_json(api(merchant_a), "/api/v1/checkout-rules", FREE_OVER_50)
    seen = post_json(
        api(merchant_a),
        "/api/v1/checkout-rules/preview",
        {"postal_code": "60614", "value_minor": 6000, **SMALL},
    )
    assert seen.status_code == 200, seen.content
    direct = options(merchant_a, postal_code="60614", value_minor=6000, **SMALL).json()
    assert prices(seen.json()) == prices(direct)
    assert prices(seen.json())[f"svc-{shop['next_day'].pk}"] == (0, "Free over $50")


HOSTILE = [
    ({**FREE_OVER_50, "min_order_minor": -1}, "min_order_minor"),
    ({**FREE_OVER_50, "min_order_minor": 10**30}, "min_order_minor"),
    ({"name": "x", "action": "markup_pct", "percent": 1e308}, "percent"),
    ({"name": "x", "action": "set_price", "amount_minor": -5}, "amount_minor"),
    ({"name": "x", "action": "set_price", "amount_minor": "5"}, "amount_minor"),
    ({"name": "x", "action": "free"}, "min_order_minor"),
    ({"name": "x", "action": "round"}, "rounding"),
    ({"name": "x", "action": "launch"}, "action"),
    ({"name": "bad\x00name", "action": "hide"}, "name"),
    ({"name": "x", "action": "hide", "kinds": ["boat"]}, "kinds"),
    ({"name": "x", "action": "hide", "countries": ["USA"]}, "countries"),
    ({"name": "x", "action": "hide", "zip_prefixes": ["60<6"]}, "zip_prefixes"),
    ({"name": "x", "action": "hide", "min_weight_g": 10, "max_weight_g": 5}, "max_weight_g"),
    ({"name": "x", "action": "hide", "service_id": 2**40}, "service"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), HOSTILE, ids=[f for _, f in HOSTILE])
def test_hostile_rule_input_is_a_422_naming_the_field_and_stores_nothing(merchant_a, body, field):
    response = post_json(api(merchant_a), "/api/v1/checkout-rules", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not CheckoutRule.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "x", "action": "markup_pct", "percent": NaN}',
        '{"name": "x", "action": "markup_pct", "percent": Infinity}',
        '{"name": "x", "action": "hide", "tags": ["\\ud800"]}',
    ],
)
def test_nan_infinity_and_lone_surrogates_are_refused(merchant_a, raw):
    response = api(merchant_a).post("/api/v1/checkout-rules", raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    assert not CheckoutRule.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"postal_code": "60614", "value_minor": -1, **SMALL},
        {"postal_code": "60614", "value_minor": 2**63, **SMALL},
        {"postal_code": "60614", **{**SMALL, "weight_g": 10**9}},
        {"postal_code": "", **SMALL},
        {"postal_code": "00000", **SMALL},
        {"postal_code": "60614", "tags": ["x"] * 51, **SMALL},
        {"postal_code": "60614", "weight_g": 500},
    ],
)
def test_a_preview_of_a_bad_cart_is_a_4xx(merchant_a, shop, body):
    response = post_json(api(merchant_a), "/api/v1/checkout-rules/preview", body)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"]


@pytest.mark.django_db
def test_rules_of_another_merchant_answer_404_and_reorder_must_list_every_rule(
    merchant_a, merchant_b
):
    theirs = post_json(api(merchant_b), "/api/v1/checkout-rules", FREE_OVER_50).json()["id"]
    mine = post_json(api(merchant_a), "/api/v1/checkout-rules", FREE_OVER_50).json()["id"]
    client = api(merchant_a)
    assert client.get(f"/api/v1/checkout-rules/{theirs}").status_code == 404
    assert (
        post_json(client, f"/api/v1/checkout-rules/{theirs}", FREE_OVER_50, "put").status_code
        == 404
    )
    assert client.delete(f"/api/v1/checkout-rules/{theirs}").status_code == 404
    wrong = post_json(client, "/api/v1/checkout-rules/order", {"ids": [mine, theirs]})
    assert wrong.status_code == 422 and wrong.json()["field"] == "ids"
    replaced = post_json(
        client, f"/api/v1/checkout-rules/{mine}", {**FREE_OVER_50, "min_order_minor": 7000}, "put"
    )
    assert replaced.json()["min_order_minor"] == 7000
    empty = client.put(f"/api/v1/checkout-rules/{mine}")
    assert empty.status_code == 422 and empty.json()["field"] == "body"
    assert client.delete(f"/api/v1/checkout-rules/{mine}").status_code == 204
    assert CheckoutRule.objects.filter(pk=theirs).exists()
    assert json.loads(client.get("/api/v1/checkout-rules").content) == []
