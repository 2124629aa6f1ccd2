"""The demo shop's returns (Returns in the menu): manual approval, labels and drop-off codes
allowed, one request waiting for approval and one drop-off approved, on delivered orders.
Nothing is booked with a courier here (the sandbox may not be running yet)."""

from __future__ import annotations

from fulfillment.models import Order, OrderLine
from fulfillment.models.returns import ReturnRequest
from fulfillment.returns.services.requests import (
    approve_return,
    create_return_request,
    why_not_returnable,
)
from fulfillment.returns.services.settings import get_return_settings, update_return_settings
from merchant.models import Merchant


def ensure_demo_returns(*, merchant: Merchant) -> int:
    """Adds the two demo returns unless the shop has returns already; returns how many."""
    prefs = get_return_settings(merchant)
    if ReturnRequest.objects.for_merchant(merchant).exists():
        return 0
    update_return_settings(
        merchant=merchant,
        window_days=30,
        reasons=prefs.reasons,
        auto_approve=False,
        allow_label=True,
        allow_dropoff=True,
    )
    delivered = Order.objects.for_merchant(merchant).filter(status=Order.Status.DELIVERED)
    candidates = [o for o in delivered.order_by("pk")[:20] if why_not_returnable(o) is None]
    made = 0
    for order, method, reason in zip(
        candidates, ("label", "dropoff"), ("Too small", "Changed my mind"), strict=False
    ):
        line = OrderLine.objects.filter(order=order).order_by("pk").first()
        request = create_return_request(
            merchant=merchant,
            order=order,
            quantities={line.pk: 1},
            reason=reason,
            method=method,
            comment="Demo return",
        )
        if method == "dropoff":
            approve_return(merchant=merchant, request=request, note="Bring it to the shop")
        made += 1
    return made
