"""Property: for any cart, the checkout-rules preview answers what the delivery-options API
answers (the same options at the same prices, from the same rules)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fulfillment.checkout.services.rules import save_checkout_rule
from tests.fulfillment.checkout.conftest import api, options, post_json

pytestmark = pytest.mark.sqlite

ZIPS = ["60601", "60614", "60616", "60622", "60647"]
TAGS = ["gift", "bulky", "vip"]
RULES = [
    {"name": "Free over $50", "action": "free", "min_order_minor": 5000, "kinds": ["home"]},
    {"name": "Pickup $1.99", "action": "set_price", "amount_minor": 199,
     "kinds": ["locker", "shop"]},
    {"name": "Same day +10%", "action": "markup_pct", "percent": 10, "service_level": "same_day"},
    {"name": "No same day for bulky", "action": "hide", "tags": ["bulky"],
     "service_level": "same_day"},
    {"name": "Heavy costs more", "action": "markup_flat", "amount_minor": 500,
     "min_weight_g": 5000},
    {"name": "No lockers over 40 cm", "action": "hide", "min_longest_mm": 400,
     "kinds": ["locker"]},
    {"name": "VIP pickup free", "action": "free", "min_order_minor": 0, "tags": ["vip"],
     "kinds": ["shop"]},
    {"name": "To .99", "action": "round", "rounding": "99"},
]  # fmt: skip

carts = st.fixed_dictionaries(
    {
        "postal_code": st.sampled_from(ZIPS),
        "value_minor": st.one_of(st.none(), st.integers(0, 20_000)),
        "weight_g": st.integers(1, 30_000),
        "length_mm": st.integers(1, 900),
        "width_mm": st.integers(1, 600),
        "height_mm": st.integers(1, 400),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
    }
)


@pytest.fixture
def ruled_shop(merchant_a, shop):
    for rule in RULES:
        save_checkout_rule(merchant=merchant_a.merchant, data=rule)
    return shop


def shown(body: dict) -> list[tuple]:
    rows = [("home", h["id"], h["price"]["amount"], h["rule"]) for h in body["home"]]
    for kind in ("lockers", "shops"):
        rows += [(kind, p["ref"], p["price"]["amount"], p["rule"]) for p in body[kind]]
    return rows


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cart=carts)
def test_the_preview_equals_the_delivery_options_api_for_any_cart(merchant_a, ruled_shop, cart):
    query = {k: v for k, v in cart.items() if v is not None and k != "tags"}
    direct = options(merchant_a, tags=",".join(cart["tags"]), **query)
    seen = post_json(api(merchant_a), "/api/v1/checkout-rules/preview", cart)
    assert direct.status_code == seen.status_code
    event(f"status {direct.status_code}")
    if direct.status_code != 200:
        assert direct.json()["field"] == seen.json()["field"]
        return
    assert shown(seen.json()) == shown(direct.json())
    event("a rule changed a price" if any(r[3] for r in shown(direct.json())) else "no rule")
    assert seen.json()["ships_from"] == direct.json()["ships_from"]
