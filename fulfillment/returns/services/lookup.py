"""How a shopper proves an order is theirs: the order number and the email it was placed with
(rate limited per client and per order number, compared in constant time, one answer for every
wrong pair), or the tracking link's token. Either gives a signed, short-lived portal key."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core import signing

from fulfillment.models import Order, Shipment
from merchant import ratelimit
from merchant.models import Merchant

WRONG_PAIR = "We found no order with that order number and email address. Check both and try again."
KEY_SALT = "nearbox.returns.portal"
KEY_MAX_AGE = 2 * 3600  # long enough to pack the box, short enough for a shared computer


class LookupThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many tries; wait a few minutes and try again.")
        self.retry_after = retry_after


class LookupFailed(Exception):
    pass


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "NEARBOX_RETURNS_LOOKUPS_PER_WINDOW", 10)),
        int(getattr(settings, "NEARBOX_RETURNS_LOOKUP_WINDOW_SECONDS", 900)),
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _normal_email(email: str) -> bytes:
    return email.strip().lower().encode("utf-8", "surrogatepass")


def _counted_as(number: str) -> str:
    """One counter for every way of writing one order number: '0012' finds order 12 as '12'
    does, so leading zeros must not give an attacker a fresh set of tries."""
    if number.isascii() and number.isdigit():
        return number.lstrip("0") or "0"
    return number.lower()


def find_order_for_shopper(
    *, merchant: Merchant, order_number: str, email: str, client: str
) -> Order:
    """The merchant's order with this number and email, or LookupFailed (the same for a wrong
    number, a wrong email or both); LookupThrottled past the tries per client or per number."""
    limit, window = _limits()
    number = order_number.strip()[:80]
    by_client = ratelimit.hit(
        f"returns-client:{merchant.pk}:{_digest(client)}", limit=limit, window_seconds=window
    )
    by_number = ratelimit.hit(
        f"returns-order:{merchant.pk}:{_digest(_counted_as(number))}",
        limit=limit,
        window_seconds=window,
    )
    if by_client.exceeded or by_number.exceeded:
        raise LookupThrottled(max(by_client.retry_after, by_number.retry_after))
    order = None
    if number and "\x00" not in number:
        order = Order.objects.filter(merchant=merchant, reference=number).first()
        if order is None and number.isascii() and number.isdigit() and len(number) < 18:
            order = Order.objects.filter(merchant=merchant, pk=int(number), reference="").first()
    # Compare even when no order was found, so that the time taken says nothing either.
    stored = _normal_email(order.shopper_email) if order and order.shopper_email else b"\x00"
    matches = hmac.compare_digest(stored, _normal_email(email))
    if order is None or not matches:
        raise LookupFailed(WRONG_PAIR)
    return order


def order_for_tracking_token(*, merchant: Merchant, token: str) -> Order | None:
    """The order of the outbound parcel whose tracking link the shopper followed."""
    if not token or len(token) > 64 or "\x00" in token:
        return None
    shipment = (
        Shipment.objects.filter(merchant=merchant, public_token=token, is_return=False)
        .select_related("order")
        .first()
    )
    return shipment.order if shipment else None


def portal_key(order: Order) -> str:
    """A signed key naming the order (and its merchant), valid for KEY_MAX_AGE."""
    return signing.dumps({"o": order.pk, "m": order.merchant_id}, salt=KEY_SALT, compress=True)


def order_for_portal_key(*, merchant: Merchant, key: str) -> Order | None:
    try:
        data = signing.loads(key[:400], salt=KEY_SALT, max_age=KEY_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("m") != merchant.pk:
        return None
    return Order.objects.filter(merchant=merchant, pk=data.get("o")).first()
