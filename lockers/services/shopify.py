"""Shopify CarrierService: a store's rate request turned into Nearbox delivery options, and the
options back into Shopify's `rates`.

Shopify POSTs the cart and destination to the merchant's callback URL at checkout and drops the
answer if it is late (a few seconds) or malformed, so this path uses rate cards and the cached
network only, and a destination we cannot place answers no rates rather than an error.
Prices are the checkout rules' (fulfillment/checkout/services/pricing.py), from the items'
prices; lockers and shops start at NEARBOX_SHOPIFY_PICKUP_PRICE_MINOR.
Format: /work/shared/data/shopify/ (Shopify's `DeliveryCarrierService` documentation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from lockers.parcels import MAX_WEIGHT_G, Parcel
from lockers.services import options
from merchant.models import Merchant, Product

PICKUP_PLACES = 3  # lockers and shops offered, each
# Shopify sends weights only: an item without a known SKU is taken as a mailer of this size.
DEFAULT_ITEM_MM = (250, 200, 50)
MAX_ITEMS = 250
SHOPIFY_TIME = "%Y-%m-%d %H:%M:%S %z"


class RateRequestError(Exception):
    """The body is not a rate request; `field` names the part that is wrong."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field, self.detail = field, detail


@dataclass(frozen=True)
class Item:
    sku: str
    grams: int
    quantity: int
    price_minor: int | None = None  # one unit's price, when the platform sends it


def merchant_for_token(token: str) -> Merchant | None:
    """The merchant whose Shopify callback URL carries `token`, or None."""
    if not token or len(token) > 64:
        return None
    return Merchant.objects.filter(shopify_token=token).first()


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise RateRequestError(field, f"`{field}` must be a JSON object.")
    return value


def _whole(value: Any, field: str, *, minimum: int) -> int:
    # JSON true/false are ints to Python; a weight or count is never a boolean.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RateRequestError(field, f"`{field}` must be a whole number of at least {minimum}.")
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_items(rate: dict) -> list[Item]:
    raw = rate.get("items")
    if not isinstance(raw, list):
        raise RateRequestError("rate.items", "`rate.items` must be a list of line items.")
    if len(raw) > MAX_ITEMS:
        raise RateRequestError("rate.items", f"At most {MAX_ITEMS} line items.")
    items = []
    for n, line in enumerate(raw):
        line = _object(line, f"rate.items[{n}]")
        grams = _whole(line.get("grams"), f"rate.items[{n}].grams", minimum=0)
        quantity = _whole(line.get("quantity"), f"rate.items[{n}].quantity", minimum=1)
        if line.get("requires_shipping", True) is False:
            continue
        price = line.get("price")  # cents, an integer in Shopify's rate request
        if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= 10**12:
            price = None
        items.append(
            Item(sku=_text(line.get("sku")), grams=grams, quantity=quantity, price_minor=price)
        )
    return items


def cart_value(
    items: list[Item], *, currency: object = None, shop_currency: str = ""
) -> int | None:
    """The cart's value in minor units, or None when an item's price is not known or is in
    another currency than the shop's (Shopify prices items in the shopper's `rate.currency`):
    rules such as free shipping over a value then do not apply."""
    if currency is not None and (
        not isinstance(currency, str) or currency.strip().upper() != shop_currency
    ):
        return None
    if any(item.price_minor is None for item in items):
        return None
    return sum(item.price_minor * item.quantity for item in items)


def product_sizes(merchant: Merchant, items: list[Item]) -> dict[str, tuple[int, int, int]]:
    """{SKU: sides longest first} of the items that are the merchant's active products."""
    skus = {item.sku for item in items if item.sku}
    rows = (
        Product.objects.for_merchant(merchant)
        .filter(sku__in=skus, is_active=True)
        .values_list("sku", "length_mm", "width_mm", "height_mm")
    )
    return {sku: tuple(sorted(dims, reverse=True)) for sku, *dims in rows}


def parcel_for_items(items: list[Item], sizes: dict[str, tuple[int, int, int]]) -> Parcel:
    """Weight from Shopify's grams; sides from `sizes` where the SKU is known, else
    DEFAULT_ITEM_MM; stacked flat as lockers/parcels.py `parcel_from_cart` does."""
    longest = middle = height = weight = 0
    for item in items:
        a, b, c = sizes.get(item.sku) or DEFAULT_ITEM_MM
        longest, middle = max(longest, a), max(middle, b)
        height += c * item.quantity
        weight += item.grams * item.quantity
    return Parcel(weight_g=max(1, weight), length_mm=longest, width_mm=middle, height_mm=height)


def cart_for_items(
    items: list[Item], sizes: dict[str, tuple[int, int, int]]
) -> list[tuple[str, int]] | None:
    """The items as a cart when every one is a known product (the options then ship from a
    point holding them all), else None (they ship from the nearest point)."""
    if any(item.sku not in sizes for item in items):
        return None
    totals: dict[str, int] = {}
    for item in items:
        totals[item.sku] = totals.get(item.sku, 0) + item.quantity
    return sorted(totals.items())


def _destination(rate: dict) -> options.Destination | None:
    """Where the parcel goes, or None when we cannot place it (no rates, not an error)."""
    found = _object(rate.get("destination"), "rate.destination")
    country = _text(found.get("country")).upper() or "US"
    lat, lon = found.get("latitude"), found.get("longitude")
    try:
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            return options.resolve_destination(country=country, lat=float(lat), lon=float(lon))
        address = ", ".join(
            part for part in (_text(found.get(k)) for k in ("address1", "city", "province")) if part
        )
        postal_code = _text(found.get("postal_code"))
        return options.resolve_destination(
            country=country,
            postal_code=postal_code,
            address="" if postal_code else address,
        )
    except ValidationError:
        return None


def _when(iso: str | None) -> str | None:
    return dt.datetime.fromisoformat(iso).strftime(SHOPIFY_TIME) if iso else None


def _distance(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def carrier_rates(*, merchant: Merchant, payload: Any, now: dt.datetime | None = None) -> list:
    """Shopify `rates` for a rate request body (already decoded from JSON): home services from
    the rate cards, then the nearest lockers with a free compartment that fits and the nearest
    pickup shops with room. Raises RateRequestError for a body that is not a rate request."""
    rate = _object(_object(payload, "body").get("rate"), "rate")
    items = parse_items(rate)
    destination = _destination(rate)
    if destination is None or not items:
        return []
    sizes = product_sizes(merchant, items)
    parcel = parcel_for_items(items, sizes)
    if parcel.weight_g > MAX_WEIGHT_G:
        return []
    found = options.delivery_options(
        merchant=merchant,
        destination=destination,
        parcel=parcel,
        cart=cart_for_items(items, sizes),
        limit=PICKUP_PLACES,
        now=now,
        value_minor=cart_value(
            items, currency=rate.get("currency"), shop_currency=merchant.currency
        ),
    )
    rates = [
        {
            "service_name": f"{home['courier']} {home['service']}",
            "service_code": f"home:{home['id']}",
            "total_price": str(home["price"]["amount"]),
            "currency": home["price"]["currency"],
            "min_delivery_date": _when(home["eta"]["from"]),
            "max_delivery_date": _when(home["eta"]["until"]),
            "description": "Delivered to your door",
        }
        for home in found["home"]
    ]
    for kind, label in (("lockers", "Pickup locker"), ("shops", "Pickup shop")):
        for place in found[kind]:
            ready = _when(place["ready_by"])
            hours = "any time, open 24/7" if place["open_24_7"] else "during its opening hours"
            rates.append(
                {
                    "service_name": f"{label}: {place['name']} ({_distance(place['distance_m'])})",
                    "service_code": place["ref"],
                    "total_price": str(place["price"]["amount"]),
                    "currency": place["price"]["currency"],
                    "min_delivery_date": ready,
                    "max_delivery_date": ready,
                    "description": f"{place['address']}. Collect {hours}.",
                }
            )
    # Shopify reads a missing date as unknown; null is not in its format.
    return [{k: v for k, v in r.items() if v is not None} for r in rates]
