"""Picking and packing at a storage point: bulk status moves and the printable pick list.

A bulk move advances each selected order through `advance_order` on its own: one order that
someone else already moved is reported, the others still move (each move is one order's
transaction, as it would be one at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from fulfillment.models import Order
from fulfillment.orders.selectors.today import pick_list
from fulfillment.orders.services.orders import advance_order
from merchant.models import Merchant, StoragePoint, User

BULK_MOVES = {Order.Status.PICKED: Order.Status.ALLOCATED, Order.Status.PACKED: Order.Status.PICKED}
MAX_BULK = 500


@dataclass
class BulkResult:
    moved: list[Order] = field(default_factory=list)
    refused: list[tuple[Order, str]] = field(default_factory=list)


def bulk_advance(
    *, merchant: Merchant, order_ids: list[int], to_status: str, user: User | None
) -> BulkResult:
    """Mark the merchant's orders `order_ids` picked or packed. Ids of another merchant are
    ignored (as if absent); an order not in the step before is refused with the reason."""
    if to_status not in BULK_MOVES:
        raise ValidationError({"action": "Choose mark picked or mark packed."})
    if not order_ids:
        raise ValidationError({"orders": "Select at least one order."})
    if len(order_ids) > MAX_BULK:
        raise ValidationError({"orders": f"Select at most {MAX_BULK} orders at a time."})
    result = BulkResult()
    orders = Order.objects.for_merchant(merchant).filter(pk__in=order_ids).order_by("pk")
    for order in orders:
        try:
            result.moved.append(advance_order(order=order, to_status=to_status, user=user))
        except ValidationError as error:
            result.refused.append((order, " ".join(error.messages)))
    return result


def pick_list_pdf(*, merchant: Merchant, point: StoragePoint, base_url: str) -> bytes:
    """A printable pick list of `point`: products by SKU, units, a box per order."""
    import weasyprint  # heavy import, only for this page

    items = pick_list(merchant, point)
    html = render_to_string(
        "fulfillment/today/pick_list.html",
        {
            "merchant": merchant,
            "point": point,
            "items": items,
            "units": sum(item.quantity for item in items),
            "orders": len({order.pk for item in items for order, _ in item.orders}),
            "printed_at": timezone.now(),
        },
    )
    return weasyprint.HTML(string=html, base_url=base_url).write_pdf()
