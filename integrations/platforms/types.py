"""A platform's order in Nearbox's words: what every connector's `order_from_payload` returns and
what intake (integrations/platforms/intake.py) turns into an Order. Plain frozen dataclasses, no
Django: a connector maps its documented payload onto these and nothing else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NormalizedLine:
    sku: str
    quantity: int
    unit_value_minor: int
    title: str = ""


@dataclass(frozen=True)
class NormalizedOrder:
    external_id: str  # the platform's order id (PlatformOrder.external_id)
    external_name: str  # what the merchant calls it: "#1001"
    updated_at: dt.datetime | None  # the platform's version: an older update never wins
    cancelled: bool
    currency: str  # ISO 4217
    value_minor: int
    shopper_name: str
    shopper_email: str
    shopper_phone: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    lines: tuple[NormalizedLine, ...]
    delivery_kind: str  # an Order.DeliveryKind value: "home", "locker" or "pickup_shop"
    delivery_service: str = ""  # the rate/service code chosen at checkout (our rate code)
    pickup_location_ref: str = ""  # the locker/shop reference chosen at checkout
    paid: bool = True  # unpaid orders are not taken in until paid
    # The compartment the widget held at checkout (a locker order): confirmed with the order.
    reservation_token: str = ""


@dataclass(frozen=True)
class CheckoutChoice:
    """What the shopper chose among the rates Nearbox offered at checkout."""

    delivery_kind: str
    delivery_service: str = ""
    pickup_location_ref: str = ""


HOME = CheckoutChoice("home")


def checkout_choice(code: str | None) -> CheckoutChoice:
    """Decode a rate code Nearbox itself offered at checkout (Shopify CarrierService
    `service_code`, a WooCommerce shipping line's Nearbox meta, a Saleor shipping method id):
    "home:<option id>", "locker:<id>" or "shop:<id>" (lockers/services/shopify.py and
    lockers/services/options.py make them). Anything else is the platform's own shipping (a
    flat rate, free shipping): home delivery, the service left to our routing rules."""
    code = (code or "").strip()
    kind, _, rest = code.partition(":")
    if not rest or len(code) > 64:
        return HOME
    if kind == "home":
        return CheckoutChoice("home", delivery_service=rest)
    if kind == "locker":
        return CheckoutChoice("locker", pickup_location_ref=code)
    if kind == "shop":
        return CheckoutChoice("pickup_shop", pickup_location_ref=code)
    return HOME
