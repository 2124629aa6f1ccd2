"""The checkout-rules preview: "for this cart to this ZIP the shopper sees…". It asks the very
function the delivery-options API answers with (through fulfillment/checkout/hooks.py), so the
page, POST /api/v1/checkout-rules/preview and the shopper's checkout cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from fulfillment.checkout.hooks import delivery_options_answer
from merchant.models import Merchant

MAX_TAGS = 50


@dataclass(frozen=True)
class PreviewCart:
    country: str = "US"
    postal_code: str = ""
    value_minor: int | None = None
    tags: tuple[str, ...] = ()
    cart: str = ""  # SKU:quantity lines, as the API's `cart`
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    limit: int = 5


def preview(*, merchant: Merchant, cart: PreviewCart) -> dict[str, Any]:
    """The delivery-options answer for the cart, priced by the merchant's active rules.
    Raises ValidationError (naming the field) for a cart the API would refuse."""
    if not cart.postal_code.strip():
        raise ValidationError({"postal_code": "Give the ZIP or postal code to preview for."})
    if len(cart.tags) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags."})
    return delivery_options_answer(
        merchant=merchant,
        country=cart.country,
        postal_code=cart.postal_code,
        cart=cart.cart,
        weight_g=cart.weight_g,
        length_mm=cart.length_mm,
        width_mm=cart.width_mm,
        height_mm=cart.height_mm,
        limit=cart.limit,
        value_minor=cart.value_minor,
        tags=list(cart.tags),
    )
