"""Reading return requests: every query goes through the merchant (or the shopper's token)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from fulfillment.models import Order
from fulfillment.models.returns import ReturnRequest
from merchant.models import Merchant


def returns_for_merchant(merchant: Merchant, *, state: str = "") -> QuerySet[ReturnRequest]:
    found = ReturnRequest.objects.for_merchant(merchant).select_related(
        "order", "point", "shipment"
    )
    if state:
        found = found.filter(state=state)
    return found.prefetch_related("lines__line__product").order_by("-created_at", "-pk")


def get_return_for_merchant(merchant: Merchant, return_id: object) -> ReturnRequest:
    """The merchant's return request, or Http404 (also for another merchant's id)."""
    try:
        pk = int(str(return_id))
        if not 0 < pk < 2**63:
            raise ValueError(pk)
        return returns_for_merchant(merchant).get(pk=pk)
    except (ReturnRequest.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No return with id {return_id}.") from None


def return_by_token(merchant: Merchant, token: str) -> ReturnRequest | None:
    if not token or len(token) > 64 or "\x00" in token:
        return None
    return (
        ReturnRequest.objects.filter(merchant=merchant, public_token=token)
        .select_related("order", "point", "shipment", "shipment__account")
        .first()
    )


def returns_of_order(order: Order) -> list[ReturnRequest]:
    return list(
        ReturnRequest.objects.filter(merchant_id=order.merchant_id, order=order).order_by(
            "-created_at", "-pk"
        )
    )
