"""Saleor's order (the payload of our ORDER_* subscription queries, manifest.py) in Nearbox's
words, and the ids of the shipping methods Nearbox offers at checkout.

Saleor turns an external method's id into base64("app:<app id>:<our id>"); our id is the rate
code the delivery options use everywhere ("home:<option id>", "locker:<id>", "shop:<id>"), so a
chosen method decodes back to kind, service and pickup place through types.checkout_choice.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.platforms.base import PayloadInvalid
from integrations.platforms.types import NormalizedLine, NormalizedOrder, checkout_choice

# ISO 4217 currencies without minor units; every other one has two (all Nearbox's do).
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"}
PAID = {"FULL", "OVERCHARGED"}
MAX_LINES = 500


def _text(value: Any, limit: int = 200) -> str:
    if not isinstance(value, str):
        return ""
    # NUL bytes and lone surrogates never reach PostgreSQL.
    clean = value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return clean.strip()[:limit]


def _object(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def to_minor(amount: Any, currency: str) -> int:
    """Saleor's decimal amount (a JSON number, or a string in legacy payloads) in minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        raise PayloadInvalid("An amount is not a number.")
    try:
        value = Decimal(str(amount))
    except InvalidOperation as error:
        raise PayloadInvalid(f"The amount {str(amount)[:20]!r} is not a number.") from error
    if not value.is_finite() or abs(value) > Decimal(10) ** 12:
        raise PayloadInvalid("An amount is out of range.")
    exponent = 0 if currency in ZERO_DECIMAL else 2
    return int((value * 10**exponent).quantize(Decimal(1)))


def method_code(method_id: str) -> str:
    """Our rate code in a Saleor shipping method id (base64 "app:<app id>:<code>"), or "" for
    the shop's own methods (base64 "ShippingMethod:<n>") and anything unreadable."""
    try:
        decoded = base64.b64decode(method_id.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return ""
    prefix, _, rest = decoded.partition(":")
    if prefix != "app":
        return ""
    _, _, code = rest.partition(":")
    return code


def method_id(code: str, app_id: int | str) -> str:
    """The id Saleor gives our method `code` (what a checkout sends back when it is chosen)."""
    return base64.b64encode(f"app:{app_id}:{code}".encode()).decode()


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or not 1900 <= moment.year <= 8999:
        return None
    return moment


def _lines(order: Mapping[str, Any], currency: str) -> tuple[NormalizedLine, ...]:
    raw = order.get("lines")
    if not isinstance(raw, list) or not raw:
        raise PayloadInvalid("The order has no lines.")
    if len(raw) > MAX_LINES:
        raise PayloadInvalid(f"The order has more than {MAX_LINES} lines.")
    lines = []
    for n, line in enumerate(raw, start=1):
        line = _object(line)
        sku = _text(_object(line.get("variant")).get("sku"), 64) or _text(
            line.get("productSku"), 64
        )
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity < 10**6:
            raise PayloadInvalid(f"Line {n} has no quantity Nearbox can read.")
        unit = _object(_object(line.get("unitPrice")).get("gross"))
        lines.append(
            NormalizedLine(
                sku=sku,
                quantity=quantity,
                unit_value_minor=to_minor(unit.get("amount", 0), currency),
                title=_text(line.get("productName")),
            )
        )
    return tuple(lines)


def order_from_payload(payload: Mapping[str, Any], *, cancelled: bool = False) -> NormalizedOrder:
    """A webhook body ({"issuedAt", "order": {...}}) or a bare order (the backfill's items) as
    a NormalizedOrder. Raises PayloadInvalid with the reason in words."""
    if not isinstance(payload, Mapping):
        raise PayloadInvalid("The payload is not a JSON object.")
    order = _object(payload.get("order")) if "order" in payload else dict(payload)
    external_id = _text(order.get("id"), 100)
    if not external_id:
        raise PayloadInvalid("The payload carries no order id.")
    total = _object(_object(order.get("total")).get("gross"))
    currency = _text(total.get("currency"), 3).upper()
    if len(currency) != 3:
        raise PayloadInvalid("The order's total has no currency.")
    address = _object(order.get("shippingAddress"))
    if not address:
        raise PayloadInvalid("The order has no shipping address.")
    name = " ".join(
        p for p in (_text(address.get("firstName")), _text(address.get("lastName"))) if p
    )
    method = _object(order.get("deliveryMethod"))
    code = (
        method_code(_text(method.get("id"), 300)) if method.get("__typename") != "Warehouse" else ""
    )
    choice = checkout_choice(code)
    status = _text(order.get("status"), 40).upper()
    number = _text(order.get("number"), 90)
    return NormalizedOrder(
        external_id=external_id,
        external_name=f"#{number}" if number else external_id,
        updated_at=_when(order.get("updatedAt")) or _when(order.get("created")),
        cancelled=cancelled or status in {"CANCELED", "CANCELLED"},
        currency=currency,
        value_minor=to_minor(total.get("amount", 0), currency),
        shopper_name=name or _text(address.get("companyName")),
        shopper_email=_text(order.get("userEmail"), 254),
        shopper_phone=_text(address.get("phone"), 40)
        or _text(_object(order.get("billingAddress")).get("phone"), 40),
        line1=_text(address.get("streetAddress1")),
        line2=_text(address.get("streetAddress2")),
        city=_text(address.get("city"), 100),
        state=_text(address.get("countryArea"), 100),
        postal_code=_text(address.get("postalCode"), 20),
        country=_text(_object(address.get("country")).get("code"), 2).upper(),
        lines=_lines(order, currency),
        delivery_kind=choice.delivery_kind,
        delivery_service=choice.delivery_service,
        pickup_location_ref=choice.pickup_location_ref,
        paid=order.get("isPaid") is True or _text(order.get("chargeStatus"), 20).upper() in PAID,
    )
