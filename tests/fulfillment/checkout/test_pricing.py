"""The pure checkout pricing: each rule kind, each condition, and their order."""

from __future__ import annotations

from decimal import Decimal

from fulfillment.checkout.services.pricing import Cart, RawOption, Rule, apply_rules, rounded

CART = Cart(
    value_minor=6000,
    weight_g=1200,
    dims_mm=(300, 200, 50),
    country="US",
    postal_code="60614",
    tags=frozenset({"gift"}),
)
HOME = RawOption(id="svc-7", kind="home", price_minor=899, level="next_day", service_id=7)
SAME_DAY = RawOption(id="svc-8", kind="home", price_minor=1500, level="same_day", service_id=8)
LOCKER = RawOption(id="locker:3", kind="locker", price_minor=0)
SHOP = RawOption(id="shop:4", kind="shop", price_minor=0)
ALL = [HOME, SAME_DAY, LOCKER, SHOP]


def prices(rules, cart=CART, options=ALL) -> dict[str, tuple[int, str | None]]:
    return {o.id: (o.price_minor, o.rule) for o in apply_rules(rules, cart, options)}


def test_without_rules_every_option_keeps_its_price_and_names_no_rule():
    assert prices([]) == {
        "svc-7": (899, None),
        "svc-8": (1500, None),
        **{"locker:3": (0, None), "shop:4": (0, None)},
    }


def test_free_shipping_over_an_order_value_applies_from_that_value_only():
    free = Rule(
        name="Free over $50", action="free", min_order_minor=5000, kinds=frozenset({"home"})
    )
    assert prices([free])["svc-7"] == (0, "Free over $50")
    below = Cart(**{**CART.__dict__, "value_minor": 4999})
    assert prices([free], cart=below)["svc-7"] == (899, None)
    unknown = Cart(**{**CART.__dict__, "value_minor": None})
    assert prices([free], cart=unknown)["svc-7"] == (899, None)


def test_percent_markup_rounds_half_up_to_a_cent_and_a_discount_never_goes_below_zero():
    markup = Rule(name="+15%", action="markup_pct", percent=Decimal("15"))
    assert prices([markup])["svc-7"] == (1034, "+15%")  # 899 * 1.15 = 1033.85
    discount = Rule(name="-100%", action="markup_pct", percent=Decimal("-100"))
    assert prices([discount])["svc-8"][0] == 0


def test_flat_markup_and_flat_price_per_service_level_and_kind():
    flat = Rule(
        name="+$2 same day", action="markup_flat", amount_minor=200, service_level="same_day"
    )
    pickup = Rule(
        name="Pickup $1.99",
        action="set_price",
        amount_minor=199,
        kinds=frozenset({"locker", "shop"}),
    )
    got = prices([flat, pickup])
    assert got["svc-8"] == (1700, "+$2 same day")
    assert got["svc-7"] == (899, None)
    assert got["locker:3"] == (199, "Pickup $1.99") and got["shop:4"] == (199, "Pickup $1.99")


def test_a_rule_for_one_service_touches_only_that_service():
    rule = Rule(name="Svc 8 at $5", action="set_price", amount_minor=500, service_id=8)
    got = prices([rule])
    assert got["svc-8"] == (500, "Svc 8 at $5") and got["svc-7"] == (899, None)


def test_hide_by_weight_size_destination_country_and_tag():
    heavy = Rule(
        name="No same day over 1 kg", action="hide", min_weight_g=1000, service_level="same_day"
    )
    assert "svc-8" not in prices([heavy])
    light = Cart(**{**CART.__dict__, "weight_g": 999})
    assert "svc-8" in prices([heavy], cart=light)
    long = Rule(
        name="No lockers for long parcels",
        action="hide",
        min_longest_mm=301,
        kinds=frozenset({"locker"}),
    )
    assert "locker:3" in prices([long])
    assert "locker:3" not in prices([long], cart=Cart(**{**CART.__dict__, "dims_mm": (400, 1, 1)}))
    zips = Rule(
        name="No home to 606", action="hide", zip_prefixes=("606",), kinds=frozenset({"home"})
    )
    assert set(prices([zips])) == {"locker:3", "shop:4"}
    assert "svc-7" in prices([zips], cart=Cart(**{**CART.__dict__, "postal_code": "10001"}))
    canada = Rule(name="Not to CA", action="hide", countries=frozenset({"CA"}))
    assert len(prices([canada])) == 4
    assert prices([canada], cart=Cart(**{**CART.__dict__, "country": "ca"})) == {}
    gift = Rule(
        name="Gifts not to shops",
        action="hide",
        tags=frozenset({"gift", "x"}),
        kinds=frozenset({"shop"}),
    )
    assert "shop:4" not in prices([gift])
    assert "shop:4" in prices([gift], cart=Cart(**{**CART.__dict__, "tags": frozenset()}))


def test_rounding_to_99_and_to_whole_and_free_stays_free():
    assert (
        rounded(1234, "99") == 1299 and rounded(1299, "99") == 1299 and rounded(1300, "99") == 1399
    )
    assert rounded(1234, "whole") == 1300 and rounded(1200, "whole") == 1200
    assert rounded(0, "99") == 0 and rounded(0, "whole") == 0
    round99 = Rule(name="To .99", action="round", rounding="99")
    got = prices([round99])
    assert got["svc-7"] == (899, None)  # already .99: unchanged, so no rule named
    assert got["svc-8"] == (1599, "To .99")
    assert got["locker:3"] == (0, None)


def test_rules_apply_top_to_bottom_so_order_changes_the_price():
    markup = Rule(name="+10%", action="markup_pct", percent=Decimal("10"))
    round99 = Rule(name="To .99", action="round", rounding="99")
    assert prices([markup, round99])["svc-8"] == (1699, "To .99")  # 1650 -> 1699
    assert prices([round99, markup])["svc-8"] == (1759, "+10%")  # 1599 * 1.1 = 1758.9
    free = Rule(name="Free", action="free", min_order_minor=0)
    plus = Rule(name="+$1", action="markup_flat", amount_minor=100)
    assert prices([free, plus])["svc-7"] == (100, "+$1")
    assert prices([plus, free])["svc-7"] == (0, "Free")


def test_a_hide_rule_wins_over_every_later_rule():
    hide = Rule(name="Hide home", action="hide", kinds=frozenset({"home"}))
    free = Rule(name="Free", action="free", min_order_minor=0)
    assert set(prices([hide, free])) == {"locker:3", "shop:4"}
    assert {o.rules for o in apply_rules([free, hide], CART, [LOCKER])} == {("Free",)}
