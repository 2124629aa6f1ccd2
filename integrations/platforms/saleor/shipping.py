"""Saleor's synchronous shipping webhooks answered from Nearbox's delivery options.

SHIPPING_LIST_METHODS_FOR_CHECKOUT: our home services, lockers and pickup shops for the checkout's
address and cart, as Saleor's external shipping methods. CHECKOUT_FILTER_SHIPPING_METHODS: our
methods that no longer fit the cart (a locker without a free compartment the parcel fits, a
parcel too heavy) are excluded with a reason. Saleor waits for these answers while the shopper
waits for the page, so both use the same rate cards and cached network as the checkout widget
and Shopify's rates (lockers/services/options.py), never a live courier quote.
Docs: https://docs.saleor.io/developer/extending/webhooks/synchronous-events/shipping
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.platforms.saleor.mapping import ZERO_DECIMAL, method_code
from lockers.parcels import MAX_CART_LINES, MAX_WEIGHT_G, Parcel, parcel_from_cart
from lockers.services import options
from lockers.services.shopify import Item, cart_for_items, parcel_for_items, product_sizes
from merchant.models import Merchant

PICKUP_PLACES = 3  # lockers and shops offered, each (as Shopify's rates)
GRAMS = {"G": 1, "KG": 1000, "LB": 453.59237, "OZ": 28.349523125, "TONNE": 1_000_000}


class CheckoutUnreadable(Exception):
    """The body is not a checkout we can read; `detail` says which part."""


def _object(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 100) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _grams(weight: Any) -> int:
    weight = _object(weight)
    value, unit = weight.get("value"), _text(weight.get("unit"), 10).upper()
    if isinstance(value, bool) or not isinstance(value, int | float) or unit not in GRAMS:
        return 0
    grams = value * GRAMS[unit]
    return int(grams) if 0 <= grams <= MAX_WEIGHT_G * 10 else MAX_WEIGHT_G * 10


def checkout_items(checkout: Mapping[str, Any]) -> list[Item]:
    lines = checkout.get("lines")
    if not isinstance(lines, list):
        raise CheckoutUnreadable("`checkout.lines` must be a list.")
    if len(lines) > MAX_CART_LINES:
        raise CheckoutUnreadable(f"At most {MAX_CART_LINES} checkout lines.")
    items = []
    for line in lines:
        line = _object(line)
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= 999:
            raise CheckoutUnreadable("Each checkout line needs a quantity from 1 to 999.")
        variant = _object(line.get("variant"))
        items.append(
            Item(
                sku=_text(variant.get("sku"), 64),
                grams=_grams(variant.get("weight")),
                quantity=quantity,
            )
        )
    return items


def _parcel_and_cart(
    merchant: Merchant, items: list[Item]
) -> tuple[Parcel, list[tuple[str, int]] | None]:
    """Known products: the widget's own parcel for the cart (so the answer is the delivery-options
    API's for the same cart); otherwise Saleor's weights, as Shopify's rates do."""
    sizes = product_sizes(merchant, items)
    cart = cart_for_items(items, sizes)
    if cart:
        try:
            return parcel_from_cart(merchant, cart), cart
        except ValidationError:
            pass
    return parcel_for_items(items, sizes), None


def _destination(checkout: Mapping[str, Any]) -> options.Destination | None:
    address = _object(checkout.get("shippingAddress"))
    country = _text(_object(address.get("country")).get("code"), 2).upper() or "US"
    postal_code = _text(address.get("postalCode"), 12)
    if not postal_code:
        return None  # Saleor asks before the shopper typed an address: nothing to offer yet
    try:
        return options.resolve_destination(country=country, postal_code=postal_code)
    except ValidationError:
        return None


def _amount(minor: int, currency: str) -> float:
    exponent = 0 if currency in ZERO_DECIMAL else 2
    return float(Decimal(minor) / (10**exponent))


def _days(iso: str | None, today: dt.date, tz: zoneinfo.ZoneInfo) -> int | None:
    if not iso:
        return None
    return max(0, (dt.datetime.fromisoformat(iso).astimezone(tz).date() - today).days)


def _distance(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def found_options(
    merchant: Merchant, checkout: Mapping[str, Any], now: dt.datetime | None = None
) -> dict | None:
    """delivery_options for the checkout, or None when there is nothing to offer (no address
    yet, an address we cannot place, an empty or too heavy cart)."""
    items = checkout_items(checkout)
    destination = _destination(checkout)
    if destination is None or not items:
        return None
    parcel, cart = _parcel_and_cart(merchant, items)
    if parcel.weight_g > MAX_WEIGHT_G:
        return None
    return options.delivery_options(
        merchant=merchant,
        destination=destination,
        parcel=parcel,
        cart=cart,
        limit=PICKUP_PLACES,
        now=now,
        value_minor=checkout_value(checkout, merchant.currency),
    )


def checkout_value(checkout: Mapping[str, Any], currency: str) -> int | None:
    """The checkout's subtotal (gross) in minor units of the merchant's currency, or None when
    it is missing or in another currency (value rules such as free shipping then do not apply)."""
    gross = _object(_object(checkout.get("subtotalPrice")).get("gross"))
    amount = gross.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    if _text(gross.get("currency"), 3).upper() != currency or not 0 <= amount <= 10**10:
        return None
    exponent = 0 if currency in ZERO_DECIMAL else 2
    return int((Decimal(str(amount)) * 10**exponent).to_integral_value())


def list_methods(
    *, merchant: Merchant, payload: Mapping[str, Any], now: dt.datetime | None = None
) -> list[dict]:
    """Saleor's external shipping methods for a SHIPPING_LIST_METHODS_FOR_CHECKOUT body.
    Raises CheckoutUnreadable."""
    checkout = _object(payload.get("checkout"))
    if not checkout:
        raise CheckoutUnreadable("The body carries no `checkout`.")
    found = found_options(merchant, checkout, now)
    if found is None:
        return []
    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    today = (now or timezone.now()).astimezone(tz).date()
    methods = []
    for home in found["home"]:
        currency = home["price"]["currency"]
        methods.append(
            {
                "id": f"home:{home['id']}",
                "name": f"{home['courier']} {home['service']}",
                "amount": _amount(home["price"]["amount"], currency),
                "currency": currency,
                "minimum_delivery_days": _days(home["eta"]["from"], today, tz),
                "maximum_delivery_days": _days(home["eta"]["until"], today, tz),
                "description": "Delivered to your door",
                "metadata": {"nearbox_kind": "home"},
            }
        )
    for kind, label in (("lockers", "Pickup locker"), ("shops", "Pickup shop")):
        for place in found[kind]:
            ready = _days(place["ready_by"], today, tz)
            hours = "any time, open 24/7" if place["open_24_7"] else "during its opening hours"
            methods.append(
                {
                    "id": place["ref"],
                    "name": f"{label}: {place['name']} ({_distance(place['distance_m'])})",
                    "amount": _amount(place["price"]["amount"], place["price"]["currency"]),
                    "currency": place["price"]["currency"],
                    "minimum_delivery_days": ready,
                    "maximum_delivery_days": ready,
                    "description": f"{place['address']}. Collect {hours}.",
                    "metadata": {"nearbox_kind": kind[:-1], "nearbox_place": place["ref"]},
                }
            )
    # Saleor reads a missing number of days as unknown.
    return [{k: v for k, v in m.items() if v is not None} for m in methods]


def excluded_methods(
    *, merchant: Merchant, payload: Mapping[str, Any], now: dt.datetime | None = None
) -> dict:
    """Saleor's {"excluded_methods": [...]} for a CHECKOUT_FILTER_SHIPPING_METHODS body: those of
    our methods that the checkout's cart and address no longer get (the shop's own methods are
    the shop's business). Raises CheckoutUnreadable."""
    checkout = _object(payload.get("checkout"))
    methods = payload.get("shippingMethods")
    if not checkout or not isinstance(methods, list):
        raise CheckoutUnreadable("The body needs `checkout` and `shippingMethods`.")
    ours = {}
    for method in methods[:200]:
        method_id = _text(_object(method).get("id"), 300)
        code = method_code(method_id)
        if code:
            ours[method_id] = code
    if not ours:
        return {"excluded_methods": []}
    found = found_options(merchant, checkout, now)
    offered = set()
    if found is not None:
        offered = {f"home:{home['id']}" for home in found["home"]}
        offered |= {place["ref"] for kind in ("lockers", "shops") for place in found[kind]}
    excluded = []
    for method_id, code in ours.items():
        if code in offered:
            continue
        if code.startswith("locker:"):
            reason = "This locker has no free compartment the parcel fits."
        elif code.startswith("shop:"):
            reason = "This pickup shop cannot take the parcel now."
        else:
            reason = "This delivery service does not take this cart to this address."
        excluded.append({"id": method_id, "reason": reason})
    return {"excluded_methods": excluded}
