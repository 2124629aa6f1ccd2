"""What the shopper pays for each delivery option: the merchant's checkout rules, in order.

One pure function, `apply_rules`, takes a cart (value, weight, sides, destination, tags,
currency), the raw options (home services priced by the rate cards, lockers and shops at the
pickup price) and the rules, and gives back the shopper's options with their price and the rules
that changed it; `price_answer` does the same to a delivery-options answer (the dict the
checkout API, the widget, Shopify's and Saleor's rates all come from). Every rule whose
conditions match an option is applied, top to bottom: a hidden option is gone, a free one costs
0 until a later rule marks it up again. Prices never go below 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

KINDS = ("home", "locker", "shop")
ANSWER_KINDS = {"home": "home", "lockers": "locker", "shops": "shop"}


@dataclass(frozen=True)
class Cart:
    value_minor: int | None = None  # None: unknown, so "over a value" never matches
    weight_g: int = 0
    dims_mm: tuple[int, int, int] = (0, 0, 0)
    country: str = ""
    postal_code: str = ""
    tags: frozenset[str] = frozenset()
    currency: str = "USD"


@dataclass(frozen=True)
class RawOption:
    id: str
    kind: str  # home, locker or shop
    price_minor: int
    level: str = ""  # a home service's level
    service_id: int | None = None


@dataclass(frozen=True)
class ShopperOption:
    id: str
    kind: str
    price_minor: int
    base_minor: int
    currency: str
    rules: tuple[str, ...] = ()  # names of the rules that changed the price, in order

    @property
    def rule(self) -> str | None:
        """The last rule that changed the price (the one the shopper's price comes from)."""
        return self.rules[-1] if self.rules else None


@dataclass(frozen=True)
class Rule:
    """A CheckoutRule as plain data (fulfillment/checkout/selectors.py `active_rules`)."""

    name: str
    action: str  # free, markup_pct, markup_flat, set_price, hide, round
    amount_minor: int = 0
    percent: Decimal = Decimal(0)
    rounding: str = "none"
    kinds: frozenset[str] = frozenset()
    service_level: str = ""
    service_id: int | None = None
    min_order_minor: int | None = None
    min_weight_g: int | None = None
    max_weight_g: int | None = None
    min_longest_mm: int | None = None
    countries: frozenset[str] = frozenset()
    zip_prefixes: tuple[str, ...] = ()
    tags: frozenset[str] = field(default_factory=frozenset)

    def matches(self, cart: Cart, option: RawOption) -> bool:
        if self.kinds and option.kind not in self.kinds:
            return False
        if self.service_level and option.level != self.service_level:
            return False
        if self.service_id is not None and option.service_id != self.service_id:
            return False
        if self.min_order_minor is not None and (
            cart.value_minor is None or cart.value_minor < self.min_order_minor
        ):
            return False
        if self.min_weight_g is not None and cart.weight_g < self.min_weight_g:
            return False
        if self.max_weight_g is not None and cart.weight_g > self.max_weight_g:
            return False
        if self.min_longest_mm is not None and max(cart.dims_mm) < self.min_longest_mm:
            return False
        if self.countries and cart.country.upper() not in self.countries:
            return False
        if self.zip_prefixes and not normalized_zip(cart.postal_code).startswith(self.zip_prefixes):
            return False
        return not self.tags or bool(self.tags & cart.tags)

    def price(self, minor: int) -> int:
        """The price after this rule (never called for `hide`)."""
        if self.action == "free":
            return 0
        if self.action == "markup_pct":
            scaled = Decimal(minor) * (1 + self.percent / 100)
            return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if self.action == "markup_flat":
            return minor + self.amount_minor
        if self.action == "set_price":
            return self.amount_minor
        if self.action == "round":
            return rounded(minor, self.rounding)
        return minor


def normalized_zip(postal_code: str) -> str:
    """Upper case, no spaces or dashes: "sw1a 1aa" and "SW1A1AA" match the same prefix."""
    return "".join(c for c in postal_code.upper() if c.isalnum())


def rounded(minor: int, mode: str) -> int:
    """Up to .99 (12.34 -> 12.99, 12.99 stays) or to a whole amount (12.34 -> 13.00); 0 stays
    0 (free is never rounded up to a price). All our currencies have cents (merchant/money.py)."""
    if minor <= 0 or mode not in ("99", "whole"):
        return minor
    if mode == "whole":
        return math.ceil(minor / 100) * 100
    return math.ceil((minor + 1) / 100) * 100 - 1


def apply_rules(
    rules: Iterable[Rule], cart: Cart, options: Iterable[RawOption]
) -> list[ShopperOption]:
    """The shopper's options in the order given, without the hidden ones."""
    rules = tuple(rules)
    shown = []
    for option in options:
        price, changed, hidden = option.price_minor, [], False
        for rule in rules:
            if not rule.matches(cart, option):
                continue
            if rule.action == "hide":
                hidden = True
                break
            new = max(0, rule.price(price))
            if new != price or rule.action in ("free", "set_price"):
                changed.append(rule.name)
            price = new
        if not hidden:
            shown.append(
                ShopperOption(
                    id=option.id,
                    kind=option.kind,
                    price_minor=price,
                    base_minor=option.price_minor,
                    currency=cart.currency,
                    rules=tuple(changed),
                )
            )
    return shown


def _service_id(option_id: str) -> int | None:
    head, _, tail = option_id.partition("-")
    return int(tail) if head == "svc" and tail.isdigit() else None


def price_answer(
    answer: dict[str, Any], rules: Iterable[Rule], cart: Cart, *, pickup_minor: int
) -> dict[str, Any]:
    """A delivery-options answer (lockers/services/options.py) with the rules applied: each
    home, locker and shop entry gets `price` {amount, currency} and `rule` (the name of the rule
    its price comes from, or null); hidden entries are dropped. Lockers and shops start at
    `pickup_minor`, home services at their rate-card price."""
    rules = tuple(rules)
    priced = dict(answer)
    for key, kind in ANSWER_KINDS.items():
        entries = answer.get(key, [])
        raw = [
            RawOption(
                id=str(entry.get("ref") or entry["id"]),
                kind=kind,
                price_minor=entry["price"]["amount"] if kind == "home" else pickup_minor,
                level=entry.get("level", ""),
                service_id=_service_id(str(entry["id"])) if kind == "home" else None,
            )
            for entry in entries
        ]
        by_id = {str(entry.get("ref") or entry["id"]): entry for entry in entries}
        visible = apply_rules(rules, cart, raw)
        if kind == "home":  # still cheapest first (stable: the soonest first at one price)
            visible.sort(key=lambda option: option.price_minor)
        priced[key] = [
            {
                **by_id[shown.id],
                "price": {"amount": shown.price_minor, "currency": shown.currency},
                "rule": shown.rule,
            }
            for shown in visible
        ]
    return priced
